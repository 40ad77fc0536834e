"""HostRoot: symlinks stay inside the root; odd files come back as errors, never exceptions."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from auditor.collectors.host.root import HostRoot, path_match


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "etc" / "postfix").mkdir(parents=True)
    (r / "etc" / "postfix" / "main.cf").write_text("myhostname = inside\n")
    (tmp_path / "outside.txt").write_text("SECRET OUTSIDE\n")
    return r


def test_reads_plain_file_with_root_relative_path(root: Path) -> None:
    got = HostRoot(root).read_text("etc/postfix/../postfix/main.cf")
    assert got.error is None
    assert got.path == "/etc/postfix/main.cf"
    assert got.text == "myhostname = inside\n"


def test_absolute_symlink_is_rerooted(root: Path, tmp_path: Path) -> None:
    # "/outside.txt" inside the snapshot does not exist; the host's file must not be read
    (root / "etc" / "link").symlink_to("/etc/postfix/main.cf")
    (root / "etc" / "escape").symlink_to(str(tmp_path / "outside.txt"))
    host = HostRoot(root)
    assert host.read_text("/etc/link").text == "myhostname = inside\n"
    got = host.read_text("/etc/escape")
    assert got.text is None and got.error == "/etc/escape: not found"


def test_relative_symlink_climbing_out_is_refused(root: Path) -> None:
    (root / "etc" / "up").symlink_to("../../outside.txt")
    got = HostRoot(root).read_text("/etc/up")
    assert got.text is None
    assert got.error == "/etc/up: path escapes the host root"


def test_dotdot_in_requested_path_cannot_leave_root(root: Path) -> None:
    got = HostRoot(root).read_text("/../outside.txt")
    assert got.text is None and "escapes the host root" in (got.error or "")


def test_symlinked_directory_inside_root_is_followed(root: Path) -> None:
    (root / "etc" / "pf").symlink_to("postfix")
    assert HostRoot(root).read_text("/etc/pf/main.cf").text == "myhostname = inside\n"


def test_symlink_loop_is_an_error(root: Path) -> None:
    (root / "etc" / "a").symlink_to("b")
    (root / "etc" / "b").symlink_to("a")
    got = HostRoot(root).read_text("/etc/a")
    assert got.text is None and "loop" in (got.error or "")


def test_fifo_is_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "etc" / "fifo")
    got = HostRoot(root).read_text("/etc/fifo")
    assert got.error == "/etc/fifo: not a regular file (FIFO)"


def test_link_to_itself_after_rerooting_is_a_loop_not_the_real_device(root: Path) -> None:
    (root / "dev").mkdir()
    (root / "dev" / "null").symlink_to("/dev/null")  # re-rooted: points at itself
    assert "loop" in (HostRoot(root).read_text("/dev/null").error or "")


def test_directory_is_refused(root: Path) -> None:
    assert HostRoot(root).read_text("/etc").error == "/etc: not a regular file (directory)"


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_device_node_is_refused(root: Path) -> None:
    import stat

    os.mknod(root / "etc" / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    assert HostRoot(root).read_text("/etc/zero").error == "/etc/zero: not a regular file (device)"


def test_unreadable_file_is_an_error() -> None:
    # As root the read runs with the effective uid of "nobody": root bypasses mode 000,
    # an auditor reading a mounted snapshot often does not. /var/tmp (not pytest's
    # private tmp_path) so that "nobody" can traverse to the snapshot.
    with tempfile.TemporaryDirectory(dir="/var/tmp") as snapshot:
        base = Path(snapshot)
        base.chmod(0o755)
        (base / "etc").mkdir(mode=0o755)
        secret = base / "etc" / "shadow"
        secret.write_text("x")
        secret.chmod(0)
        dropped = os.geteuid() == 0
        try:
            if dropped:
                os.seteuid(65534)
            got = HostRoot(base).read_text("/etc/shadow")
        finally:
            if dropped:
                os.seteuid(0)
            secret.chmod(0o600)
    assert got.text is None
    assert got.error == "/etc/shadow: permission denied"


def test_oversized_file_is_an_error(root: Path) -> None:
    big = root / "etc" / "big.cf"
    with big.open("wb") as handle:
        handle.truncate(6 * 1024 * 1024)  # sparse: 6 MB without writing them
    got = HostRoot(root).read_text("/etc/big.cf")
    assert got.text is None
    assert got.error == f"/etc/big.cf: file too large ({6 * 1024 * 1024} bytes > {5 * 1024 * 1024})"
    assert HostRoot(root, max_bytes=10 * 1024 * 1024).read_text("/etc/big.cf").error is None


def test_missing_file_and_file_as_directory(root: Path) -> None:
    host = HostRoot(root)
    assert host.read_text("/etc/nope").error == "/etc/nope: not found"
    assert host.read_text("/etc/postfix/main.cf/x").error == "/etc/postfix/main.cf/x: not a directory"


def test_glob_is_per_component_and_skips_hidden(root: Path) -> None:
    d = root / "etc" / "conf.d"
    d.mkdir()
    for name in ("10-a.conf", "20-b.conf", ".hidden.conf", "notes.txt"):
        (d / name).write_text("")
    (d / "sub").mkdir()
    (d / "sub" / "30-c.conf").write_text("")
    host = HostRoot(root)
    assert host.glob("/etc/conf.d/*.conf") == ["/etc/conf.d/10-a.conf", "/etc/conf.d/20-b.conf"]
    assert host.glob("/etc/*/*.conf") == ["/etc/conf.d/10-a.conf", "/etc/conf.d/20-b.conf"]


def test_path_match_keeps_wildcards_within_a_component() -> None:
    assert path_match("/var/log/nginx/*.log", "/var/log/nginx/access.log")
    assert not path_match("/var/log/*.log", "/var/log/nginx/access.log")


def test_permission_error_becomes_an_error_value(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Running as root bypasses mode bits, so simulate the kernel's EACCES on open.
    import auditor.collectors.host.root as root_mod

    def deny(*_args: object, **_kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(root_mod.os, "open", deny)
    assert HostRoot(root).read_text("/etc/postfix/main.cf").error == "/etc/postfix/main.cf: permission denied"
