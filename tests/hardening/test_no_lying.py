"""No lying: a failed, missing or emptied collection is never graded ``pass``.

The baseline is a real lab run (good.lab.test with its statement and the compliant host
root), in which most checks pass. Each Evidence section is then replaced, one at a time
and all at once, by a failed variant -- missing (``None`` / empty), error-valued (the
collector ran and recorded why it could not see), or emptied (every optional field
``None``, i.e. "unknown") -- and every check (registered ones and the check modules not
yet registered) is evaluated. A check that depends on a failed section must not pass.

Separately, the collectors themselves are replaced in ``auditor.collect`` by failing ones
(error values, and raising), and ``collect`` + ``evaluate`` must neither pass nor crash.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import auditor.checks
import pytest

import auditor.collect as collect_mod
import auditor.collectors.endpoints as endpoints_mod
from auditor.collect import ScanOptions, collect
from auditor.evidence import Evidence, InputError, evidence_from_json
from auditor.evidence.dialogs import DialogResult
from auditor.evidence.host import HostError, HostEvidence, LogFamily, UserDatabase
from auditor.evidence.network import DaneLookup, Discovery, DnsAnswer, Endpoint, HttpFetch, MailDns
from auditor.evidence.tls import TlsScan, VulnResult
from auditor.metadata import packaged_metadata
from auditor.models import Finding, Need, Status
from auditor.registry import Check, checks_in_module, load_checks
from auditor.runner import evaluate
from tests.conftest import LabInfo

AUDITOR = str(Path(sys.executable).parent / "auditor")

# Which checks a section feeds (check-id prefixes). statement.transport-claim reads the
# network findings, DANE matches the served chain, host reconciliation needs claims.
FEEDS: dict[str, tuple[str, ...]] = {
    "discovery": (
        "mta-sts.",
        "tls-rpt.",
        "spf.",
        "dmarc.",
        "dane.",
        "starttls.",
        "tls.",
        "https.",
        "statement.transport-claim",
    ),
    "mail_dns": ("mta-sts.", "tls-rpt.", "spf.", "dmarc."),
    "dane": ("dane.",),
    "dialogs": ("starttls.", "https.", "tls.implicit-ports", "statement.transport-claim"),
    "tls": (
        "tls.protocols",
        "tls.cipher-suites",
        "tls.key-exchange",
        "tls.certificate",
        "tls.vulnerabilities",
        "dane.",
        "statement.transport-claim",
    ),
    "claims": ("statement.", "retention.", "inventory.", "backup."),
    "host": ("retention.", "inventory.", "hashing.", "backup.", "config."),
}
# Variants that blank only part of a section feed only the checks reading that part.
NARROWER: dict[tuple[str, str], tuple[str, ...]] = {
    ("mail_dns", "policy-unknown"): ("mta-sts.policy", "mta-sts.mode", "mta-sts.max-age", "mta-sts.mx-coverage"),
    ("dialogs", "unknown-fields"): ("starttls.offered", "tls.implicit-ports", "https."),
    ("claims", "emptied"): (
        "statement.retention-declared",
        "statement.transport-claim",
        "retention.",
        "backup.",
        "inventory.not-found",
    ),  # an empty statement cites no law: outdated-law may pass
    ("host", "emptied"): ("retention.", "hashing."),
}
FAILED = "could not be collected (injected failure)"


def all_checks() -> list[Check]:
    """Every registered check plus those in check modules not (yet) registered."""
    metadata = packaged_metadata()
    # Only the project's own checks: a test plugin installed in the venv (acme.*) passes by design.
    checks = [c for c in load_checks(metadata, warn=lambda msg: None) if c.meta.source.startswith("auditor.")]
    ids = {c.meta.id for c in checks}
    for info in pkgutil.iter_modules(auditor.checks.__path__):
        module = importlib.import_module(f"auditor.checks.{info.name}")
        checks += [c for c in checks_in_module(module, metadata) if c.meta.id not in ids]
        ids = {c.meta.id for c in checks}
    return checks


@pytest.fixture(scope="module")
def baseline(lab: LabInfo, tmp_path_factory: pytest.TempPathFactory) -> Evidence:
    out = tmp_path_factory.mktemp("nolying")
    bundle = out / "bundle.json"
    host_root = lab.root / "run" / "hostroot" / "compliant"
    proc = subprocess.run(
        [
            AUDITOR,
            "scan",
            lab.domain("good"),
            "--resolver",
            lab.resolver,
            "--ca-file",
            str(lab.ca_file),
            "--trust-anchor",
            str(lab.trust_anchor),
            "--statement",
            str(lab.root / "statement" / "datenschutz.md"),
            "--host-root",
            str(host_root),
            "--evidence-out",
            str(bundle),
            "-q",
            "--timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1, 4), proc.stderr
    evidence = evidence_from_json(bundle.read_bytes())
    assert evidence.host is not None, "scan --host-root saved no host evidence"
    return evidence


def passes(findings: list[Finding], prefixes: tuple[str, ...]) -> list[str]:
    return [
        f"{f.check_id} {f.subject}: {f.detail}"
        for f in findings
        if f.status == Status.PASS and f.check_id.startswith(prefixes)
    ]


def test_baseline_really_passes(baseline: Evidence) -> None:
    """Guard: the failure variants below are meaningful only if the baseline passes each family."""
    findings = evaluate(all_checks(), baseline)
    for prefix in (
        "mta-sts.policy",
        "mta-sts.mode",
        "mta-sts.mx-coverage",
        "spf.",
        "dmarc.",
        "tls-rpt.",
        "starttls.offered",
        "starttls.auth-before-tls",
        "starttls.imap",
        "starttls.pop3",
        "starttls.submission-requires-tls",
        "tls.protocols",
        "tls.certificate",
        "tls.implicit-ports",
        "statement.transport-claim",
        "config.transport",
        "hashing.",
        "retention.",
    ):
        assert passes(findings, (prefix,)), f"baseline has no passing {prefix} finding"
    assert baseline.host is not None and baseline.claims is not None


# ---------------------------------------------------------------- failed variants, per section


def _unknown(obj: Any) -> Any:
    """The same record with every optional field ``None`` ("not known") and dicts of unknowns."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.default is None:
            changes[f.name] = None
        elif isinstance(value, dict):
            changes[f.name] = {k: None for k in value} if f.name == "protocols" else {}
    return replace(obj, **changes)


