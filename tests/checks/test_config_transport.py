"""config.transport on host roots written for each case (real readers, pure check)."""

from __future__ import annotations

from pathlib import Path

import auditor.checks.config_transport as transport_checks

from auditor.collectors.host.collect import collect_host
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Location, Severity, Status
from auditor.registry import checks_in_module
from auditor.runner import evaluate
from tests.checks import host_factory as hf
from tests.collectors import hostroot_builder as hb

CHECK = checks_in_module(transport_checks, packaged_metadata())[0]
MASTER = """smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level={level}
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only={auth_only}
127.0.0.1:10025 inet n  -       n       -       -       smtpd
  -o content_filter=
  -o smtpd_tls_security_level=none
  -o smtpd_sasl_auth_enable=yes
"""
MAIN = (
    "smtpd_tls_security_level = may\nsmtpd_tls_protocols = {protocols}\nsmtpd_tls_mandatory_protocols = {protocols}\n"
)
DOVECOT = (
    "ssl = required\nssl_min_protocol = {min}\ndisable_plaintext_auth = {dpa}\nremote 127.0.0.1 {{\n"
    "  disable_plaintext_auth = no\n}}\n"
)


def _root(
    tmp: Path,
    *,
    level: str = "encrypt",
    auth_only: str = "yes",
    protocols: str = ">=TLSv1.2",
    minimum: str = "TLSv1.2",
    dpa: str = "yes",
) -> Path:
    hb.write(tmp, "/etc/postfix/master.cf", MASTER.format(level=level, auth_only=auth_only))
    hb.write(tmp, "/etc/postfix/main.cf", MAIN.format(protocols=protocols))
    hb.write(tmp, "/etc/dovecot/dovecot.conf", DOVECOT.format(min=minimum, dpa=dpa))
    return tmp


def _run(root: Path) -> list[Finding]:
    host = collect_host(root, collected_at=hb.NOW)
    return evaluate([CHECK], hf.evidence(host))


def _fails(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == Status.FAIL]


def test_fixed_configuration_passes_and_ignores_loopback_exceptions(tmp_path: Path) -> None:
    findings = _run(_root(tmp_path))
    assert {f.status for f in findings} == {Status.PASS}
    # the 127.0.0.1:10025 re-injection service is not graded
    assert {f.subject for f in findings} == {
        "postfix smtp (smtp, port 25)",
        "postfix submission (submission, port 587)",
        "dovecot",
    }
    assert "loopback-only" in next(f for f in findings if f.subject == "dovecot").detail


def test_submission_without_encrypt_and_auth_before_tls(tmp_path: Path) -> None:
    fails = _fails(_run(_root(tmp_path, level="may", auth_only="no")))
    keys = {f.id.rsplit("#", 1)[1]: f for f in fails}
    assert set(keys) == {"not-encrypt", "auth-only"}
    assert all(f.severity == Severity.HIGH for f in fails)
    level = next(o for o in keys["not-encrypt"].observations if o.label == "setting")
    assert level.location == Location(path="/etc/postfix/master.cf", line=4)
    auth = next(o for o in keys["auth-only"].observations if o.label == "setting")
    assert auth.location == Location(path="/etc/postfix/master.cf", line=6)


def test_old_protocols_high_on_submission_medium_on_port_25(tmp_path: Path) -> None:
    fails = _fails(_run(_root(tmp_path, protocols="!SSLv2, !SSLv3")))
    by_subject = {f.subject: f for f in fails}
    assert by_subject["postfix submission (submission, port 587)"].severity == Severity.HIGH
    assert by_subject["postfix smtp (smtp, port 25)"].severity == Severity.MEDIUM
    assert "TLSv1, TLSv1.1" in by_subject["postfix smtp (smtp, port 25)"].detail
    obs = next(o for o in by_subject["postfix smtp (smtp, port 25)"].observations if o.label == "setting")
    assert obs.location == Location(path="/etc/postfix/main.cf", line=2)


def test_dovecot_plaintext_auth_and_old_minimum(tmp_path: Path) -> None:
    fails = _fails(_run(_root(tmp_path, dpa="no", minimum="TLSv1")))
    assert {f.subject for f in fails} == {"dovecot"} and len(fails) == 2
    assert {o.location for f in fails for o in f.observations} == {
        Location(path="/etc/dovecot/dovecot.conf", line=2),
        Location(path="/etc/dovecot/dovecot.conf", line=3),
    }


def test_dovecot_24_names_and_a_non_loopback_scope(tmp_path: Path) -> None:
    hb.write(
        tmp_path,
        "/etc/dovecot/dovecot.conf",
        "dovecot_config_version = 2.4.0\nauth_allow_cleartext = yes\nremote 0.0.0.0/0 {\n  ssl = no\n}\n",
    )
    fails = _fails(_run(tmp_path))
    assert [f.detail.split(":")[0] for f in fails] == ["auth_allow_cleartext = yes", "ssl = no"]


def test_the_claim_is_attached_when_the_statement_promises_enforcement(tmp_path: Path) -> None:
    host = collect_host(_root(tmp_path, level="may"), collected_at=hb.NOW)
    promise = hf.claim("transport-encryption", "client-access", value="enforced", quote="Wir erzwingen TLS.")
    findings = evaluate([CHECK], hf.evidence(host, hf.claims(promise)))
    fails = _fails(findings)
    assert fails and all(f.claim is not None and f.claim.quote == "Wir erzwingen TLS." for f in fails)


def test_malformed_config_is_an_error_and_no_config_is_unverifiable(tmp_path: Path) -> None:
    root = _root(tmp_path / "a")
    hb.write(root, "/etc/postfix/master.cf", "submission inet n\n")
    assert any(f.status == Status.ERROR and "master.cf:1" in f.detail for f in _run(root))
    assert [f.status for f in _run(tmp_path / "empty")] == [Status.ERROR]


def test_protocol_expressions() -> None:
    allowed = transport_checks.allowed_protocols
    assert allowed(">=TLSv1.2") == {"TLSv1.2", "TLSv1.3"}
    assert allowed("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1") == {"TLSv1.2", "TLSv1.3"}
    assert allowed("TLSv1.2 TLSv1.3") == {"TLSv1.2", "TLSv1.3"}
    assert "TLSv1" in allowed("") and "TLSv1.1" in allowed(">=TLSv1")


def test_port_465_without_wrapper_mode_speaks_plaintext(tmp_path: Path) -> None:
    root = _root(tmp_path)
    master = (root / "etc/postfix/master.cf").read_text()
    (root / "etc/postfix/master.cf").write_text(
        master + "submissions inet n - n - - smtpd\n  -o smtpd_sasl_auth_enable=yes\n"
    )
    fails = _fails(_run(root))
    assert {(f.subject, f.id.rsplit("#", 1)[1]) for f in fails} == {
        ("postfix submissions (submissions, port 465)", "not-encrypt"),
        ("postfix submissions (submissions, port 465)", "auth-only"),
    }
    assert any("smtpd_tls_wrappermode=yes" in f.detail for f in fails)
