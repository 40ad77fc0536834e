"""Transport encryption in the configuration: Postfix and Dovecot settings that allow plaintext or old TLS.

The offline twin of the ``starttls.*`` and ``tls.*`` network checks: it reads the same
promises from ``main.cf``/``master.cf`` and the Dovecot config, so CI on a configuration
repository fails before a weak setting is deployed. Credentials or mail on the client hop
without TLS, or with TLS 1.0/1.1, fall below GDPR Art. 32(1)(a)/5(1)(f), the DSK
orientation guide on e-mail and BSI TR-02102-2 (TLS 1.2 minimum). Loopback-only
re-injection services (content filters) and ``remote 127.0.0.1 { }`` exceptions are
internal hops, not findings. Public MX port 25 may accept plaintext (RFC 3207); old
protocols there are graded medium.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from auditor.evidence.claims import Claim
from auditor.evidence.host import DovecotTransport, MailProxyServer, PostfixService
from auditor.evidence.settings import Setting
from auditor.messages import render
from auditor.models import Location, Message, Need, Observation, Outcome, Severity, Status, msg
from auditor.registry import CheckContext, check

from .host_common import claim_obs, claim_ref, claims_of, host_of, location, no_host, setting_message

PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
OLD = frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"})
_DOVECOT_OLD_MIN = frozenset({"ANY", "SSLV3", "TLSV1", "TLSV1.1"})


def allowed_protocols(spec: str) -> set[str]:
    """Protocols a Postfix ``*_tls_protocols`` value permits (``>=TLSv1.2``, ``!SSLv3, !TLSv1``, ``TLSv1.3``)."""
    tokens = [t for t in re.split(r"[\s,:]+", spec) if t]
    includes = [t for t in tokens if not t.startswith(("!", ">=", "<=")) and t in PROTOCOLS]
    allowed = set(includes) if includes else set(PROTOCOLS)
    for tok in tokens:
        name = tok.lstrip("!<>=")
        if name not in PROTOCOLS:
            continue
        idx = PROTOCOLS.index(name)
        if tok.startswith("!"):
            allowed.discard(name)
        elif tok.startswith(">="):
            allowed -= set(PROTOCOLS[:idx])
        elif tok.startswith("<="):
            allowed -= set(PROTOCOLS[idx + 1 :])
    return allowed


def _value(svc: PostfixService, name: str) -> str:
    s = svc.get(name)
    return s.value.strip().lower() if s is not None else ""


def _level(svc: PostfixService) -> tuple[str, Setting | None]:
    """Effective smtpd TLS level, honouring the legacy ``smtpd_enforce_tls``/``smtpd_use_tls``."""
    s = svc.get("smtpd_tls_security_level")
    if s is not None and s.value.strip():
        return s.value.strip().lower(), s
    if _value(svc, "smtpd_enforce_tls") == "yes":
        return "encrypt", svc.get("smtpd_enforce_tls")
    if _value(svc, "smtpd_use_tls") == "yes":
        return "may", svc.get("smtpd_use_tls")
    return "none", s


def _where(svc: PostfixService, s: Setting | None) -> Location:
    """The setting's line, or the service's master.cf line when a built-in default applies."""
    return location(s) or Location(path=svc.file, line=svc.line)


def _postfix(svc: PostfixService, claim: Claim | None) -> Iterator[Outcome]:
    subject = f"postfix {svc.name} ({svc.role}, port {svc.port})"
    service_obs = Observation(
        msg("transport.obs.service"), f"{svc.name} ({svc.role})", Location(path=svc.file, line=svc.line)
    )
    setting_label = msg("transport.obs.setting")
    if any(s.unrendered for s in svc.settings):
        names = ", ".join(s.name for s in svc.settings if s.unrendered)
        skipped = msg("transport.unrendered", what=names)
        yield Outcome(Status.SKIPPED, subject, skipped, (service_obs,), claim=claim_ref(claim))
        return
    level, level_setting = _level(svc)
    wrapper = _value(svc, "smtpd_tls_wrappermode") == "yes"
    enforced = wrapper or level == "encrypt"
    sasl = _value(svc, "smtpd_sasl_auth_enable") == "yes"
    client = svc.role in ("submission", "submissions")
    bad = False
    if client and not enforced:
        # Port 465 without wrapper mode speaks plaintext SMTP just like 587 without "encrypt".
        bad = True
        shown = (
            setting_message(level_setting)
            if level_setting
            else msg("transport.not-set", name="smtpd_tls_security_level")
        )
        fix = "-o smtpd_tls_wrappermode=yes" if svc.role == "submissions" else "-o smtpd_tls_security_level=encrypt"
        yield Outcome(
            Status.FAIL,
            subject,
            msg("transport.no-tls", role=svc.role, shown=shown, fix=fix),
            (Observation(setting_label, shown, _where(svc, level_setting)), service_obs),
            severity=Severity.HIGH,
            claim=claim_ref(claim),
            key="not-encrypt",
        )
    auth_only = svc.get("smtpd_tls_auth_only")
    if sasl and not enforced and _value(svc, "smtpd_tls_auth_only") != "yes":
        bad = True
        shown = setting_message(auth_only) if auth_only else msg("transport.not-set", name="smtpd_tls_auth_only")
        yield Outcome(
            Status.FAIL,
            subject,
            msg("transport.auth-before-tls", shown=shown),
            (Observation(setting_label, shown, _where(svc, auth_only)), service_obs),
            severity=Severity.HIGH,
            claim=claim_ref(claim),
            key="auth-only",
        )
    if level != "none" or wrapper:
        param = "smtpd_tls_mandatory_protocols" if enforced else "smtpd_tls_protocols"
        proto = svc.get(param)
        old = sorted(allowed_protocols(proto.value if proto else "") & OLD, key=PROTOCOLS.index)
        if proto is not None and old:
            bad = True
            sev = Severity.HIGH if client else Severity.MEDIUM
            shown = setting_message(proto)
            yield Outcome(
                Status.FAIL,
                subject,
                msg("transport.old-protocols", old=", ".join(old), shown=shown, param=param),
                (Observation(setting_label, shown, _where(svc, proto)), service_obs),
                severity=sev,
                claim=claim_ref(claim),
                key="protocols",
            )
    if not bad:
        mode = msg("transport.implicit-tls") if wrapper else msg("transport.tls-level", level=level)
        yield Outcome(
            Status.PASS, subject, msg("transport.postfix-ok", mode=mode), (service_obs,), claim=claim_ref(claim)
        )


def _loopback_scope(scope: tuple[str, ...]) -> bool:
    """``remote 127.0.0.1 ::1`` / ``local 127.0.0.0/8``: an exception for the host's own connections."""
    if not scope:
        return False
    words = scope[0].split()
    if words[0] not in ("remote", "local") or len(words) < 2:
        return False
    try:
        return all(ipaddress.ip_network(w.strip(","), strict=False).is_loopback for w in words[1:])
    except ValueError:
        return False