def _error_answer(answer: DnsAnswer) -> DnsAnswer:
    return replace(answer, status="timeout", records=(), error=FAILED, dnssec="unknown")


def _failed_fetch(url: str) -> HttpFetch:
    return HttpFetch(url=url, ok=False, error_kind="timeout", error=FAILED)


def discovery_variants(ev: Evidence) -> dict[str, Discovery | None]:
    d = ev.discovery
    assert d is not None
    dead = _error_answer(d.mx)
    return {
        "none": None,
        "error": Discovery(domain=d.domain, resolver=d.resolver, mx=dead, fatal=f"MX lookup: {FAILED}"),
        "servfail": replace(d, mx=replace(dead, status="servfail"), mx_hosts=(), srv=(), endpoints=()),
    }


def mail_dns_variants(ev: Evidence) -> dict[str, MailDns | None]:
    m = ev.mail_dns
    assert m is not None
    url = m.mta_sts_policy.url if m.mta_sts_policy else "https://mta-sts.invalid/.well-known/mta-sts.txt"
    err = MailDns(
        _error_answer(m.mta_sts_record),
        _error_answer(m.tlsrpt_record),
        _error_answer(m.spf_record),
        _error_answer(m.dmarc_record),
        _failed_fetch(url),
    )
    return {
        "none": None,
        "error": err,
        "servfail": replace(
            err,
            mta_sts_record=replace(err.mta_sts_record, status="servfail"),
            spf_record=replace(err.spf_record, status="servfail"),
            dmarc_record=replace(err.dmarc_record, status="servfail"),
            tlsrpt_record=replace(err.tlsrpt_record, status="servfail"),
        ),
        "policy-unknown": replace(m, mta_sts_policy=_unknown(m.mta_sts_policy) if m.mta_sts_policy else None),
    }


def dane_variants(ev: Evidence) -> dict[str, tuple[DaneLookup, ...]]:
    return {
        "empty": (),
        "error": tuple(
            replace(d, answer=_error_answer(d.answer), dnssec="indeterminate", validation=FAILED) for d in ev.dane
        ),
    }


def _dialog_error(d: DialogResult) -> DialogResult:
    return DialogResult(
        host=d.host,
        ip=d.ip,
        port=d.port,
        proto=d.proto,
        tls_mode=d.tls_mode,
        source=d.source,
        outcome="timeout",
        reason=FAILED,
    )


def dialogs_variants(ev: Evidence) -> dict[str, tuple[DialogResult, ...]]:
    return {
        "empty": (),
        "error": tuple(_dialog_error(d) for d in ev.dialogs),
        "closed": tuple(
            replace(_dialog_error(d), outcome="closed", reason="connection closed by the server") for d in ev.dialogs
        ),
        "unknown-fields": tuple(_unknown(d) for d in ev.dialogs),
    }


def _tls_error(t: TlsScan) -> TlsScan:
    return TlsScan(
        host=t.host,
        ip=t.ip,
        port=t.port,
        proto=t.proto,
        tls_mode=t.tls_mode,
        protocols={v: None for v in t.protocols},
        errors=(f"connect: {FAILED}",),
        vulnerabilities=tuple(VulnResult(v.name, "error", FAILED) for v in t.vulnerabilities),
    )


