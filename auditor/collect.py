"""Run the collectors once, concurrently, under one time budget, into an Evidence bundle.

This is the only place that does I/O for an audit. Every collector failure is
recorded inside the evidence (errors as values); nothing here raises for a bad target.
The time budget (``--timeout``) is one :class:`~auditor.deadline.Deadline` handed to
every collector: each DNS lookup, connection, handshake and read ends by it, so the
whole collection ends by it (plus the few seconds a wait needs to notice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from auditor.claims import StatementError, extract_claims, load_statement, read_claims_yaml
from auditor.collectors.clientconfig import discover_client_side, merge_endpoints
from auditor.collectors.dane import collect_dane
from auditor.collectors.discovery import discover
from auditor.collectors.dnsclient import DnsClient, ResolverSpec
from auditor.collectors.dnssec import check_name, validator_for
from auditor.collectors.endpoints import ProbeSettings, assemble, probe_locally, service_keys, units_of
from auditor.collectors.host.collect import collect_host
from auditor.collectors.limiter import LocalLimiter
from auditor.collectors.mail_dns import collect_mail_dns
from auditor.collectors.shared import SharedLookups
from auditor.deadline import Deadline
from auditor.dnspolicy import parse_sts_record
from auditor.evidence import EVIDENCE_SCHEMA_VERSION, Evidence, InputError, Target
from auditor.evidence.network import DaneLookup, Discovery, DnsAnswer, MxHost, PreviousPolicy
from auditor.models import InputFile, Need
from auditor.printable import printable_tree
from auditor.state import StateStore

StepCallback = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ScanOptions:
    domain: str | None
    services: tuple[str, ...] = ()
    resolver: str | None = None
    ca_file: str | None = None
    timeout: float = 300.0
    network: bool = True
    state_dir: Path | None = None
    host_root: Path | None = None
    statement: str | None = None
    claims_file: Path | None = None
    trust_anchor: Path | None = None
    db: str | None = None
    db_password: str | None = field(default=None, repr=False)  # from --db-password-env/-file; never shown
    #: --db-from-config: read server databases the host's configs name, with their credentials (opt-in)
    db_from_config: bool = False
    per_ip_budget: int | None = None
    per_ip_pace: float = 0.05
    per_ip_concurrency: int = 2
    #: False when no selected check reads endpoint probes: DNS and policies only, no connections
    probe_endpoints: bool = True
    extra_inputs: tuple[InputFile, ...] = field(default=())


def file_input(kind: str, path: Path) -> InputFile:
    """Digest of an input file, streamed so a large statement does not sit in memory twice."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return InputFile(kind=kind, name=str(path), sha256=digest.hexdigest(), size=size)


def collect(options: ScanOptions, on_step: StepCallback | None = None) -> Evidence:
    """One domain's audit: local inputs, the domain's DNS, then its own endpoints.

    A fleet runs the same steps (:func:`collect_inputs`, :func:`plan_network`, then
    :func:`~auditor.collectors.endpoints.assemble` and :func:`finish`) but probes each
    endpoint once for all its domains; this is the single-domain case of that code.
    """
    step = on_step or (lambda _name: None)
    deadline = Deadline.after(options.timeout)
    evidence, statement_text = collect_inputs(options, deadline, step)
    if evidence.network and options.domain:
        store = StateStore(options.state_dir) if options.state_dir else None
        previous = previous_policy(store, options.domain) if store else None
        evidence = plan_network(evidence, options, deadline, step, previous=previous, statement_text=statement_text)
        if options.probe_endpoints:
            keys = service_keys(evidence)
            if evidence.discovery is not None and evidence.discovery.endpoints:
                step(f"STARTTLS dialogs and TLS ({len(keys)} endpoints)")
            limiter = LocalLimiter(options.per_ip_concurrency, options.per_ip_pace)
            evidence = assemble(evidence, probe_locally(units_of(keys), probe_settings(options), limiter, deadline))
        else:
            evidence = replace(evidence, endpoints_probed=False)
        if store is not None:
            remember_policy(store, evidence)
    return finish(evidence)


def finish(evidence: Evidence) -> Evidence:
    """The boundary where evidence leaves the collectors: undecodable file names and
    control characters become visible escapes (and the bundle can be written as JSON)."""
    return printable_tree(evidence)


def probe_settings(options: ScanOptions) -> ProbeSettings:
    return ProbeSettings(
        ca_file=options.ca_file,
        timeout=options.timeout,
        per_ip_budget=options.per_ip_budget,
        per_ip_pace=options.per_ip_pace,
        per_ip_concurrency=options.per_ip_concurrency,
    )


