"""TLS grading: versions, suites, key exchange, certificate and known vulnerabilities.

Each check reads the TLS scans of the evidence (one per endpoint and IP) and grades them
with the selected profile (``--profile``, default BSI TR-02102-2, see
``auditor.profiles``). Transport encryption is the measure GDPR Art. 32(1)(a) names and
the DSK e-mail guidance expects "as TR-02102-2 recommends"; a scan that was throttled,
cut short or could not connect proves nothing, so it yields ``error``, never ``pass`` —
unless what *was* seen already shows a defect, which is then reported as such.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from auditor.evidence.outcomes import ErrorKind
from auditor.evidence.tls import TLS12, VERSIONS, CertificateObservation, TlsScan
from auditor.models import Location, Message, Need, Observation, Outcome, ParamValue, Severity, Status, joined, msg
from auditor.profiles import Profile, Rating, rate, rate_key
from auditor.registry import CheckContext, check

EXPIRY_WARNING = timedelta(days=30)


def _where(scan: TlsScan) -> Location:
    return Location(host=scan.ip, port=scan.port)


def _setup(ctx: CheckContext) -> tuple[list[TlsScan], Outcome | None]:
    """The scans, or the single error outcome explaining why there are none."""
    subject = ctx.evidence.target.domain or "-"
    scans = list(ctx.evidence.tls)
    if not scans:
        discovery = ctx.evidence.discovery
        if discovery is not None and any(e.tls != "none" for e in discovery.endpoints):
            return [], Outcome(Status.ERROR, subject, msg("tls.no-results"))
    return scans, None


def _unverifiable(scan: TlsScan) -> Outcome | None:
    """ERROR for scans that never completed a handshake (closed, refused, throttled)."""
    if scan.reachable:
        return None
    reason: str | Message = scan.errors[0] if scan.errors else msg("tls.no-handshake")
    if scan.throttled_after is not None:
        reason = msg("tls.throttled-reason", connections=scan.throttled_after, reason=reason)
    seen = Observation(msg("tls.obs.connections"), str(scan.connections), _where(scan))
    return Outcome(Status.ERROR, scan.subject, reason, (seen,))


def _per_scan(ctx: CheckContext, grade: Callable[[Profile, TlsScan], Iterator[Outcome]]) -> Iterator[Outcome]:
    """``grade`` for every scan that completed a handshake, with the profile; an error
    outcome in place of each scan that did not, or the single error why there are none."""
    scans, problem = _setup(ctx)
    if problem is not None:
        yield problem
        return
    profile = ctx.profile
    for scan in scans:
        err = _unverifiable(scan)
        if err is not None:
            yield err
        else:
            yield from grade(profile, scan)


# Why a scan ended early by our own limits, said from its kind (never from the message).
_STOPPED_BY_US = {ErrorKind.BUDGET: "tls.stopped.budget", ErrorKind.DEADLINE: "tls.stopped.deadline"}


def _gap(scan: TlsScan, prefix: str) -> Message | None:
    """Why the part ``prefix`` of a scan is incomplete, or None when it is complete."""
    parts = [i for i in scan.incomplete if i.startswith(prefix) or i == "all"]
    if not parts:
        return None
    stopped = scan.stopped
    why: str | Message
    if scan.throttled_after is not None:
        why = msg("tls.throttled-after", connections=scan.throttled_after)
    elif stopped is not None and stopped.kind in _STOPPED_BY_US:
        why = msg(_STOPPED_BY_US[stopped.kind], connections=scan.connections)
    else:
        why = scan.errors[-1] if scan.errors else msg("tls.scan-incomplete")
    return msg("tls.gap", why=why, parts=", ".join(parts))


def _describe(rating: Rating) -> Message:
    """The rating in the report's language: its class, and until when where the profile says."""
    cls = msg(f"tls.rating.{rating.cls}")
    if rating.valid_until is None:
        return cls
    if rating.expired:
        return msg("tls.rating.expired", cls=cls, until=rating.valid_until)
    return msg("tls.rating.until", cls=cls, until=rating.valid_until, open="+" if rating.open_ended else "")