def tls_variants(ev: Evidence) -> dict[str, tuple[TlsScan, ...]]:
    return {
        "empty": (),
        "error": tuple(_tls_error(t) for t in ev.tls),
        "unknown-fields": tuple(
            replace(_unknown(t), vulnerabilities=tuple(replace(v, status="not-run") for v in t.vulnerabilities))
            for t in ev.tls
        ),
        "throttled": tuple(
            replace(_tls_error(t), throttled_after=0, incomplete=tuple(f"suites:{v}" for v in t.protocols))
            for t in ev.tls
        ),
    }


def claims_variants(ev: Evidence) -> dict[str, Any]:
    c = ev.claims
    assert c is not None
    return {"none": None, "emptied": replace(c, claims=(), understood=(), not_understood=(), cited_law=())}


def _family_error(f: LogFamily) -> LogFamily:
    return LogFamily(family=f.family, present=True, errors=(f"/etc/logrotate.d/{f.family}: {FAILED}",))


def host_variants(ev: Evidence) -> dict[str, HostEvidence | None]:
    h = ev.host
    assert h is not None
    areas = ("logs", "transport", "inventory", "backup", "host")
    errors = tuple(HostError(a, f"/etc/{a}.conf: {FAILED}") for a in areas)
    error = HostEvidence(
        root=h.root,
        collected_at=h.collected_at,
        logs=tuple(_family_error(f) for f in h.logs),
        databases=tuple(
            UserDatabase(d.dsn_redacted, d.engine, d.found_in, d.given, None, FAILED, d.purpose) for d in h.databases
        ),
        errors=errors,
    )
    emptied = replace(
        h,
        logs=tuple(replace(_unknown(f), targets=tuple(_unknown(t) for t in f.targets)) for f in h.logs),
        databases=tuple(_unknown(d) for d in h.databases),
        pass_schemes=(),
    )
    return {
        "none": None,
        "error": error,
        "emptied": emptied,
        "only-errors": HostEvidence(root=h.root, collected_at=h.collected_at, errors=errors),
    }


VARIANTS: dict[str, Callable[[Evidence], dict[str, Any]]] = {
    "discovery": discovery_variants,
    "mail_dns": mail_dns_variants,
    "dane": dane_variants,
    "dialogs": dialogs_variants,
    "tls": tls_variants,
    "claims": claims_variants,
    "host": host_variants,
}


def _with(ev: Evidence, section: str, value: Any) -> Evidence:
    ev = replace(ev, **{section: value})
    if section == "discovery":  # as collect() does: no discovery, no probes of what it would have found
        ev = replace(ev, mail_dns=None, dane=(), dialogs=(), tls=())
    if section == "claims" and value is None:
        ev = replace(
            ev, input_errors=(*ev.input_errors, InputError(Need.STATEMENT, f"privacy statement not used: {FAILED}"))
        )
    return ev


@pytest.mark.parametrize("section", list(VARIANTS))
def test_a_failed_section_never_passes_its_checks(baseline: Evidence, section: str) -> None:
    checks = all_checks()
    lies: list[str] = []
    for name, value in VARIANTS[section](baseline).items():
        findings = evaluate(checks, _with(baseline, section, value))
        crashed = [f"{f.check_id}: {f.detail}" for f in findings if f.detail.startswith("check crashed")]
        lies += [f"[{section}={name}] {p}" for p in passes(findings, NARROWER.get((section, name), FEEDS[section]))]
        lies += [f"[{section}={name}] CRASH {c}" for c in crashed]
    assert not lies, "\n".join(lies)


def test_everything_failed_at_once_passes_nothing(baseline: Evidence) -> None:
    """Every section failed in the same way at once: not a single finding may pass."""
    checks = all_checks()
    kinds = ("error", "none", "empty")
    lies: list[str] = []
    for kind in kinds:
        ev = baseline
        for section, make in VARIANTS.items():
            variants = make(baseline)
            choice = kind if kind in variants else next(iter(variants))
            ev = _with(ev, section, variants[choice])
        lies += [
            f"[all={kind}] {f.check_id} {f.subject}: {f.detail}"
            for f in evaluate(checks, ev)
            if f.status == Status.PASS
        ]
    assert not lies, "\n".join(lies)


# ---------------------------------------------------------------- failing collectors in collect()


def _boom(*args: object, **kwargs: object) -> Any:
    raise RuntimeError("injected collector crash")


