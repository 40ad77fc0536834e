"""STARTTLS enforcement and plaintext-credential exposure, from our protocol dialogs.

A mail client or server that talks before TLS can be downgraded by anyone on the
path: an attacker strips ``STARTTLS`` from the capability list, or simply reads
the password a client sends because the server offered ``AUTH``/``LOGIN``/``USER``
in plaintext. GDPR Art. 32(1)(a) names encryption as the measure, Art. 5(1)(f)
requires confidentiality, the DSK guidance on e-mail (2021) sets transport
encryption as the minimum, and BSI TR-03108 requires TLS on every hop. RFC 3207
lets a public MX accept plaintext on port 25 (senders that cannot do TLS must still
deliver), so there only the *offer* of STARTTLS is graded (MTA-STS and DANE grade
the rest); RFC 8314 asks for implicit TLS on 465/993/995.

Every check reports ``error`` with the dialog's reason (refused, timeout,
throttled after N connections, closed after STARTTLS) when it could not verify.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from auditor.evidence.dialogs import DialogResult, Probe
from auditor.evidence.outcomes import ErrorKind
from auditor.models import Location, Message, Need, Observation, Outcome, ParamValue, Severity, Status, msg
from auditor.registry import CheckContext, check

_PLAINTEXT_PROTOS = ("smtp", "submission", "imap", "pop3")
_IMPLICIT_PROTOS = ("submissions", "imaps", "pop3s")


def _dialogs(ctx: CheckContext, protos: Iterable[str]) -> list[DialogResult]:
    wanted = set(protos)
    return [d for d in ctx.evidence.dialogs if d.proto in wanted]


def _plaintext(ctx: CheckContext, protos: Iterable[str]) -> list[DialogResult]:
    return [d for d in _dialogs(ctx, protos) if d.tls_mode != "implicit"]


def _uncollected(ctx: CheckContext, protos: Iterable[str]) -> Iterator[Outcome]:
    """Endpoints discovery found but no dialog result covers (collector failed or never ran):
    each is an ``error``, so a missing dialog can never let a check, or a statement claim
    built on the checks, look clean."""
    wanted = set(protos)
    seen = {(d.host, d.port, d.ip) for d in ctx.evidence.dialogs}
    discovery = ctx.evidence.discovery
    failures = "; ".join(e.reason for e in ctx.evidence.input_errors if e.need is Need.NETWORK)
    reasons: str | Message = failures or msg("starttls.not-collected")
    for endpoint in discovery.endpoints if discovery is not None else ():
        if endpoint.proto not in wanted:
            continue
        for ip in endpoint.addresses or ("-",):  # "-": the dialogue collector's mark for "no address"
            if (endpoint.host, endpoint.port, ip) not in seen:
                yield Outcome(
                    Status.ERROR,
                    f"{endpoint.host}[{ip}]:{endpoint.port}",
                    msg("starttls.uncollected", reasons=reasons),
                    severity=Severity.INFO,
                )


def _where(d: DialogResult) -> Location:
    return Location(host=d.host, port=d.port)


def _obs(d: DialogResult, *probes: Probe | None) -> tuple[Observation, ...]:
    where = _where(d)
    items = [Observation(msg("starttls.obs.address"), d.ip, where)]
    if d.banner:
        items.append(Observation(msg("starttls.obs.greeting"), d.banner, where))
    if d.plain_caps:
        items.append(Observation(msg("starttls.obs.caps"), " | ".join(d.plain_caps), where))
    for probe in probes:
        if probe is not None:
            items.append(Observation(msg("starttls.obs.sent", command=probe.command), probe.reply, where))
    if d.tls is not None:
        items.append(Observation("TLS", f"{d.tls.version} {d.tls.cipher}", where))
    if d.outcome != "ok":
        items.append(Observation(msg("starttls.obs.dialog"), f"{d.outcome}: {d.reason}", where))
    return tuple(items)


def _error(d: DialogResult, what: Message) -> Outcome:
    """Could not verify: never a pass. Severity info (legal map, modifier M3)."""
    detail = msg("starttls.could-not-verify", what=what, reason=d.reason or d.outcome)
    return Outcome(Status.ERROR, d.subject, detail, _obs(d), severity=Severity.INFO)


def _both(parts: list[ParamValue]) -> ParamValue:
    return parts[0] if len(parts) == 1 else msg("starttls.both", first=parts[0], second=parts[1])


def _attempt(probe: Probe | None) -> ParamValue:
    return msg("starttls.auth-attempt-refused", reply=probe.reply) if probe is not None else ""


@check("starttls.offered", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def starttls_offered(ctx: CheckContext) -> Iterator[Outcome]:
    """Every plaintext mail port (25, 587, 143, 110) offers STARTTLS/STLS and it completes.

    Passes when the capability list before TLS names STARTTLS (STLS for POP3) and the
    upgrade succeeds. Fails when it is not offered, or offered and then refused. Errors
    when the dialog ended before the capabilities were read or during the upgrade
    (refused, timeout, throttled, closed after STARTTLS, handshake failure).
    On port 25 of an MX, plaintext acceptance besides STARTTLS is allowed (RFC 3207);
    only the offer is graded there.
    """
    yield from _uncollected(ctx, _PLAINTEXT_PROTOS)
    for d in _plaintext(ctx, _PLAINTEXT_PROTOS):
        verb = "STLS" if d.proto == "pop3" else "STARTTLS"
        mx_note = msg("starttls.mx-note") if d.proto == "smtp" and d.source == "mx" else ""
        if d.starttls_offered is None:
            yield _error(d, msg("starttls.what.offered", verb=verb))
        elif not d.starttls_offered:
            yield Outcome(Status.FAIL, d.subject, msg("starttls.not-offered", verb=verb), _obs(d))
        elif d.starttls == "ok" and d.tls is not None:
            done = msg("starttls.completed", verb=verb, version=d.tls.version, cipher=d.tls.cipher, note=mx_note)
            yield Outcome(Status.PASS, d.subject, done, _obs(d))
        elif d.starttls == "refused":
            yield Outcome(Status.FAIL, d.subject, msg("starttls.refused", verb=verb), _obs(d))
        else:
            state = d.starttls or msg("starttls.not-attempted")
            yield _error(d, msg("starttls.what.completes", verb=verb, state=state))


@check("starttls.auth-before-tls", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def auth_before_tls(ctx: CheckContext) -> Iterator[Outcome]:
    """SMTP (25, 587) neither advertises nor processes AUTH before STARTTLS.

    Sends ``AUTH`` with a bogus credential before TLS (on submission always, on other
    SMTP ports when AUTH is advertised). Fails (critical) when the server evaluates it
    (535/334/235: a real password would have crossed the wire in plaintext); fails
    (medium) when AUTH is advertised before TLS but refused (clients still send
    passwords in the clear before failing). Passes when AUTH is neither advertised
    nor processed. Errors when the dialog ended before this was learnt.
    """
    yield from _uncollected(ctx, ("smtp", "submission"))
    for d in _plaintext(ctx, ("smtp", "submission")):
        probe = d.probe("auth")
        advertised = [c for c in d.plain_caps if c.startswith(("AUTH ", "AUTH="))]
        if probe is not None and probe.verdict in ("processed", "accepted"):
            yield Outcome(
                Status.FAIL,
                d.subject,
                msg("starttls.auth-processed", verdict=probe.verdict, reply=probe.reply),
                _obs(d, probe),
                severity=Severity.CRITICAL,
            )
        elif not d.plain_caps or (d.proto == "submission" and probe is None):
            yield _error(d, msg("starttls.what.auth"))
        elif probe is not None and probe.verdict not in ("refused",):
            yield _error(d, msg("starttls.what.auth-inconclusive", reply=repr(probe.reply)))
        elif advertised:
            yield Outcome(
                Status.FAIL,
                d.subject,
                msg("starttls.auth-advertised", advertised=advertised[0]),
                _obs(d, probe),
                severity=Severity.MEDIUM,
            )
        else:
            yield Outcome(
                Status.PASS,
                d.subject,
                msg(
                    "starttls.auth-ok", attempt=msg("starttls.auth-attempt-refused", reply=probe.reply) if probe else ""
                ),
                _obs(d, probe),
            )


@check("starttls.submission-requires-tls", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def submission_requires_tls(ctx: CheckContext) -> Iterator[Outcome]:
    """Submission (587) refuses mail transactions before STARTTLS.

    Sends ``MAIL FROM`` without TLS and without authentication (then ``RSET``; no
    mail is ever sent). Fails when it is accepted (250): mail content and envelope
    could follow in plaintext. Passes when refused (e.g. 530 "Must issue a STARTTLS
    command first"). Errors when the dialog ended before the probe.
    """
    yield from _uncollected(ctx, ("submission",))
    for d in _plaintext(ctx, ("submission",)):
        probe = d.probe("mail-from")
        if probe is None:
            yield _error(d, msg("starttls.what.mail"))
        elif probe.verdict == "accepted":
            yield Outcome(Status.FAIL, d.subject, msg("starttls.mail-accepted", reply=probe.reply), _obs(d, probe))
        elif probe.verdict == "refused":
            yield Outcome(Status.PASS, d.subject, msg("starttls.mail-refused", reply=probe.reply), _obs(d, probe))
        else:
            yield _error(d, msg("starttls.what.mail-reply", reply=repr(probe.reply)))


@check("starttls.imap", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def starttls_imap(ctx: CheckContext) -> Iterator[Outcome]:
    """IMAP (143) announces LOGINDISABLED and refuses LOGIN before STARTTLS.

    Sends ``LOGIN`` with a bogus credential before TLS. Fails (critical) when it is
    evaluated (``NO [AUTHENTICATIONFAILED]``: a real password would have been read in
    plaintext); fails (medium) when LOGIN is refused but the capability list lacks
    ``LOGINDISABLED`` or offers ``AUTH=PLAIN`` before TLS (RFC 3501 6.2.3, RFC 8314).
    Passes otherwise. Errors when the dialog ended before the probe.
    """
    yield from _uncollected(ctx, ("imap",))
    for d in _plaintext(ctx, ("imap",)):
        probe = d.probe("login")
        if probe is None or not d.plain_caps:
            yield _error(d, msg("starttls.what.login"))
            continue
        if probe.verdict in ("processed", "accepted"):
            yield Outcome(
                Status.FAIL,
                d.subject,
                msg("starttls.login-processed", verdict=probe.verdict, reply=probe.reply),
                _obs(d, probe),
                severity=Severity.CRITICAL,
            )
            continue
        if probe.verdict != "refused":
            yield _error(d, msg("starttls.what.login-inconclusive", reply=repr(probe.reply)))
            continue
        gaps: list[ParamValue] = []
        if "LOGINDISABLED" not in d.plain_caps:
            gaps.append(msg("starttls.gap.logindisabled"))
        if "AUTH=PLAIN" in d.plain_caps or "AUTH=LOGIN" in d.plain_caps:
            gaps.append(msg("starttls.gap.auth-plain"))
        if gaps:
            yield Outcome(
                Status.FAIL,
                d.subject,
                msg("starttls.imap-gaps", gaps=_both(gaps)),
                _obs(d, probe),
                severity=Severity.MEDIUM,
            )
        else:
            yield Outcome(Status.PASS, d.subject, msg("starttls.imap-ok", reply=probe.reply), _obs(d, probe))


@check("starttls.pop3", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def starttls_pop3(ctx: CheckContext) -> Iterator[Outcome]:
    """POP3 (110) refuses USER/PASS before STLS.

    Sends ``USER`` and, if accepted, ``PASS`` with a bogus credential before TLS.
    Fails (critical) when PASS is evaluated; fails (medium) when USER is accepted or
    advertised in CAPA before TLS but the password is refused. Passes when USER is
    refused and not advertised. Errors when the dialog ended before the probe.
    """
    yield from _uncollected(ctx, ("pop3",))
    for d in _plaintext(ctx, ("pop3",)):
        user, password = d.probe("user"), d.probe("pass")
        if user is None:
            yield _error(d, msg("starttls.what.pop3"))
        elif password is not None and password.verdict in ("processed", "accepted"):
            yield Outcome(
                Status.FAIL,
                d.subject,
                msg("starttls.pop3-processed", verdict=password.verdict, reply=password.reply),
                _obs(d, user, password),
                severity=Severity.CRITICAL,
            )
        elif user.verdict == "accepted" and password is None:
            yield _error(d, msg("starttls.what.pop3-after-user"))
        elif user.verdict == "accepted" or "USER" in d.plain_caps:
            yield Outcome(
                Status.FAIL,
                d.subject,
                msg("starttls.pop3-user"),
                _obs(d, user, password),
                severity=Severity.MEDIUM,
            )
        elif user.verdict == "refused":
            yield Outcome(Status.PASS, d.subject, msg("starttls.pop3-ok", reply=user.reply), _obs(d, user))
        else:
            yield _error(d, msg("starttls.what.pop3-inconclusive", reply=repr(user.reply)))


@check("tls.implicit-ports", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def implicit_ports(ctx: CheckContext) -> Iterator[Outcome]:
    """Implicit-TLS ports (465, 993, 995) complete a TLS handshake and greet (RFC 8314).

    Passes when the handshake and the service greeting succeed. Fails when the port
    answers in plaintext instead of TLS. Errors when it cannot be verified (connection
    refused, timeout, throttled, another handshake failure), with the reason.
    """
    yield from _uncollected(ctx, _IMPLICIT_PROTOS)
    for d in _dialogs(ctx, _IMPLICIT_PROTOS):
        if d.tls is not None and d.outcome == "ok":
            works = msg("implicit.works", version=d.tls.version, cipher=d.tls.cipher)
            yield Outcome(Status.PASS, d.subject, works, _obs(d))
        elif d.outcome == "plaintext":
            yield Outcome(Status.FAIL, d.subject, msg("implicit.plaintext", reason=d.reason or ""), _obs(d))
        else:
            yield _error(d, msg("implicit.what"))


@check("https.webmail", needs=[Need.NETWORK, Need.ENDPOINTS], area="transport")
def https_webmail(ctx: CheckContext) -> Iterator[Outcome]:
    """Webmail: plain HTTP redirects to HTTPS (key ``redirect``) and HTTPS sends HSTS (key ``hsts``).

    ``redirect`` fails (high) when port 80 answers without redirecting to https://,
    passes when it redirects or nothing listens on port 80. ``hsts`` fails (low) when
    the HTTPS answer carries no Strict-Transport-Security header with max-age > 0.
    Either errors when its side could not be fetched.
    """
    yield from _uncollected(ctx, ("https",))
    for d in _dialogs(ctx, ("https",)):
        http = d.http
        if http is None:
            yield _error(d, msg("webmail.what"))
            continue
        where = Location(host=d.host, port=d.port)
        plain: str | Message = (
            f"{http.http_status} {http.http_location or ''}".strip()
            if http.http_status is not None
            else msg("webmail.http-error", error=http.http_error or "")
        )
        obs = _obs(d) + (
            Observation("http://", plain, Location(host=d.host, port=80)),
            Observation("Strict-Transport-Security", http.hsts or msg("webmail.absent"), where),
        )
        if http.redirects_to_https:
            redirects = msg("webmail.redirects", location=http.http_location or "")
            yield Outcome(Status.PASS, d.subject, redirects, obs, key="redirect")
        elif http.http_status is not None:
            yield Outcome(
                Status.FAIL,
                d.subject,
                msg("webmail.no-redirect", status=http.http_status),
                obs,
                severity=Severity.HIGH,
                key="redirect",
            )
        elif http.http_error_kind is ErrorKind.REFUSED:
            yield Outcome(Status.PASS, d.subject, msg("webmail.port-80-refused"), obs, key="redirect")
        else:
            yield Outcome(
                Status.ERROR,
                d.subject,
                msg("webmail.redirect-unverified", error=http.http_error or ""),
                obs,
                severity=Severity.INFO,
                key="redirect",
            )
        if http.https_status is None:
            yield Outcome(
                Status.ERROR,
                d.subject,
                msg("webmail.hsts-unverified", error=http.https_error or ""),
                obs,
                severity=Severity.INFO,
                key="hsts",
            )
        elif _hsts_max_age(http.hsts) > 0:
            yield Outcome(Status.PASS, d.subject, msg("webmail.hsts-sent", hsts=http.hsts or ""), obs, key="hsts")
        else:
            yield Outcome(
                Status.FAIL,
                d.subject,
                msg("webmail.no-hsts", shown=f" ({http.hsts})" if http.hsts else ""),
                obs,
                severity=Severity.LOW,
                key="hsts",
            )


def _hsts_max_age(value: str | None) -> int:
    for part in (value or "").split(";"):
        name, _, number = part.strip().partition("=")
        if name.strip().lower() == "max-age":
            digits = number.strip().strip('"')
            return int(digits) if digits.isdigit() else 0
    return 0