def _grade(
    scan: TlsScan,
    rated: list[tuple[str | Message, Rating]],
    gap: Message | None,
    what: Message,
    fail_severity: Severity = Severity.HIGH,
) -> Outcome:
    """Worst class decides; a gap without a defect is an error, never a pass."""
    where = _where(scan)
    obs = tuple(Observation(name, _describe(rating), where) for name, rating in rated)
    bad: list[ParamValue] = [n for n, r in rated if r.cls == "insufficient"]
    weak: list[ParamValue] = [n for n, r in rated if r.cls == "phase-out"]
    tail = msg("tls.note", gap=gap) if gap else ""
    if bad:
        insufficient = msg("tls.insufficient", what=what, names=joined(bad, ", "), tail=tail)
        return Outcome(Status.FAIL, scan.subject, insufficient, obs, fail_severity)
    if gap:
        return Outcome(Status.ERROR, scan.subject, msg("tls.not-all-established", what=what, gap=gap), obs)
    if weak:
        phase_out = msg("tls.phase-out", what=what, names=joined(weak, ", "))
        return Outcome(Status.WARN, scan.subject, phase_out, obs, Severity.MEDIUM)
    if not rated:
        return Outcome(Status.ERROR, scan.subject, msg("tls.none-observed", what=what), obs)
    return Outcome(Status.PASS, scan.subject, msg("tls.all-acceptable", count=len(rated), what=what), obs)