def _dovecot_problem(s: Setting) -> Message | None:
    value = s.value.strip().lower()
    if s.name == "ssl" and value == "no":
        return msg("transport.dovecot.ssl-no")
    if (s.name == "disable_plaintext_auth" and value == "no") or (s.name == "auth_allow_cleartext" and value == "yes"):
        return msg("transport.dovecot.plaintext-auth", name=s.name, value=value)
    if s.name == "ssl_min_protocol" and value.upper() in _DOVECOT_OLD_MIN:
        return msg("transport.dovecot.min-protocol", value=s.value)
    if s.name == "ssl_protocols":  # Dovecot <= 2.2 (2.3 replaced it by ssl_min_protocol)
        old = sorted(allowed_protocols(s.value) & OLD, key=PROTOCOLS.index)
        if old:
            return msg("transport.dovecot.old-protocols", value=s.value, old=", ".join(old))
    return None


#: Dovecot protocols clients log in over; the others deliver locally (lmtp, lda) or administer (doveadm).
_CLIENT_PROTOCOLS = {
    "imap": "IMAP",
    "pop3": "POP3",
    "sieve": "ManageSieve",
    "managesieve": "ManageSieve",
    "submission": "submission",
}


def _scoped_problem(s: Setting, dc: DovecotTransport) -> tuple[Message, Severity] | None:
    """A problem inside ``protocol X { }``: it concerns that protocol only (and none for local delivery)."""
    problem = _dovecot_problem(s)
    words = s.scope[0].split() if s.scope else []
    if problem is None or not words or words[0] != "protocol":
        return (problem, Severity.HIGH) if problem else None
    names = [_CLIENT_PROTOCOLS[w] for w in words[1:] if w in _CLIENT_PROTOCOLS]
    if not names:
        return None  # lmtp/lda/doveadm: no client logs in over them
    if s.name == "ssl" and s.value.strip().lower() == "no":
        plain = any(
            _dovecot_problem(g) for g in dc.settings if g.name in ("disable_plaintext_auth", "auth_allow_cleartext")
        )
        if not plain:
            return msg("transport.dovecot.scoped-ssl-no", names=", ".join(names)), Severity.MEDIUM
        return msg("transport.dovecot.scoped-ssl-no-plain", names=", ".join(names)), Severity.HIGH
    return problem, Severity.HIGH