def collect_inputs(options: ScanOptions, deadline: Deadline, step: StepCallback) -> tuple[Evidence, str | None]:
    """What the run reads locally: the statement or claims file, and the host root.

    Returns the evidence and the statement's text (the webmail host it names is probed).
    """
    collected_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    target = Target(
        domain=options.domain,
        services=options.services,
        resolver=options.resolver,
        ca_file=options.ca_file,
        host_root=str(options.host_root) if options.host_root else None,
        statement=options.statement,
    )
    evidence = Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at=collected_at,
        target=target,
        network=bool(options.network and options.domain),
        inputs=options.extra_inputs,
    )
    statement_text: list[str] = []  # the statement's text, for the webmail host it names
    if options.claims_file is not None or options.statement:
        step("privacy statement")
        evidence = _guarded(
            Need.STATEMENT, "statement", evidence, lambda: _collect_claims(evidence, options, deadline, statement_text)
        )
    if options.host_root is not None:
        step("host configuration, logs and user database")
        remaining = max(5.0, deadline.remaining())
        root = options.host_root

        def host() -> Evidence:
            return replace(
                evidence,
                host=collect_host(
                    root,
                    db=options.db,
                    db_password=options.db_password,
                    db_from_config=options.db_from_config,
                    collected_at=datetime.fromisoformat(collected_at),
                    timeout=min(remaining, options.timeout),
                ),
            )

        evidence = _guarded(Need.HOST, "host", evidence, host)
    return evidence, (statement_text[0] if statement_text else None)


def failed_input(need: Need, reason: str) -> InputError:
    """How an input that was asked for but could not be used is recorded in the evidence."""
    return InputError(need, reason)


def _guarded(need: Need, name: str, evidence: Evidence, run: Callable[[], Evidence]) -> Evidence:
    """Run one collector; an exception becomes an error value for the input it serves.

    Collectors return errors as values already; this is the last line of defence so
    that a bug in one of them costs that section, never the whole audit.
    """
    try:
        return run()
    except Exception as exc:  # errors as values: the rest of the audit goes on
        reason = f"the {name} collector failed: {type(exc).__name__}: {str(exc)[:300]}"
        return replace(evidence, input_errors=(*evidence.input_errors, failed_input(need, reason)))


def _collect_claims(evidence: Evidence, options: ScanOptions, deadline: Deadline, text_out: list[str]) -> Evidence:
    """A reviewed claims file is authoritative; otherwise claims are extracted on the fly."""
    inputs = list(evidence.inputs)
    if options.claims_file is not None:
        claims = read_claims_yaml(options.claims_file)  # validated by the CLI before collection
        inputs.append(file_input("claims", options.claims_file))
        return replace(evidence, claims=claims, inputs=tuple(inputs))
    assert options.statement is not None
    try:
        # --resolver governs the statement's URL too
        dns = DnsClient(ResolverSpec.parse(options.resolver), deadline=deadline)
        text = load_statement(options.statement, ca_file=options.ca_file, dns_client=dns, deadline=deadline)
    except StatementError as exc:
        reason = f"privacy statement not used: {exc}"
        return replace(evidence, input_errors=(*evidence.input_errors, failed_input(Need.STATEMENT, reason)))
    claims = extract_claims(text)
    text_out.append(text.text)
    inputs.append(
        InputFile(kind="statement", name=options.statement, sha256=claims.sha256, size=len(text.text.encode()))
    )
    return replace(evidence, claims=claims, inputs=tuple(inputs))


def plan_network(
    evidence: Evidence,
    options: ScanOptions,
    deadline: Deadline,
    step: StepCallback,
    *,
    previous: PreviousPolicy | None = None,
    shared: SharedLookups | None = None,
    statement_text: str | None = None,
) -> Evidence:
    """The per-domain half of the network collection: where the services are and what DNS says of them.

    Talks only to DNS and the few HTTPS hosts discovery reads (MTA-STS policy, client
    configuration); the services it finds are probed afterwards by the caller, once per
    run (:mod:`auditor.collectors.endpoints`). ``shared`` memoises DNS answers and DANE
    lookups across the domains of a fleet.
    """
    assert options.domain is not None
    dns = DnsClient(ResolverSpec.parse(options.resolver), deadline=deadline, shared=shared.dns if shared else None)
    evidence, go_on = _discovery_phase(evidence, options.domain, dns, options, deadline, step, statement_text)
    if not go_on or evidence.discovery is None:
        return evidence
    return _dns_phase(evidence, evidence.discovery, dns, options, deadline, step, previous, shared)


def _discovery_phase(
    evidence: Evidence,
    domain: str,
    dns: DnsClient,
    options: ScanOptions,
    deadline: Deadline,
    step: StepCallback,
    statement_text: str | None,
) -> tuple[Evidence, bool]:
    """MX, SRV and the user's services, then the client side; False when the domain cannot be audited."""
    step("discovery")
    try:
        discovery = discover(domain, dns, options.services)
    except Exception as exc:  # errors as values: recorded as a failed MX lookup
        reason = f"discovery failed: {type(exc).__name__}: {str(exc)[:300]}"
        failed = DnsAnswer(domain, "MX", "error", error=reason)
        found = Discovery(domain=domain, resolver=str(dns.spec), mx=failed, fatal=reason)
        return replace(evidence, discovery=found), False
    evidence = replace(evidence, discovery=discovery)
    if discovery.fatal and discovery.mx.status not in ("ok", "nodata"):
        # The domain does not exist or DNS is unusable: asking for its TXT records would
        # only turn one clear error into many misleading "record missing" failures.
        return evidence, False
    step("client configuration and webmail")
    evidence = _guarded(
        Need.NETWORK,
        "client-side discovery",
        evidence,
        lambda: replace(
            evidence, discovery=_with_client_side(discovery, dns, options.ca_file, deadline, statement_text)
        ),
    )
    return evidence, True


