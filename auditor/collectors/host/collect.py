"""Host collector: read a host root once and return :class:`HostEvidence` for the reconciliation checks.

It runs the configuration readers (:func:`auditor.collectors.host.config.read_host`), derives each log
family's files and configured retention, reads the oldest entry still on disk, inventories
the user database and extracts the TLS/authentication settings the transport check
grades. Every failure is an error value inside the evidence, never an exception: an
unreadable or malformed file becomes an ``error`` finding of the check that needed it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from auditor.collectors.host.config import HostConfig, read_host
from auditor.collectors.host.db.databases import collect_databases, pass_schemes
from auditor.collectors.host.logs.families import collect_log_families
from auditor.collectors.host.readers.dovecot import effective as dovecot_effective
from auditor.collectors.host.readers.nginx_mail import mail_proxy
from auditor.collectors.host.readers.postfix import effective as postfix_effective
from auditor.collectors.host.root import NOT_FOUND, HostRoot
from auditor.collectors.host.templates import has_placeholder
from auditor.deadline import Deadline
from auditor.evidence.host import DovecotTransport, HostError, HostEvidence, MailProxyServer, PostfixService
from auditor.evidence.outcomes import ErrorKind
from auditor.evidence.settings import Setting

#: Postfix parameters the transport check reads, per public smtpd service.
POSTFIX_TRANSPORT_KEYS = (
    "smtpd_tls_security_level",
    "smtpd_use_tls",
    "smtpd_enforce_tls",
    "smtpd_tls_auth_only",
    "smtpd_sasl_auth_enable",
    "smtpd_tls_wrappermode",
    "smtpd_tls_protocols",
    "smtpd_tls_mandatory_protocols",
)
#: Dovecot settings (2.3 and 2.4 names) the transport check reads.
DOVECOT_TRANSPORT_KEYS = ("ssl", "ssl_min_protocol", "ssl_protocols", "disable_plaintext_auth", "auth_allow_cleartext")
_PUBLIC_ROLES = ("smtp", "submission", "submissions")


def _rendered(config: HostConfig, settings: tuple[Setting, ...]) -> tuple[Setting, ...]:
    """Mark settings read from an unrendered template whose value is a placeholder or sits in template logic."""
    out: list[Setting] = []
    for s in settings:
        tpl = config.template(s.file)
        if tpl is not None and (has_placeholder(s.value) or tpl.in_logic(s.line)):
            s = replace(s, unrendered=True)
        out.append(s)
    return tuple(out)


def _postfix_services(config: HostConfig) -> tuple[PostfixService, ...] | None:
    """Public smtpd services (loopback-only re-injection and content-filter ports excluded)."""
    if config.postfix is None:
        return None
    out: list[PostfixService] = []
    for svc in config.postfix.services:
        if svc.type != "inet" or svc.role not in _PUBLIC_ROLES or svc.loopback_only is True:
            continue
        eff = postfix_effective(config.postfix, svc.name)
        settings = _rendered(config, tuple(eff[k] for k in POSTFIX_TRANSPORT_KEYS if k in eff))
        out.append(PostfixService(svc.name, svc.role, svc.port, svc.file, svc.line, settings))
    return tuple(out)


def _dovecot(config: HostConfig) -> DovecotTransport | None:
    if config.dovecot is None:
        return None
    eff = dovecot_effective(config.dovecot)
    written = config.dovecot.globals
    # effective() fills the 2.3 and the 2.4 name from one line; keep the name actually written there
    settings = tuple(eff[k] for k in DOVECOT_TRANSPORT_KEYS if k in eff and (eff[k].default or k in written))
    if "ssl_protocols" in written and "ssl_min_protocol" not in written:  # Dovecot <= 2.2: no ssl_min_protocol
        settings = tuple(s for s in settings if s.name != "ssl_min_protocol")
    scoped = _rendered(config, tuple(s for s in config.dovecot.scoped if s.name in DOVECOT_TRANSPORT_KEYS))
    settings = _rendered(config, settings)
    return DovecotTransport(settings, scoped, config.dovecot.files)


def _mail_proxy(config: HostConfig) -> tuple[MailProxyServer, ...] | None:
    servers = mail_proxy(config.nginx)
    if servers is None:
        return None
    return tuple(replace(s, settings=_rendered(config, s.settings)) for s in servers)


def _errors(config: HostConfig) -> list[HostError]:
    """Reader errors, filed under the check area that needs the file."""
    areas: list[tuple[str, object]] = [
        ("transport", config.postfix),
        ("transport", config.dovecot),
        ("logs", config.logrotate),
        ("logs", config.rsyslog),
        ("logs", config.journald),
        ("logs", config.nginx),
        ("logs", config.apache),
        ("logs", config.roundcube),
        ("logs", config.nextcloud),
        ("backup", config.backups),
        ("inventory", config.admin_tools),
        ("logs", config.containers),
        ("logs", config.newsyslog),
    ]
    areas += [("inventory", lk) for lk in config.sql_lookups]
    out: list[HostError] = []
    for area, part in areas:
        out += [
            HostError(area, str(e), _kind(str(e)))
            for e in getattr(part, "errors", ())
            if part is not None and not _in_template(config, str(e))
        ]
    return out


def _kind(error: str) -> ErrorKind:
    """Readers report a path the root does not hold as ``<path>: not found`` (the root's own
    reason, :data:`NOT_FOUND`); it is typed here, once, so checks branch on the kind."""
    return ErrorKind.NOT_FOUND if error.endswith(f": {NOT_FOUND}") else ErrorKind.ERROR


def _in_template(config: HostConfig, error: str) -> bool:
    """An error about a template's line (``{% if %}``, an include named by a placeholder): the template
    finding covers the whole file, one error per line of template logic would only bury it."""
    return config.template(error.split(":", 1)[0]) is not None


def _files(config: HostConfig) -> tuple[str, ...]:
    parts = [
        config.postfix,
        config.dovecot,
        config.logrotate,
        config.rsyslog,
        config.journald,
        config.nginx,
        config.apache,
        config.roundcube,
        config.nextcloud,
        config.backups,
        config.admin_tools,
        config.containers,
        config.newsyslog,
    ]
    files: list[str] = [f for p in parts if p is not None for f in getattr(p, "files", ())]
    files += [lk.path for lk in config.sql_lookups]
    return tuple(dict.fromkeys(files))


def collect_host(
    root: Path,
    *,
    db: str | None = None,
    db_password: str | None = None,
    db_from_config: bool = False,
    collected_at: datetime,
    timeout: float = 30.0,
) -> HostEvidence:
    """Read the host root ``root`` (``/`` or an unpacked snapshot) within about ``timeout`` seconds.

    ``db``: a DSN the user gave (``--db``); otherwise the database is found through the
    Dovecot/Postfix SQL lookup files and Roundcube's config; ``db_from_config`` reads server databases
    found there with the configuration's own credentials (read-only, opt-in). ``collected_at`` is the run's
    collection time, kept so the evidence documents when ages were observed.
    """
    started = time.monotonic()
    host = HostRoot(root, deadline=Deadline.after(timeout))  # every reader stops opening files at the deadline
    if not host.root.is_dir():
        error = HostError("host", f"{root}: host root is not a directory")
        return HostEvidence(str(root), collected_at.isoformat(), errors=(error,))
    config = read_host(host)
    families = collect_log_families(config, host, budget_s=max(1.0, timeout * 0.6))
    left = max(1.0, timeout - (time.monotonic() - started))
    databases = collect_databases(
        config, host, db=db, db_password=db_password, timeout=left, config_credentials=db_from_config
    )
    errors = _errors(config)  # database errors stay with each database (UserDatabase.error, inventory.errors)
    return HostEvidence(
        root=str(host.root),
        collected_at=collected_at.isoformat(),
        logs=families,
        databases=databases,
        pass_schemes=_rendered(config, pass_schemes(config)),
        postfix=_postfix_services(config),
        dovecot=_dovecot(config),
        backups=config.backups,
        config_files=_files(config),
        errors=tuple(errors),
        templates=config.templates,
        password_writers=config.admin_tools.writers,
        mail_proxy=_mail_proxy(config),
    )
