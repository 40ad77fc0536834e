"""Host configs built to explode: bounded in time and memory, the rest of the audit goes on.

* Postfix ``$name`` expansion: ten levels of ``aN = $aN-1`` repeated ten times (a few
  hundred bytes) expanded anew at every reference took minutes.
* Include fan-out: a config that includes itself twice doubles the reads at every level;
  with tens of thousands of settings per copy that took minutes and gigabytes (Dovecot,
  nginx, rsyslog, logrotate alike).

Each case runs the CLI on a host root holding one such file, with ``--timeout``; it must
finish within the budget plus the grace, stay under the memory bound and report the bound
it hit as an error naming the file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.hardening.hostile_smtp import run_auditor

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hostroot"
BUDGET_S = 10
GRACE_S = 10.0
PEAK_RSS_MIB = 1024.0


def _postfix_bomb() -> str:
    lines = ["a0 = x"] + [f"a{i} = " + " ".join([f"$a{i - 1}"] * 10) for i in range(1, 10)]
    return "\n".join([*lines, "smtpd_tls_security_level = $a9", "smtpd_tls_auth_only = yes", ""])


def _settings(template: str, count: int) -> str:
    return "".join(template.format(n=n) for n in range(count))


# (file in the host root, its text, words the host errors must contain)
CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "postfix-expansion": ("etc/postfix/main.cf", _postfix_bomb(), ()),
    "dovecot-self-include": (
        "etc/dovecot/dovecot.conf",
        "!include dovecot.conf\n!include dovecot.conf\n" + _settings("setting_{n} = value number {n}\n", 40000),
        ("dovecot.conf",),
    ),
    "nginx-self-include": (
        "etc/nginx/nginx.conf",
        "http {\ninclude /etc/nginx/nginx.conf;\ninclude /etc/nginx/nginx.conf;\n"
        + _settings("access_log /var/log/nginx/site{n}.log combined;\n", 4000)
        + "}\n",
        ("nginx.conf",),
    ),
    "rsyslog-self-include": (
        "etc/rsyslog.conf",
        "$IncludeConfig /etc/rsyslog.conf\n$IncludeConfig /etc/rsyslog.conf\n"
        + _settings("local{m}.* /var/log/local{n}.log\n".replace("{m}", "3"), 4000),
        ("rsyslog.conf",),
    ),
    "logrotate-self-include": (
        "etc/logrotate.conf",
        "include /etc/logrotate.conf\ninclude /etc/logrotate.conf\n"
        + _settings("/var/log/app{n}.log {{\n  rotate 4\n  weekly\n}}\n", 4000),
        ("logrotate.conf",),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_exploding_host_config_is_bounded(case: str, tmp_path: Path) -> None:
    rel, text, words = CASES[case]
    root = tmp_path / "root"
    shutil.copytree(FIXTURES, root, symlinks=True)
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)
    out = tmp_path / "r.json"
    bundle = tmp_path / "bundle.json"
    run = run_auditor(
        [
            "scan",
            "--no-network",
            "--host-root",
            str(root),
            "--timeout",
            str(BUDGET_S),
            "-q",
            "-o",
            str(out),
            "--evidence-out",
            str(bundle),
        ],
        timeout=BUDGET_S + GRACE_S + 50,
    )
    print(f"{case} ({len(text)} bytes): exit {run.code}, wall {run.wall:.1f} s, peak RSS {run.peak_mib:.0f} MiB")
    assert run.code is not None, f"killed after {run.wall:.0f} s"
    assert run.code in (0, 1, 4), run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert run.wall < BUDGET_S + GRACE_S, f"{run.wall:.1f} s for --timeout {BUDGET_S}"
    assert run.peak_mib < PEAK_RSS_MIB, f"peak RSS {run.peak_mib:.0f} MiB"
    host = json.loads(bundle.read_text())["host"]
    assert host is not None, "the host section was lost"
    errors = json.dumps(host["errors"])
    assert all(w in errors for w in words), errors[:2000]
    if case == "postfix-expansion":
        services = {s["name"]: s for s in host["postfix"] or ()}
        assert services, "no Postfix service read"