def _options(lab: LabInfo, tmp: Path) -> ScanOptions:
    return ScanOptions(
        domain=lab.domain("good"),
        resolver=lab.resolver,
        ca_file=str(lab.ca_file),
        timeout=30,
        trust_anchor=lab.trust_anchor,
        statement=str(lab.root / "statement" / "datenschutz.md"),
        host_root=lab.root / "run" / "hostroot" / "compliant",
    )


def _error_collectors(monkeypatch: pytest.MonkeyPatch, baseline: Evidence) -> None:
    """Replace every collaborator of ``collect`` by one returning error-valued evidence."""
    ok_disc = baseline.discovery
    monkeypatch.setattr(collect_mod, "discover", lambda *a, **k: ok_disc)
    monkeypatch.setattr(collect_mod, "collect_mail_dns", lambda *a, **k: mail_dns_variants(baseline)["error"])
    monkeypatch.setattr(collect_mod, "collect_dane", lambda *a, **k: dane_variants(baseline)["error"])
    monkeypatch.setattr(endpoints_mod, "collect_dialogs", lambda *a, **k: dialogs_variants(baseline)["error"])
    monkeypatch.setattr(endpoints_mod, "collect_tls", lambda *a, **k: tls_variants(baseline)["error"])
    monkeypatch.setattr(collect_mod, "load_statement", _statement_error)
    if hasattr(collect_mod, "collect_host"):
        monkeypatch.setattr(collect_mod, "collect_host", lambda *a, **k: host_variants(baseline)["error"])


def _statement_error(*args: object, **kwargs: object) -> Any:
    raise collect_mod.StatementError(f"datenschutz.md: {FAILED}")


def test_collectors_returning_errors_pass_nothing(
    lab: LabInfo, baseline: Evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _error_collectors(monkeypatch, baseline)
    evidence = collect(_options(lab, tmp_path))
    findings = evaluate(all_checks(), evidence)
    lies = [f"{f.check_id} {f.subject}: {f.detail}" for f in findings if f.status == Status.PASS]
    assert not lies, "\n".join(lies)
    assert any(f.status == Status.ERROR for f in findings)


# The probe phase (dialogs, TLS) is the collaborator of auditor.collectors.endpoints, which
# collect() and the fleet share; the rest are auditor.collect's own.
OWNERS = {"collect_dialogs": endpoints_mod, "collect_tls": endpoints_mod}

COLLABORATORS = [
    "discover",
    "collect_mail_dns",
    "collect_dane",
    "collect_dialogs",
    "collect_tls",
    "load_statement",
    "extract_claims",
    "collect_host",
]


def _replayed_probes(patch: pytest.MonkeyPatch, baseline: Evidence) -> None:
    """The endpoint probes answer from the baseline's evidence (suite time: a collaborator that
    is not a probe crashes in the run, the probes around it need not be repeated for real)."""

    def ours(endpoints: Sequence[Endpoint]) -> set[tuple[str, int]]:
        return {(e.addresses[0], e.port) for e in endpoints}

    patch.setattr(
        endpoints_mod,
        "collect_dialogs",
        lambda endpoints, **_: tuple(d for d in baseline.dialogs if (d.ip, d.port) in ours(endpoints)),
    )
    patch.setattr(
        endpoints_mod,
        "collect_tls",
        lambda endpoints, **_: tuple(t for t in baseline.tls if (t.ip, t.port) in ours(endpoints)),
    )


def test_a_crashing_collector_does_not_sink_the_audit(
    lab: LabInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, baseline: Evidence
) -> None:
    """STYLE/DESIGN: an exception in one collector becomes an error value and the rest of the
    audit goes on; nothing that collector should have seen passes. One collaborator at a time."""
    section = {
        "discover": "discovery",
        "collect_mail_dns": "mail_dns",
        "collect_dane": "dane",
        "collect_dialogs": "dialogs",
        "collect_tls": "tls",
        "load_statement": "claims",
        "extract_claims": "claims",
        "collect_host": "host",
    }
    problems: list[str] = []
    checks = all_checks()
    for name in COLLABORATORS:
        owner = OWNERS.get(name, collect_mod)
        if not hasattr(owner, name):
            problems.append(f"{name}: not a collaborator of {owner.__name__} (host collection not wired in?)")
            continue
        with monkeypatch.context() as patch:
            if owner is not endpoints_mod:
                _replayed_probes(patch, baseline)
            patch.setattr(owner, name, _boom)
            try:
                evidence = collect(_options(lab, tmp_path))
            except RuntimeError as exc:
                problems.append(f"{name}: collect() let the crash escape ({exc!r}): the whole audit is lost (exit 5)")
                continue
        findings = evaluate(checks, evidence)
        problems += [f"{name}: passes {p}" for p in passes(findings, FEEDS[section[name]])]
    assert not problems, "\n".join(problems)