def _dovecot(dc: DovecotTransport, claim: Claim | None) -> Iterator[Outcome]:
    bad = False
    seen: set[tuple[str, int]] = set()
    unrendered = [s for s in (*dc.settings, *dc.scoped) if s.unrendered]
    for s in dc.settings:
        problem = None if s.unrendered else _dovecot_problem(s)
        if problem and (s.file, s.line) not in seen:  # 2.3 and 2.4 names of one line are reported once
            seen.add((s.file, s.line))
            bad = True
            where = location(s)
            yield Outcome(
                Status.FAIL,
                "dovecot",
                problem if where else msg("transport.built-in-default", problem=problem),
                (Observation(msg("transport.obs.setting"), setting_message(s), where),),
                severity=Severity.HIGH,
                claim=claim_ref(claim),
                key=f"{s.name}@{s.file}:{s.line}",
            )
    for s in dc.scoped:
        found = None if s.unrendered else _scoped_problem(s, dc)
        if found and not _loopback_scope(s.scope):
            problem, severity = found
            status = Status.FAIL if severity == Severity.HIGH else Status.WARN
            bad = bad or status == Status.FAIL
            yield Outcome(
                status,
                "dovecot",
                msg("transport.inside-scope", problem=problem, scope=s.scope[0]),
                (Observation(msg("transport.obs.setting"), setting_message(s), location(s)),),
                severity=severity,
                claim=claim_ref(claim),
                key=f"{s.name}@{s.file}:{s.line}",
            )
    if not bad and unrendered:
        what = ", ".join(dict.fromkeys(s.name for s in unrendered))
        yield Outcome(Status.SKIPPED, "dovecot", msg("transport.unrendered", what=what), claim=claim_ref(claim))
    elif not bad:
        exceptions = [
            f"{s.scope[0]}: {s.name} = {s.value}" for s in dc.scoped if _loopback_scope(s.scope) and _dovecot_problem(s)
        ]
        note = msg("transport.loopback-note", exceptions="; ".join(exceptions)) if exceptions else ""
        yield Outcome(
            Status.PASS,
            "dovecot",
            msg("transport.dovecot-ok", note=note),
            tuple(Observation(msg("transport.obs.setting"), setting_message(s), location(s)) for s in dc.settings),
            claim=claim_ref(claim),
        )


#: nginx's built-in ``<protocol>_auth``: the methods a client may log in with when the server does not say.
_NGINX_AUTH_DEFAULT = {"smtp": "plain login", "imap": "plain", "pop3": "plain"}
_PLAINTEXT_AUTH = frozenset({"plain", "login", "user"})


def _port(listen: str) -> int | None:
    first = listen.split()[0] if listen.split() else ""
    tail = first.rsplit("]:", 1)[-1].rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _proxy_problems(srv: MailProxyServer) -> list[tuple[Message, Severity, Setting | None]]:
    """What lets a client's password or mail travel without TLS, or over TLS below 1.2, in one proxy server."""
    found: list[tuple[Message, Severity, Setting | None]] = []
    ports = [p for p in (_port(x) for x in srv.listens) if p is not None]
    mx_only = srv.protocol == "smtp" and ports == [25] * len(ports) and bool(ports)
    protocols = srv.get("ssl_protocols")
    if protocols is not None:
        old = sorted(allowed_protocols(protocols.value) & OLD, key=PROTOCOLS.index)
        if old:
            found.append(
                (
                    msg("transport.proxy.old-protocols", value=protocols.value, old=", ".join(old)),
                    Severity.MEDIUM if mx_only else Severity.HIGH,
                    protocols,
                )
            )
    starttls = srv.get("starttls")
    tls_offered = any(" ssl" in f" {x}" for x in srv.listens) or (starttls is not None and starttls.value != "off")
    if protocols is None and tls_offered:
        found.append((msg("transport.proxy.protocols-unset"), Severity.LOW, None))
    auth = srv.get(f"{srv.protocol}_auth")
    methods = set((auth.value if auth is not None else _NGINX_AUTH_DEFAULT.get(srv.protocol, "")).lower().split())
    plain_ports = sorted({p for x in srv.listens if " ssl" not in f" {x}" and (p := _port(x)) is not None and p != 25})
    if plain_ports and methods & _PLAINTEXT_AUTH and (starttls is None or starttls.value.lower() != "only"):
        off = starttls is None or starttls.value.lower() == "off"
        how = msg("transport.proxy.no-starttls") if off else msg("transport.proxy.starttls-optional")
        found.append(
            (
                msg(
                    "transport.proxy.plaintext-login",
                    protocol=srv.protocol,
                    ports=", ".join(map(str, plain_ports)),
                    how=how,
                    methods="/".join(sorted(methods & _PLAINTEXT_AUTH)),
                ),
                Severity.HIGH,
                starttls or auth,
            )
        )
    if srv.weak_suites:
        found.append(
            (
                msg("transport.proxy.weak-suites", suites=", ".join(srv.weak_suites[:6])),
                Severity.MEDIUM,
                srv.get("ssl_ciphers"),
            )
        )
    return found