def _dns_phase(
    evidence: Evidence,
    discovery: Discovery,
    dns: DnsClient,
    options: ScanOptions,
    deadline: Deadline,
    step: StepCallback,
    previous: PreviousPolicy | None,
    shared: SharedLookups | None,
) -> Evidence:
    """MTA-STS, TLS-RPT, SPF, DMARC, DNSSEC and DANE: what the domain's DNS says."""
    step("MTA-STS, TLS-RPT, SPF, DMARC")
    evidence = _guarded(
        Need.NETWORK,
        "MTA-STS/TLS-RPT/SPF/DMARC",
        evidence,
        lambda: replace(
            evidence,
            mail_dns=collect_mail_dns(
                discovery.domain, dns, ca_file=options.ca_file, timeout=15.0, previous=previous, deadline=deadline
            ),
        ),
    )
    step("DNSSEC of the zone and the MTA-STS record")
    evidence = _guarded(Need.NETWORK, "DNSSEC", evidence, lambda: _with_dnssec(evidence, dns, options.trust_anchor))
    if discovery.mx_hosts:
        step("DANE TLSA")
        evidence = _guarded(
            Need.NETWORK,
            "DANE",
            evidence,
            lambda: replace(evidence, dane=_dane(discovery.mx_hosts, dns, options.trust_anchor, shared)),
        )
    return evidence


def _dane(
    mx_hosts: tuple[MxHost, ...], dns: DnsClient, trust_anchor: Path | None, shared: SharedLookups | None
) -> tuple[DaneLookup, ...]:
    if shared is None:
        return collect_dane(mx_hosts, dns, trust_anchor=trust_anchor)

    # A TLSA lookup depends on the MX name only: one per name for the whole fleet.
    def one(host: MxHost) -> DaneLookup:
        return collect_dane((host,), dns, trust_anchor=trust_anchor)[0]

    return tuple(shared.dane.fetch(f"{dns.spec}|{host.name}|{trust_anchor}", partial(one, host)) for host in mx_hosts)


def _with_dnssec(evidence: Evidence, dns: DnsClient, trust_anchor: Path | None) -> Evidence:
    """Our own DNSSEC verdicts on the domain's MX answer (the zone itself) and its MTA-STS TXT."""
    validator = validator_for(dns, trust_anchor)

    def judged(answer: DnsAnswer) -> DnsAnswer:
        verdict = check_name(validator, answer.name, answer.rdtype)
        return replace(answer, dnssec=verdict.state, dnssec_reason=verdict.reason)

    discovery, mail_dns = evidence.discovery, evidence.mail_dns
    if discovery is not None:
        discovery = replace(discovery, mx=judged(discovery.mx))
    if mail_dns is not None:
        mail_dns = replace(mail_dns, mta_sts_record=judged(mail_dns.mta_sts_record))
    return replace(evidence, discovery=discovery, mail_dns=mail_dns)


def _with_client_side(
    discovery: Discovery, dns: DnsClient, ca_file: str | None, deadline: Deadline, statement_text: str | None
) -> Discovery:
    """Discovery plus the endpoints mail clients and webmail users are sent to."""
    if discovery.null_mx and not discovery.mx_hosts and not discovery.endpoints:
        return discovery  # RFC 7505: the domain says it has no mail service
    found, fetches = discover_client_side(
        discovery.domain, dns, ca_file=ca_file, deadline=deadline, statement_text=statement_text
    )
    return replace(discovery, endpoints=merge_endpoints(discovery.endpoints, found), client_config=fetches)


def previous_policy(store: StateStore, domain: str) -> PreviousPolicy | None:
    saved = store.load(domain).get("mta_sts")
    if not isinstance(saved, dict):
        return None
    return PreviousPolicy(policy_id=saved.get("id"), body_sha256=saved.get("sha256"), seen_at=saved.get("seen_at"))


def remember_policy(store: StateStore, evidence: Evidence) -> None:
    """Keep the MTA-STS policy id and digest seen now, for the next run's comparison."""
    mail = evidence.mail_dns
    if evidence.discovery is None:
        return
    domain = evidence.discovery.domain
    if mail is None or mail.mta_sts_policy is None or not mail.mta_sts_policy.ok:
        return
    state = store.load(domain)
    state["mta_sts"] = {
        "id": parse_sts_record(mail.mta_sts_record.records).policy_id,
        "sha256": hashlib.sha256((mail.mta_sts_policy.body or "").encode()).hexdigest(),
        "seen_at": evidence.collected_at,
    }
    store.save(domain, state)
