"""Bad files through the CLI: a hostile host root, and malformed input files.

* A host root full of traps -- symlink loops, links out of the root (absolute and
  relative), a directory where a file belongs, FIFOs where configs, logs and the user
  database belong -- must give a normal exit (0/1/4) with the problems as errors in the
  evidence, never a traceback, never block on a FIFO, never read a file outside the root.
* Malformed claims, waiver, TOML config, mapping, clause-override, baseline and bundle
  files must exit 2 with a message naming the file (and the line where there is one),
  without a traceback.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import LabInfo
from tests.hardening.hostile_smtp import run_auditor

MARKER = "OUTSIDE-THE-ROOT-7c1f0e"


def _link(root: Path, rel: str, target: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def _fifo(root: Path, rel: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _file(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def hostile_root(base: Path) -> Path:
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.conf").write_text(f"# {MARKER}\npassword = {MARKER}\nmail.* /var/log/{MARKER}.log\n")
    root = base / "root"
    # Postfix: main.cf a symlink loop, master.cf an absolute link (re-rooted: not the real /etc/passwd).
    _link(root, "etc/postfix/main.cf", "main.cf.a")
    _link(root, "etc/postfix/main.cf.a", "main.cf")
    _link(root, "etc/postfix/master.cf", "/etc/passwd")
    # Dovecot: the main config is a FIFO; an include escaping the root.
    _fifo(root, "etc/dovecot/dovecot.conf")
    _link(root, "etc/dovecot/conf.d/10-auth.conf", "../../../../../../../../" + str(outside / "secret.conf"))
    # logrotate: the main config is a directory; logrotate.d holds a FIFO, a loop and escaping links.
    (root / "etc/logrotate.conf").mkdir(parents=True)
    _fifo(root, "etc/logrotate.d/fifo")
    _link(root, "etc/logrotate.d/loop", "loop")
    _link(root, "etc/logrotate.d/escape", "../../../" + os.path.relpath(outside / "secret.conf", root))
    _link(root, "etc/logrotate.d/absolute", str(outside / "secret.conf"))
    # rsyslog: relative link climbing out of the root.
    _link(root, "etc/rsyslog.conf", "../../../../../../../../../../" + str(outside / "secret.conf").lstrip("/"))
    # journald: a drop-in directory that is a loop.
    _link(root, "etc/systemd/journald.conf.d", "../systemd/journald.conf.d")
    _fifo(root, "etc/systemd/journald.conf")
    # nginx: the whole config directory is a link out of the root.
    _link(root, "etc/nginx", "../../../../../../../.." + str(outside))
    # Roundcube / Nextcloud: configs a FIFO and an absolute link; the user database a FIFO.
    _file(
        root,
        "etc/roundcube/config.inc.php",
        "<?php\n$config['db_dsnw'] = 'sqlite:////var/lib/mail/users.sqlite?mode=0640';\n"
        "$config['log_dir'] = '/var/log/roundcube/';\n",
    )
    _fifo(root, "etc/roundcube/defaults.inc.php")
    _link(root, "var/www/nextcloud/config/config.php", str(outside / "secret.conf"))
    _fifo(root, "var/lib/mail/users.sqlite")
    # Backups: borgmatic config a FIFO, crontab a loop.
    _fifo(root, "etc/borgmatic/config.yaml")
    _link(root, "etc/crontab", "crontab")
    # Logs on disk: the current log a FIFO, rotated ones a loop and escaping links.
    _fifo(root, "var/log/mail.log")
    _link(root, "var/log/mail.log.1", "mail.log.1")
    _link(root, "var/log/mail.log.2.gz", str(outside / "secret.conf"))
    _link(root, "var/log/mail.log.3.gz", "../../" + os.path.relpath(outside / "secret.conf", root))
    _fifo(root, "var/log/nginx/access.log")
    _link(root, "var/log/auth.log", "/proc/self/environ")
    return root


def test_hostile_host_root_is_read_without_blocking_or_escaping(tmp_path: Path) -> None:
    root = hostile_root(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    run = run_auditor(
        [
            "scan",
            "--no-network",
            "--host-root",
            str(root),
            "--evidence-out",
            str(out / "bundle.json"),
            "--show-passed",
            *[a for e in ("json", "html", "md") for a in ("-o", str(out / f"r.{e}"))],
        ],
        timeout=60,
    )
    print(f"hostile host root: exit {run.code}, wall {run.wall:.1f} s, peak RSS {run.peak_mib:.0f} MiB")
    assert run.code is not None, "the scan blocked (on a FIFO?) and was killed after 60 s"
    assert run.code in (0, 1, 4), run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert run.wall < 30
    texts = {p.name: p.read_text(errors="replace") for p in out.iterdir()} | {
        "stdout": run.stdout,
        "stderr": run.stderr,
    }
    assert not [name for name, text in texts.items() if MARKER in text], "a file outside the host root was read"
    bundle = json.loads(texts["bundle.json"])
    host = bundle["host"]
    assert host is not None, "--host-root evidence missing"
    problems = json.dumps(host)
    # Each trap is reported as what it is, not silently skipped.
    for word in ("FIFO", "loop", "escapes the host root", "directory"):
        assert word in problems, f"no host error mentions {word!r}"
    report = json.loads(texts["r.json"])
    assert any(f["status"] == "error" for f in report["findings"]), "no error finding for an unreadable host"
    assert not [f for f in report["findings"] if f["status"] == "pass" and f["check_id"].startswith("retention.")]


# ---------------------------------------------------------------- malformed input files

DEEP_YAML = "[" * 20000 + "\n"
BINARY = b"\x00\xff\xfe\x80 not text\n"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, lab: LabInfo) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "bundle.json"
    run = run_auditor(
        [
            "scan",
            "--no-network",
            "--statement",
            str(lab.root / "statement" / "datenschutz.md"),
            "--evidence-out",
            str(path),
            "-q",
        ],
        timeout=60,
    )
    assert run.code in (0, 1, 4), run.stderr
    return path


# (option, file name, content, line the message must name or None)
CASES: list[tuple[str, str, str | bytes, int | None]] = [
    ("--claims", "syntax.yaml", "version: 1\nclaims:\n  - id: x\n    kind: [unclosed\n  - id: y\n", 5),
    ("--claims", "binary.yaml", BINARY, None),
    ("--claims", "deep.yaml", DEEP_YAML, None),
    ("--claims", "wrongtype.yaml", "version: 1\nclaims: 7\n", None),
    ("--waivers", "syntax.yaml", "- check: x\n  reason: [\n", 3),
    ("--waivers", "expiry.yaml", '- check: "tls.*"\n  target: "*"\n  reason: r\n  expires: soon\n', 1),
    ("--waivers", "deep.yaml", DEEP_YAML, None),
    ("--waivers", "binary.yaml", BINARY, None),
    ("--mapping", "severity.yaml", "tls.protocols:\n  severity: extreme\n", 1),
    ("--mapping", "deep.yaml", DEEP_YAML, None),
    ("--mapping", "binary.yaml", BINARY, None),
    ("--clauses", "syntax.yaml", "GDPR-5:\n  title: 5\n  bogus: [1,\n", 4),
    ("--clauses", "deep.yaml", DEEP_YAML, None),
    ("--clauses", "binary.yaml", BINARY, None),
    ("--baseline", "notjson.json", '{"findings": [\n', None),
    ("--baseline", "deep.json", "[" * 20000, None),
    ("config", "syntax.toml", '[audit]\ndomain = "x\n', 2),
    ("config", "type.toml", "[audit]\ndomain = 5\n", 2),
    ("config", "deep.toml", "[audit]\nx = " + "[" * 20000 + "\n", None),
    ("config", "binary.toml", BINARY, None),
    ("bundle", "notjson.json", '{"schema_version": \n', None),
    ("bundle", "deep.json", "[" * 20000, None),
]


@pytest.mark.parametrize(("option", "name", "content", "line"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_malformed_input_file_is_a_usage_error(
    option: str, name: str, content: str | bytes, line: int | None, tmp_path: Path, bundle: Path
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    if option == "config":
        args = ["run", str(path)]
    elif option == "bundle":
        args = ["evaluate", str(path)]
    elif option == "--claims":
        args = ["scan", "--no-network", "--claims", str(path), "-q"]
    else:
        args = ["evaluate", str(bundle), option, str(path), "-q"]
    run = run_auditor(args, timeout=60)
    assert run.code is not None, f"{name}: did not finish"
    assert "Traceback" not in run.stderr, run.stderr
    assert run.code == 2, f"{option} {name}: exit {run.code}, expected 2 (usage error):\n{run.stderr}"
    assert name in run.stderr, f"the message does not name the file: {run.stderr}"
    if line is not None:
        assert f"{name}:{line}" in run.stderr or f"line {line}" in run.stderr, run.stderr