def _mail_proxy(servers: tuple[MailProxyServer, ...], claim: Claim | None) -> Iterator[Outcome]:
    for srv in servers:
        subject = f"nginx mail {srv.protocol or '?'} ({', '.join(srv.listens) or 'no listen'})"
        where = Location(path=srv.file, line=srv.line)
        if any(s.unrendered for s in srv.settings):
            yield Outcome(
                Status.SKIPPED,
                subject,
                msg("transport.unrendered", what=msg("transport.nginx-settings")),
                claim=claim_ref(claim),
                key=f"{srv.file}:{srv.line}",
            )
            continue
        problems = _proxy_problems(srv)
        for text, severity, setting in problems:
            label = msg("transport.obs.setting")
            obs = (Observation(label, setting_message(setting), location(setting)),) if setting else ()
            status = Status.FAIL if severity == Severity.HIGH else Status.WARN
            yield Outcome(
                status,
                subject,
                text,
                obs + (Observation(msg("transport.obs.server"), subject, where),),
                severity=severity,
                claim=claim_ref(claim),
                key=f"{srv.file}:{srv.line}:{render(text, 'en')[:40]}",
            )
        if not problems:
            shown = tuple(
                Observation(msg("transport.obs.setting"), setting_message(s), location(s)) for s in srv.settings
            )
            yield Outcome(
                Status.PASS,
                subject,
                msg("transport.proxy-ok"),
                shown + (Observation(msg("transport.obs.server"), subject, where),),
                claim=claim_ref(claim),
                key=f"{srv.file}:{srv.line}",
            )


@check("config.transport", needs=[Need.HOST], area="host")
def config_transport(ctx: CheckContext) -> Iterator[Outcome]:
    """Per public Postfix smtpd service (smtp/25, submission/587, submissions/465; loopback
    re-injection excluded) and for Dovecot. Fail (high): submission without
    ``smtpd_tls_security_level = encrypt``; SASL AUTH before STARTTLS (``smtpd_tls_auth_only =
    no``); Dovecot ``ssl = no``, global ``disable_plaintext_auth = no`` / ``auth_allow_cleartext
    = yes`` (a loopback-scoped exception is fine), ``ssl_min_protocol`` below TLSv1.2; TLS 1.0/1.1
    permitted on a client port (medium on port 25); an nginx ``mail { }`` proxy server that lets a
    client log in with PLAIN/LOGIN before TLS (``starttls`` not ``only`` on a plain port) or admits
    TLS below 1.2 (warn, medium: weak suites in ``ssl_ciphers``). Pass: none of these. Error: a config file
    could not be read, or neither Postfix nor Dovecot is configured under the host root."""
    host = host_of(ctx)
    if host is None:
        yield no_host()
        return
    claims = claims_of(ctx)
    claim = next((c for c in (claims.by_kind("transport-encryption") if claims else ()) if c.value == "enforced"), None)
    for error in host.errors_in("transport"):
        yield Outcome(
            Status.ERROR,
            "configuration",
            msg("transport.read-error", error=error),
            claim_obs(claims, claim),
            key=error[:80],
        )
    if host.mail_proxy:
        yield from _mail_proxy(host.mail_proxy, claim)
    if host.postfix is None and host.dovecot is None and not host.mail_proxy:
        yield Outcome(
            Status.ERROR,
            "configuration",
            msg("transport.nothing"),
        )
        return
    for svc in host.postfix or ():
        yield from _postfix(svc, claim)
    if host.dovecot is not None:
        yield from _dovecot(host.dovecot, claim)
