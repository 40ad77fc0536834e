"""The MTA-STS / TLS-RPT / SPF / DMARC checks on evidence fixtures (no network)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auditor.evidence.network import DnsAnswer, PreviousPolicy
from auditor.metadata import packaged_metadata
from auditor.models import Severity, Status
from auditor.registry import CheckContext, load_checks
from auditor.runner import evaluate
from tests.checks.evidence_factory import GOOD_POLICY, evidence, mail_dns, policy_fetch, txt

CHECKS = {c.meta.id: c for c in load_checks(packaged_metadata())}


def run(check_id: str, ev):  # type: ignore[no-untyped-def]
    return evaluate([CHECKS[check_id]], ev)


def statuses(check_id: str, ev) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.status.value for f in run(check_id, ev)]


def test_clean_domain_passes_every_dns_check() -> None:
    ev = evidence()
    for check_id in (
        "mta-sts.record",
        "mta-sts.policy",
        "mta-sts.mode",
        "mta-sts.mx-coverage",
        "mta-sts.max-age",
        "tls-rpt.record",
        "spf.record",
        "dmarc.policy",
    ):
        assert set(statuses(check_id, ev)) == {"pass"}, check_id


def test_missing_mta_sts_record_fails_and_policy_checks_skip() -> None:
    ev = evidence(mail_dns=mail_dns(mta_sts_record=txt("_mta-sts.example.org"), mta_sts_policy=None))
    [finding] = run("mta-sts.record", ev)
    assert finding.status == Status.FAIL and finding.severity == Severity.MEDIUM
    assert "GDPR-32-1-a" in finding.clauses and finding.remediation
    assert statuses("mta-sts.mode", ev) == ["skipped"]


def test_testing_mode_fails_with_medium_severity() -> None:
    ev = evidence(mail_dns=mail_dns(mta_sts_policy=policy_fetch(GOOD_POLICY.replace("enforce", "testing"))))
    [finding] = run("mta-sts.mode", ev)
    assert (finding.status, finding.severity) == (Status.FAIL, Severity.MEDIUM)
    assert "testing" in finding.detail


def test_mode_none_is_high() -> None:
    body = "version: STSv1\nmode: none\nmax_age: 86400\n"
    [finding] = run("mta-sts.mode", evidence(mail_dns=mail_dns(mta_sts_policy=policy_fetch(body))))
    assert (finding.status, finding.severity) == (Status.FAIL, Severity.HIGH)


def test_mx_not_in_policy_fails_for_that_mx_only() -> None:
    body = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: 1209600\n"
    findings = run("mta-sts.mx-coverage", evidence(mail_dns=mail_dns(mta_sts_policy=policy_fetch(body))))
    by_subject = {f.subject: f.status for f in findings}
    assert by_subject == {"mx1.example.org": Status.PASS, "mx2.example.org": Status.FAIL}


@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [
        ("*.example.org", "mx2.example.org", True),
        ("*.example.org", "a.b.example.org", False),
        ("*.example.org", "example.org", False),
        ("MX1.Example.org.", "mx1.example.org", True),
    ],
)
def test_wildcard_matches_exactly_one_label(pattern: str, host: str, expected: bool) -> None:
    from auditor.dnspolicy import mx_matches

    assert mx_matches(pattern, host) is expected


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        ("cert-expired", Severity.HIGH),
        ("cert-untrusted", Severity.HIGH),
        ("cert-hostname", Severity.HIGH),
        ("redirect", Severity.MEDIUM),
        ("content-type", Severity.MEDIUM),
    ],
)
def test_policy_served_badly_fails(kind: str, severity: Severity) -> None:
    fetched = policy_fetch(ok=False, body=None, error_kind=kind, error=f"{kind} problem")
    [finding] = run("mta-sts.policy", evidence(mail_dns=mail_dns(mta_sts_policy=fetched)))
    assert (finding.status, finding.severity) == (Status.FAIL, severity)
    # Checks that need the policy body cannot verify it: skipped with a pointer, never pass.
    [mode] = run("mta-sts.mode", evidence(mail_dns=mail_dns(mta_sts_policy=fetched)))
    assert mode.status == Status.SKIPPED and "mta-sts.policy" in mode.detail


def test_unreachable_policy_host_is_error_not_fail() -> None:
    fetched = policy_fetch(ok=False, body=None, error_kind="connect", error="connection refused")
    assert statuses("mta-sts.policy", evidence(mail_dns=mail_dns(mta_sts_policy=fetched))) == ["error"]


def test_broken_policy_syntax_fails_with_reasons() -> None:
    body = "mode: enforce\nmx: mx1.example.org\nmax_age: soon\n"
    [finding] = run("mta-sts.policy", evidence(mail_dns=mail_dns(mta_sts_policy=policy_fetch(body))))
    assert finding.status == Status.FAIL
    assert "version line missing" in finding.detail and "max_age" in finding.detail


@pytest.mark.parametrize(("age", "status"), [(3600, "fail"), (172800, "warn"), (604800, "pass")])
def test_max_age_grades(age: int, status: str) -> None:
    body = GOOD_POLICY.replace("1209600", str(age))
    assert statuses("mta-sts.max-age", evidence(mail_dns=mail_dns(mta_sts_policy=policy_fetch(body)))) == [status]


def test_policy_id_unchanged_while_policy_changed_fails() -> None:
    previous = PreviousPolicy(policy_id="20261101", body_sha256="0" * 64, seen_at="2026-11-01T00:00:00+00:00")
    assert statuses("mta-sts.policy-id", evidence(mail_dns=mail_dns(previous_policy=previous))) == ["fail"]
    moved = replace(previous, policy_id="20251231")
    assert statuses("mta-sts.policy-id", evidence(mail_dns=mail_dns(previous_policy=moved))) == ["pass"]
    assert statuses("mta-sts.policy-id", evidence()) == ["skipped"]


def test_tlsrpt_missing_fails_and_https_only_warns() -> None:
    assert statuses("tls-rpt.record", evidence(mail_dns=mail_dns(tlsrpt_record=txt("_smtp._tls.example.org")))) == [
        "fail"
    ]
    https_only = txt("_smtp._tls.example.org", "v=TLSRPTv1; rua=https://reports.example.org/tlsrpt")
    assert statuses("tls-rpt.record", evidence(mail_dns=mail_dns(tlsrpt_record=https_only))) == ["warn"]


@pytest.mark.parametrize(
    ("records", "status"),
    [
        (("v=spf1 mx -all",), "pass"),
        (("v=spf1 mx ~all",), "warn"),
        (("v=spf1 +all",), "fail"),
        (("v=spf1 mx",), "fail"),
        (("v=spf1 mx -all", "v=spf1 a -all"), "fail"),
        ((), "fail"),
    ],
)
def test_spf(records: tuple[str, ...], status: str) -> None:
    assert statuses("spf.record", evidence(mail_dns=mail_dns(spf_record=txt("example.org", *records)))) == [status]


@pytest.mark.parametrize(
    ("records", "status"),
    [
        (("v=DMARC1; p=reject",), "pass"),
        (("v=DMARC1; p=quarantine; pct=50",), "warn"),
        (("v=DMARC1; p=none",), "warn"),
        (("v=DMARC1; p=bogus",), "fail"),
        (("v=DMARC1; p=reject", "v=DMARC1; p=none"), "fail"),  # two records: receivers ignore both
        ((), "fail"),
    ],
)
def test_dmarc(records: tuple[str, ...], status: str) -> None:
    assert statuses("dmarc.policy", evidence(mail_dns=mail_dns(dmarc_record=txt("_dmarc.example.org", *records)))) == [
        status
    ]


def test_dns_timeout_is_error_never_pass() -> None:
    timeout = DnsAnswer("_dmarc.example.org", "TXT", "timeout", error="DNS timeout")
    [finding] = run("dmarc.policy", evidence(mail_dns=mail_dns(dmarc_record=timeout)))
    assert finding.status == Status.ERROR and "timeout" in finding.detail


def test_not_collected_is_error_and_without_network_skipped() -> None:
    assert statuses("spf.record", evidence(mail_dns=None)) == ["error"]
    assert statuses("spf.record", evidence(network=False, mail_dns=None)) == ["skipped"]


def test_checks_are_pure_functions_of_evidence() -> None:
    ev = evidence()
    ctx = CheckContext(evidence=ev)
    first = list(CHECKS["mta-sts.mx-coverage"].func(ctx))
    assert first == list(CHECKS["mta-sts.mx-coverage"].func(ctx))