@check("tls.protocols", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def tls_protocols(ctx: CheckContext) -> Iterator[Outcome]:
    """Per endpoint and IP. Pass: every accepted protocol version is recommended or
    acceptable in the profile. Warn: a version to phase out is accepted. Fail: an
    insufficient version (SSLv3, TLS 1.0/1.1 under BSI and NCSC) is accepted. Error: no
    handshake, or a version's support is unknown (throttled, budget, deadline). Old
    versions have known attacks and no modern AEAD suites (BSI TR-02102-2 §3.2)."""
    year = ctx.evidence.now.year

    def grade(profile: Profile, scan: TlsScan) -> Iterator[Outcome]:
        rated: list[tuple[str | Message, Rating]] = [
            (v, rate(profile, "protocols", v, year=year)) for v in VERSIONS if scan.protocols.get(v)
        ]
        yield _grade(scan, rated, _gap(scan, "protocol:"), msg("tls.what.protocols", profile=profile.label))

    yield from _per_scan(ctx, grade)


@check("tls.cipher-suites", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def tls_cipher_suites(ctx: CheckContext) -> Iterator[Outcome]:
    """Per endpoint and IP. Pass: every accepted suite (all versions, enumerated by
    elimination) is recommended or acceptable in the profile. Warn: suites to phase out.
    Fail: insufficient suites (no forward secrecy, CBC with SHA-1, 3DES, RC4, ...). Error:
    enumeration incomplete and no defect seen. Weak suites let an attacker who records
    traffic today decrypt it later, which Art. 32 GDPR's state of the art excludes."""
    year = ctx.evidence.now.year

    def grade(profile: Profile, scan: TlsScan) -> Iterator[Outcome]:
        rated: dict[str, Rating] = {}
        for version in VERSIONS:
            for suite in scan.suites.get(version, ()):
                rated.setdefault(suite.name, rate(profile, "suites", suite.name, year=year))
        gap = _gap(scan, "suites:") or _gap(scan, "protocol:")
        yield _grade(scan, list(sorted(rated.items())), gap, msg("tls.what.suites", profile=profile.label))

    yield from _per_scan(ctx, grade)


@check("tls.key-exchange", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def tls_key_exchange(ctx: CheckContext) -> Iterator[Outcome]:
    """Per endpoint and IP. Grades the named groups the server accepts (by elimination)
    and the sizes of the ephemeral keys seen: DH group size of DHE suites, ECDH size.
    Pass: all recommended or acceptable. Warn: phase-out. Fail: insufficient (e.g. a
    1024-bit DH group, Logjam-class). Error: groups not established and no defect seen.
    Forward secrecy is only as strong as its key exchange (TR-02102-2 Tables 5 and 13)."""
    year = ctx.evidence.now.year

    def grade(profile: Profile, scan: TlsScan) -> Iterator[Outcome]:
        # keyed by the English label, which orders the items as before
        rated: dict[str, tuple[Message, Rating]] = {}
        for group in scan.groups:
            rated[f"group {group}"] = (msg("tls.item.group", group=group), rate(profile, "groups", group, year=year))
        for version in VERSIONS:
            for suite in scan.suites.get(version, ()):
                share = suite.key_share
                if share is None:
                    continue
                label = f"{share.kind} {share.bits} bit" + (f" ({share.group})" if share.group else "")
                item = (
                    msg("tls.item.key-share-group", kind=share.kind, bits=share.bits, group=share.group)
                    if share.group
                    else msg("tls.item.key-share", kind=share.kind, bits=share.bits)
                )
                rated.setdefault(label, (item, rate_key(profile, share.kind, share.bits, year=year)))
        what = msg("tls.what.key-exchange", profile=profile.label)
        items: list[tuple[str | Message, Rating]] = [rated[k] for k in sorted(rated)]
        yield _grade(scan, items, _gap(scan, "groups"), what)

    yield from _per_scan(ctx, grade)


def _cert_outcomes(scan: TlsScan, profile: Profile, now: datetime) -> Iterator[Outcome]:
    """The certificate's four outcomes: validity, chain trust, host name, key and signatures."""
    cert = scan.certificate
    assert cert is not None
    leaf = cert.chain[0]
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    ident = Observation(
        msg("tls.obs.leaf"), f"{leaf.subject}; SAN {', '.join(leaf.san_dns) or '-'}; issuer {leaf.issuer}", _where(scan)
    )
    yield _validity(scan, leaf.not_before, leaf.not_after, now, ident)
    yield _trust(scan, cert, ident)
    yield _hostname(scan, cert, ident)
    yield _crypto(scan, cert, profile, now.year)


def _validity(scan: TlsScan, not_before: str, not_after: str, now: datetime, ident: Observation) -> Outcome:
    """Expired or not yet valid: fail; within 30 days of expiry: warn (relative to the collection time)."""
    until, since = datetime.fromisoformat(not_after), datetime.fromisoformat(not_before)
    seen = (ident, Observation(msg("tls.obs.validity"), f"{not_before} .. {not_after}", _where(scan)))
    if now > until:
        return Outcome(
            Status.FAIL, scan.subject, msg("tls.cert.expired", date=not_after), seen, Severity.HIGH, key="validity"
        )
    if now < since:
        early = msg("tls.cert.not-yet-valid", date=not_before)
        return Outcome(Status.FAIL, scan.subject, early, seen, Severity.HIGH, key="validity")
    if until - now <= EXPIRY_WARNING:
        soon = msg("tls.cert.expires-soon", days=(until - now).days, date=not_after)
        return Outcome(Status.WARN, scan.subject, soon, seen, Severity.MEDIUM, key="validity")
    return Outcome(Status.PASS, scan.subject, msg("tls.cert.valid", date=not_after), seen, key="validity")


def _mx_note(scan: TlsScan) -> str | Message:
    return msg("tls.cert.mx-note") if scan.port == 25 else ""


def _trust(scan: TlsScan, cert: CertificateObservation, ident: Observation) -> Outcome:
    """Untrusted chain: fail, a warning on port 25 (opportunistic TLS; DANE authenticates the MX)."""
    seen = (ident, Observation(msg("tls.obs.trust-store"), cert.trust_store, _where(scan)))
    if cert.trusted is None:
        unknown = msg("tls.cert.trust-unknown", error=cert.trust_error or "")
        return Outcome(Status.ERROR, scan.subject, unknown, seen, key="trust")
    if cert.trusted:
        return Outcome(Status.PASS, scan.subject, msg("tls.cert.trusted"), seen, key="trust")
    mx = scan.port == 25
    untrusted = msg("tls.cert.untrusted", error=cert.trust_error or "", note=_mx_note(scan))
    severity = Severity.MEDIUM if mx else Severity.HIGH
    return Outcome(Status.WARN if mx else Status.FAIL, scan.subject, untrusted, seen, severity, key="trust")


def _hostname(scan: TlsScan, cert: CertificateObservation, ident: Observation) -> Outcome:
    """Leaf names the host: pass; does not: fail (a warning on port 25, as for trust)."""
    seen = (ident, Observation(msg("tls.obs.expected-name"), cert.hostname, _where(scan)))
    if cert.hostname_matches is None:
        return Outcome(Status.ERROR, scan.subject, msg("tls.cert.name-unknown"), seen, key="hostname")
    if cert.hostname_matches:
        return Outcome(Status.PASS, scan.subject, msg("tls.cert.name-ok", name=cert.hostname), seen, key="hostname")
    mx = scan.port == 25
    mismatch = msg("tls.cert.name-mismatch", name=cert.hostname, note=_mx_note(scan))
    severity = Severity.MEDIUM if mx else Severity.HIGH
    return Outcome(Status.WARN if mx else Status.FAIL, scan.subject, mismatch, seen, severity, key="hostname")


def _crypto(scan: TlsScan, cert: CertificateObservation, profile: Profile, year: int) -> Outcome:
    """Leaf key size and every signature of the chain, graded by the profile."""
    leaf = cert.chain[0]
    leaf_key = msg("tls.item.leaf-key", kind=leaf.key_type, bits=leaf.key_bits)
    rated: list[tuple[str | Message, Rating]] = [(leaf_key, rate_key(profile, leaf.key_type, leaf.key_bits, year=year))]
    for index, item in enumerate(cert.chain):
        if item.self_issued and index > 0:
            continue  # a trust anchor's own signature protects nothing
        rated.append(
            (
                msg("tls.item.signature", index=index, algorithm=item.signature_algorithm),
                rate(profile, "signatures", item.signature_algorithm, year=year),
            )
        )
    graded = _grade(scan, rated, None, msg("tls.what.certificate", profile=profile.label))
    return Outcome(graded.status, graded.subject, graded.detail, graded.observations, graded.severity, key="crypto")


@check("tls.certificate", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def tls_certificate(ctx: CheckContext) -> Iterator[Outcome]:
    """Per endpoint and IP, four separate outcomes: validity (fail when expired or not
    yet valid, warn within 30 days of expiry, relative to the collection time), chain
    trust (system store or --ca-file), host name match, and key size plus signature
    algorithms graded by the profile. On port 25 an untrusted or wrongly named
    certificate is a warning: SMTP between MTAs is opportunistic and DANE, not the
    WebPKI, authenticates the MX (RFC 7672). Error: no certificate was obtained."""

    def grade(profile: Profile, scan: TlsScan) -> Iterator[Outcome]:
        if scan.certificate is None or not scan.certificate.chain:
            yield Outcome(Status.ERROR, scan.subject, msg("tls.cert.none"), key="validity")
        else:
            yield from _cert_outcomes(scan, profile, ctx.evidence.now)

    yield from _per_scan(ctx, grade)


@check("tls.handshake-signatures", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def tls_handshake_signatures(ctx: CheckContext) -> Iterator[Outcome]:
    """Per endpoint and IP: does the server sign its TLS 1.2 key exchange with SHA-1 when a
    client offers only SHA-1 (one extra handshake with the server's own forward-secret
    suites)? Warn (low) when it does: the TR-02102-2 lists no SHA-1 signature, but only a
    client that offers nothing better gets one, so an attacker needs that client and a
    SHA-1 collision in real time. Measured in the lab: Debian 12's Postfix 3.7 signs with
    SHA-1 on request (also with ``@SECLEVEL=2`` in its cipher list); Dovecot refuses. Pass:
    refused, or no TLS 1.2 key exchange is signed (TLS 1.3 forbids SHA-1 signatures).
    Error: the probe could not run and nothing was seen."""

    def grade(profile: Profile, scan: TlsScan) -> Iterator[Outcome]:
        where = _where(scan)
        leaf = scan.certificate.chain[0] if scan.certificate and scan.certificate.chain else None
        algorithm = "ecdsa-with-SHA1" if leaf is not None and leaf.key_type == "EC" else "sha1WithRSAEncryption"
        if scan.sha1_signatures:
            seen = Observation(msg("tls.sha1.obs"), msg("tls.sha1.signed-with", algorithm=algorithm), where)
            yield Outcome(
                Status.WARN,
                scan.subject,
                msg("tls.sha1.signs", algorithm=algorithm),
                (seen,),
                Severity.LOW,
            )
        elif scan.sha1_signatures is False:
            seen = Observation(msg("tls.sha1.obs"), msg("tls.sha1.handshake-refused"), where)
            yield Outcome(Status.PASS, scan.subject, msg("tls.sha1.refused"), (seen,))
        elif gap := _gap(scan, "signatures:") or _gap(scan, f"suites:{TLS12}") or _gap(scan, f"protocol:{TLS12}"):
            yield Outcome(Status.ERROR, scan.subject, msg("tls.sha1.untested", gap=gap))
        elif scan.protocols.get(TLS12) and not scan.suites.get(TLS12):
            yield Outcome(Status.ERROR, scan.subject, msg("tls.sha1.suites-unknown"))
        else:
            why = msg("tls.sha1.no-fs-suite") if scan.protocols.get(TLS12) else msg("tls.sha1.no-tls12")
            yield Outcome(
                Status.PASS,
                scan.subject,
                msg("tls.sha1.unsigned", why=why),
                (Observation(msg("tls.sha1.obs-signed"), why, where),),
            )

    yield from _per_scan(ctx, grade)


_VULN_SEVERITY = {
    "heartbleed": Severity.CRITICAL,
    "robot": Severity.HIGH,
    "compression": Severity.MEDIUM,
    "secure-renegotiation": Severity.MEDIUM,
    "client-renegotiation": Severity.LOW,
    "fallback-scsv": Severity.LOW,
}


def _vuln_status(status: str) -> str | Message:
    """A probe's status word in the report's language (an unknown one as it is)."""
    known = ("vulnerable", "ok", "not-applicable", "error", "not-run")
    return msg(f"tls.vuln.status.{status}") if status in known else status


@check("tls.vulnerabilities", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def tls_vulnerabilities(ctx: CheckContext) -> Iterator[Outcome]:
    """Per endpoint and IP: Heartbleed, ROBOT, TLS compression (CRIME), missing RFC 5746
    secure renegotiation, client-initiated renegotiation, missing TLS_FALLBACK_SCSV.
    Fail: any of them found (severity of the worst). Error: a probe could not run.
    Pass: all probes ran (or were not applicable, e.g. no RSA key transport for ROBOT).
    These are the attacks the BayLDA's 2014 mail-server sweep and TR-02102-2 §3.3.4 name."""

    def grade(profile: Profile, scan: TlsScan) -> Iterator[Outcome]:
        where = _where(scan)
        obs = tuple(
            Observation(v.name, msg("tls.vuln.named", name=_vuln_status(v.status), detail=v.detail), where)
            for v in scan.vulnerabilities
        )
        found = [v for v in scan.vulnerabilities if v.status == "vulnerable"]
        missing = [v for v in scan.vulnerabilities if v.status in ("error", "not-run")]
        gap = _gap(scan, "vulnerabilit")
        if found:
            worst = max((_VULN_SEVERITY.get(v.name, Severity.MEDIUM) for v in found), key=lambda s: s.rank)
            names = joined([msg("tls.vuln.part", name=v.name, detail=v.detail) for v in found], ", ")
            yield Outcome(Status.FAIL, scan.subject, msg("tls.vuln.found", names=names), obs, worst)
        elif missing or gap or not scan.vulnerabilities:
            listed = joined([msg("tls.vuln.named", name=v.name, detail=v.detail) for v in missing]) if missing else None
            why = listed or gap or msg("tls.vuln.not-run")
            yield Outcome(Status.ERROR, scan.subject, msg("tls.vuln.untested", why=why), obs)
        else:
            yield Outcome(Status.PASS, scan.subject, msg("tls.vuln.none", count=len(obs)), obs)

    yield from _per_scan(ctx, grade)
