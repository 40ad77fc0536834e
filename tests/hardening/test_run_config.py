"""``auditor run`` configs written to abuse the run: refused with exit 2 before anything is sent.

A config names the server the report is mailed to, so it must not be able to make auditor
send a file (``password_file = "/etc/shadow"``) or a foreign secret (``password_env =
"CI_JOB_TOKEN"``) there, nor smuggle options through values (``domain = "--evidence-out=…"``).
Malformed values (``audit = 5``, ``port = "abc"``, ``port = inf``) are usage errors, not bugs.
The ``--db`` password has the same env/file alternatives as the SMTP one, so it need not sit
in ``/proc/PID/cmdline``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.hardening.hostile_smtp import AUDITOR, run_auditor

MAIL = '[mail]\nto = "dpo@example.org"\nfrom = "auditor@example.org"\nserver = "mail.example.org"\n'


def _run(tmp_path: Path, body: str, env: dict[str, str] | None = None) -> tuple[int | None, str]:
    """Exit code and all output (stdout + stderr) of ``auditor run`` on ``body``."""
    config = tmp_path / "audit.toml"
    config.write_text(body)
    (tmp_path / "root").mkdir(exist_ok=True)
    run = run_auditor(["run", str(config)], timeout=60, env={**os.environ, **(env or {})})
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    return run.code, run.stdout + run.stderr


HOST_ONLY = '[audit]\nno_network = true\nhost_root = "root"\n'


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("audit = 5\n", ("audit.toml:1", "[audit] table")),
        ("[audit]\nmail = 5\n", ("audit.toml:2", "unknown [audit] key")),
        ("mail = 5\n", ("audit.toml:1", "[mail] table")),
        (HOST_ONLY + MAIL + 'port = "abc"\n', ("audit.toml:8", "port")),
        (HOST_ONLY + MAIL + "port = inf\n", ("audit.toml:8", "port")),
        (HOST_ONLY + MAIL + "port = 70000\n", ("audit.toml:8", "port")),
        (HOST_ONLY + MAIL.replace('"dpo@example.org"', "[1, 2]"), ("audit.toml:5", "to must be")),
        (HOST_ONLY + "timeout = inf\n", ("audit.toml:4", "timeout")),
        (HOST_ONLY + "timeout = nan\n", ("audit.toml:4", "timeout")),
        (HOST_ONLY + "per_ip_budget = -3\n", ("audit.toml:4", "per_ip_budget")),
        ('[audit]\ndomain = "--evidence-out=/tmp/x"\n', ("not a domain name",)),
    ],
)
def test_malformed_values_exit_2_naming_the_line(tmp_path: Path, body: str, words: tuple[str, ...]) -> None:
    code, stderr = _run(tmp_path, body)
    assert code == 2, f"exit {code}:\n{stderr}"
    assert all(w in stderr for w in words), stderr
    assert not (tmp_path / "x").exists()


def test_values_starting_with_a_dash_stay_values(tmp_path: Path) -> None:
    """``statement = "--help"`` is a (missing) file next to the config, not an option."""
    code, output = _run(tmp_path, HOST_ONLY + 'statement = "--help"\n')
    assert code == 4, output
    assert f"{tmp_path}/--help" in output and "usage:" not in output


def test_password_file_must_be_one_line(tmp_path: Path) -> None:
    fake_shadow = tmp_path / "shadow"
    fake_shadow.write_text("root:$6$salt$hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n")
    code, stderr = _run(tmp_path, HOST_ONLY + MAIL + f'password_file = "{fake_shadow}"\n')
    assert code == 2 and "one line" in stderr, stderr
    assert "$6$" not in stderr


@pytest.mark.parametrize("variable", ["CI_JOB_TOKEN", "AWS_SECRET_ACCESS_KEY", "HOME"])
def test_password_env_limited_to_the_prefix(tmp_path: Path, variable: str) -> None:
    code, stderr = _run(tmp_path, HOST_ONLY + MAIL + f'password_env = "{variable}"\n', {variable: "s3cret-token"})
    assert code == 2 and "AUDITOR_" in stderr and "allow_env" in stderr, stderr
    assert "s3cret-token" not in stderr


def test_password_env_allowed_by_the_config_or_the_prefix(tmp_path: Path) -> None:
    """Allowed names pass validation: the run gets as far as mailing (which fails: no server)."""
    for name, extra in (("AUDITOR_SMTP_PASSWORD", ""), ("CI_SMTP_PASSWORD", 'allow_env = ["CI_SMTP_PASSWORD"]\n')):
        body = HOST_ONLY + extra + MAIL.replace("mail.example.org", "127.0.0.1") + f'password_env = "{name}"\n'
        body += "port = 9\n"
        code, output = _run(tmp_path, body, {name: "pw"})
        assert code in (3, 4) and "mail not sent" in output, f"{name}: exit {code}\n{output}"


def test_db_password_comes_from_env_or_file_not_the_command_line(tmp_path: Path) -> None:
    """The DSN on the command line carries no password; the driver gets it from the file/env."""
    secret = "Pa55-w0rd-from-file"
    password_file = tmp_path / "dbpass"
    password_file.write_text(secret + "\n")
    (tmp_path / "root").mkdir()
    dsn = "postgresql://auditor@127.0.0.1:9/users"
    base = ["scan", "--no-network", "--host-root", str(tmp_path / "root"), "--db", dsn, "-q", "-o"]
    for extra, env in (
        (["--db-password-file", str(password_file)], {}),
        (["--db-password-env", "AUDITOR_DB_PASSWORD"], {"AUDITOR_DB_PASSWORD": secret}),
    ):
        out = tmp_path / "r.json"
        proc = subprocess.Popen(
            [AUDITOR, *base, str(out), *extra], env={**os.environ, **env}, stderr=subprocess.PIPE, text=True
        )
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        _, stderr = proc.communicate(timeout=60)
        assert secret.encode() not in cmdline
        assert proc.returncode == 4, stderr  # the database cannot be reached: an error finding, exit 4
        report = out.read_text()
        assert secret not in report and "127.0.0.1:9" in report


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--db-password-env", "AUDITOR_NOT_SET_ANYWHERE"], ("AUDITOR_NOT_SET_ANYWHERE", "not set")),
        (["--db-password-file", "/nonexistent/pw"], ("/nonexistent/pw",)),
    ],
)
def test_db_password_source_problems_are_usage_errors(tmp_path: Path, extra: list[str], words: tuple[str]) -> None:
    (tmp_path / "root").mkdir()
    run = run_auditor(
        ["scan", "--no-network", "--host-root", str(tmp_path / "root"), "--db", "mysql://a@127.0.0.1/x", *extra],
        timeout=60,
    )
    assert run.code == 2 and all(w in run.stderr for w in words), run.stderr


def test_timeout_must_be_a_finite_positive_number(tmp_path: Path) -> None:
    for value in ("nan", "inf", "-1", "0"):
        run = run_auditor(["scan", "--no-network", "--host-root", str(tmp_path), "--timeout", value], timeout=60)
        assert run.code == 2 and "--timeout" in run.stderr, (value, run.stderr)
