"""Per log family: the files the configuration writes to, their configured retention, and what is on disk.

"Mail metadata is kept 7 days" is about every file mail lines land in (``mail.log`` *and*
``syslog`` when rsyslog's catch-all copies them), each with its own logrotate rule. So the
targets of a family come from the configuration (rsyslog routes, nginx/Apache
``access_log``, Roundcube ``log_dir``/syslog facility, Nextcloud ``logfile``, journald),
completed by the usual paths found on disk, and the oldest entry still present is read
from the rotated files with :mod:`auditor.collectors.host.logs.disk`.
"""

from __future__ import annotations

import posixpath
import re
import time
from collections.abc import Iterable

from auditor.collectors.host.config import HostConfig
from auditor.collectors.host.logs.disk import DEFAULT_FAMILIES, collect_log_family, host_timezone
from auditor.collectors.host.logs.files import stream_of
from auditor.collectors.host.readers.containers import sink_kind
from auditor.collectors.host.readers.dovecot import effective as dovecot_effective
from auditor.collectors.host.readers.journald import JournaldConfig
from auditor.collectors.host.readers.postfix import effective
from auditor.collectors.host.readers.webapps import PhpConfig, roundcube_effective
from auditor.collectors.host.root import HostRoot, norm
from auditor.collectors.host.templates import has_placeholder
from auditor.evidence.host import LogFamily, LoggedField, LogTarget
from auditor.evidence.settings import Setting, SourceRef
from auditor.evidence.stored import LogFamilyEvidence
from auditor.models import Message, msg

#: What Nextcloud/ownCloud writes into every JSON log line (remoteAddr, user, url, userAgent).
_CLOUD_LOG_FIELDS = ("ip-address", "user-name", "url", "user-agent")
#: Personal fields taken from an access-log *format*. ``$remote_user``/``%u`` (HTTP basic-auth
#: user) is left to the sampled lines: the default formats carry it, webmail never fills it.
_PERSONAL_ACCESS_FIELDS = {"ip-address", "user-agent", "url", "referer", "cookie"}


def _stream_target(path: str, config: HostConfig, refs: Iterable[SourceRef], route: str) -> LogTarget:
    """stdout/stderr: kept by the container runtime's log driver or, under systemd, by journald."""
    docker = config.containers
    if docker.drivers:
        sources = tuple(s for d in docker.drivers for s in (d.driver, *d.options) if not s.default)
        kinds = {d.driver.value for d in docker.drivers}
        if kinds <= {"journald"}:
            return _journal_stream(path, config, refs, route, sources)
        if kinds & {"json-file", "local"}:
            sized = [d for d in docker.drivers if d.option("max-size") is not None]
            how = ", ".join(
                f"{d.scope}: {d.driver.value}" + (f" max-size {o.value}" if (o := d.option("max-size")) else "")
                for d in docker.drivers
            )
            basis = msg(
                "logs.basis.container-log",
                how=how,
                rotation=msg("logs.basis.size-only" if sized else "logs.basis.docker-never-rotates"),
            )
            return LogTarget(path, tuple(refs), route, None, True, basis, sources, kind="stream")
        basis = msg("logs.basis.forwarded", drivers=", ".join(sorted(kinds)))
        return LogTarget(path, tuple(refs), route, None, False, basis, sources, kind="stream")
    if docker.compose_files:
        basis = msg("logs.basis.compose-default", files=", ".join(docker.compose_files))
        return LogTarget(path, tuple(refs), route, None, False, basis, kind="stream")
    if config.journald.files:
        return _journal_stream(path, config, refs, route, ())
    basis = msg("logs.basis.supervisor")
    return LogTarget(path, tuple(refs), route, None, False, basis, kind="stream")


def _journal_stream(
    path: str, config: HostConfig, refs: Iterable[SourceRef], route: str, sources: tuple[Setting, ...]
) -> LogTarget:
    [journal] = _journal(config.journald)[0] or [
        LogTarget("/var/log/journal", (), "journald", None, False, msg("logs.basis.journal-none"))
    ]
    return LogTarget(
        path,
        tuple(refs),
        route,
        journal.retention_days,
        journal.unbounded,
        msg("logs.basis.journald", basis=journal.basis),
        sources + journal.retention_sources,
        journal.caveats,
        kind="stream",
    )


def _file_target(path: str, config: HostConfig, refs: Iterable[SourceRef], route: str) -> LogTarget:
    """A log file with its configured retention: its logrotate policy, or unbounded when none matches.

    stdout/stderr are no file (see :func:`_stream_target`); ``/dev/null`` keeps nothing (kind ``discard``)."""
    kind = sink_kind(path)
    if kind == "stream":
        return _stream_target(path, config, refs, route)
    if kind == "discard":
        return LogTarget(path, tuple(refs), route, 0.0, False, msg("logs.basis.discarded"), kind="discard")
    logrotate = config.logrotate
    path = norm(path)
    if has_placeholder(path):
        basis: str | Message = msg("logs.basis.template-path")
        return LogTarget(path, tuple(refs), route, None, False, basis)
    rotated = config.newsyslog.entry_for(path)
    if rotated is not None and (logrotate is None or logrotate.policy_for(path) is None):
        return LogTarget(
            path,
            tuple(refs),
            route,
            rotated.retention_days,
            rotated.retention_days is None,
            rotated.basis,
            (rotated.setting,),
        )
    if logrotate is None:
        basis = msg("logs.basis.no-logrotate", path=path)
        return LogTarget(path, tuple(refs), route, None, True, basis)
    policy = logrotate.policy_for(path)
    if policy is None:  # logrotate matches the files it finds: a path reached through a symlink counts too
        real, _ = HostRoot(config.root).resolve(path)
        if real is not None and str(real) != str(HostRoot(config.root).root.joinpath(path.lstrip("/"))):
            policy = logrotate.policy_for("/" + str(real.relative_to(HostRoot(config.root).root)))
    if policy is None:
        basis = msg("logs.basis.no-rule", path=path)
        return LogTarget(path, tuple(refs), route, None, True, basis)
    d = policy.block.directives
    sources = tuple(s for s in (policy.frequency, policy.rotate, policy.maxage, d.get("size"), d.get("minsize")) if s)
    return LogTarget(
        path, tuple(refs), route, policy.max_retention_days, policy.unbounded, policy.basis, sources, policy.caveats
    )


def _syslog_targets(config: HostConfig, facilities: Iterable[str]) -> list[LogTarget]:
    rsyslog = config.rsyslog
    if rsyslog is None:
        return []
    targets: dict[str, LogTarget] = {}
    for facility in facilities:
        for route in rsyslog.files_for_facility(facility):
            if route.target not in targets:
                text = f"{route.selector} -> {route.target}"
                refs = (route.source,) + ((rsyslog.started.source,) if rsyslog.started is not None else ())
                targets[route.target] = _file_target(route.target, config, refs, text)
    return list(targets.values())


def _dovecot(config: HostConfig) -> tuple[list[LogTarget], list[str]]:
    """Dovecot's own log files: ``log_path`` (errors), ``info_log_path`` (logins: user names and client
    addresses) and ``debug_log_path``, each inheriting the one before when empty; ``syslog`` sends them
    to ``syslog_facility`` (``mail`` unless set), whose rsyslog routes the mail family already follows."""
    if config.dovecot is None:
        return [], []
    eff = dovecot_effective(config.dovecot)
    targets: list[LogTarget] = []
    notes: list[str] = []
    inherited: Setting | None = None
    for name in ("log_path", "info_log_path", "debug_log_path"):
        setting = eff.get(name)
        if setting is None or not setting.value.strip():
            setting = inherited
        if setting is None:
            continue
        inherited = setting
        value = setting.value.strip()
        template = config.template(setting.file)
        if template is not None and (has_placeholder(value) or template.in_logic(setting.line)):
            notes.append(f"Dovecot {name} is an unrendered template value ({setting.source})")
            continue
        if value == "syslog":
            facility = eff.get("syslog_facility")
            fac = facility.value.strip().lower() if facility is not None and facility.value.strip() else "mail"
            if fac != "mail":
                targets += [t for t in _syslog_targets(config, (fac,)) if t.path not in {x.path for x in targets}]
            continue
        if (value.startswith("/") or sink_kind(value) != "file") and value not in {t.path for t in targets}:
            targets.append(_file_target(value, config, (setting.source,), f"Dovecot {name} {value}"))
    return targets, notes


def _facility(value: str | None, default: str) -> str:
    """``LOG_LOCAL5`` / ``<expr: LOG_LOCAL5>`` / ``local5`` -> ``local5``."""
    m = re.search(r"LOG_([A-Z0-9]+)", value or "")
    if m:
        return m.group(1).lower()
    return value.strip().lower() if value and re.fullmatch(r"[a-z0-9]+", value.strip()) else default


def _plain_path(value: str | None) -> str | None:
    return value if value and value.startswith("/") and "<expr" not in value else None


def _webmail(config: HostConfig, host: HostRoot) -> tuple[list[LogTarget], list[LoggedField], list[str]]:
    rc: PhpConfig | None = config.roundcube
    if rc is None:
        return [], [], []
    eff = roundcube_effective(rc)
    notes: list[str] = []
    fields: list[LoggedField] = []
    logins = eff["log_logins"]
    if logins.value.lower() in ("true", "1"):
        fields += [LoggedField(f, "configured", logins.source) for f in ("ip-address", "user-name")]
    driver = eff["log_driver"]
    if driver.value == "syslog":
        facility = _facility(rc.get("syslog_facility"), "user")
        targets = _syslog_targets(config, (facility,))
        notes.append(f"Roundcube logs to syslog facility {facility} ({driver.source})")
        return targets, fields, notes
    if driver.value == "stdout":
        notes.append(f"Roundcube logs to the web server's error log ({driver.source})")
        return [], fields, notes
    log_dir = _log_dir(rc)
    if log_dir is None:
        notes.append(
            "Roundcube log_dir is not known here (an expression, or no install path); its usual "
            "locations were searched instead"
        )
        return [], fields, notes
    setting = rc.settings.get("log_dir")
    refs = (setting.source,) if setting is not None else ()
    files = host.glob(f"{log_dir.rstrip('/')}/*.log") or [f"{log_dir.rstrip('/')}/userlogins.log"]
    return [_file_target(p, config, refs, f"log_dir {log_dir}") for p in files], fields, notes


def _log_dir(rc: PhpConfig) -> str | None:
    """Roundcube's log directory: absolute, or relative to its install path (Roundcube runs from there);
    its built-in default is the install tree's ``logs/``."""
    value = rc.get("log_dir")
    if value is None:
        return f"{rc.install_path.rstrip('/')}/logs/" if rc.install_path else None
    if "<expr" in value or has_placeholder(value):
        return None
    if value.startswith("/"):
        return value
    return posixpath.normpath(posixpath.join(rc.install_path, value)) + "/" if rc.install_path else None


def _cloud(config: HostConfig) -> tuple[list[LogTarget], list[LoggedField], list[str]]:
    nc = config.nextcloud
    if nc is None:
        return [], [], []
    log_type = (nc.get("log_type") or "file").strip()
    if log_type == "syslog":
        targets = _syslog_targets(config, ("user",))
        ref = nc.settings["log_type"].source
    elif log_type == "file":
        datadir = _plain_path(nc.get("datadirectory"))
        path = _plain_path(nc.get("logfile")) or (f"{datadir.rstrip('/')}/nextcloud.log" if datadir else None)
        if path is None:
            return [], [], ["Nextcloud log file location unknown (no logfile or datadirectory); usual paths searched"]
        setting = nc.settings.get("logfile") or nc.settings["datadirectory"]
        ref = setting.source
        target = _file_target(path, config, (ref,), f"logfile {path}")
        size = nc.settings.get("log_rotate_size")
        if size is not None and target.unbounded and not target.retention_sources:
            target = LogTarget(
                target.path,
                target.routed_by,
                target.route,
                None,
                True,
                msg("logs.basis.nextcloud-size", size=size.value),
                (size,),
            )
        targets = [target]
    else:
        return [], [], [f"Nextcloud logs to {log_type!r} ({nc.settings['log_type'].source})"]
    return targets, [LoggedField(f, "log format", ref) for f in _CLOUD_LOG_FIELDS], []


def _web_access(config: HostConfig) -> tuple[list[LogTarget], list[LoggedField]]:
    targets: dict[str, LogTarget] = {}
    fields: list[LoggedField] = []
    for web in (config.nginx, config.apache):
        for log in web.access_logs if web is not None else ():
            fields += [LoggedField(f, "log format", log.source) for f in log.fields if f in _PERSONAL_ACCESS_FIELDS]
            if (log.target.startswith("/") or sink_kind(log.target) != "file") and log.target not in targets:
                route = f"{log.server} access log {log.target} ({log.format_name})"
                targets[log.target] = _file_target(log.target, config, (log.source,), route)
    return list(targets.values()), fields


def _journal(journald: JournaldConfig) -> tuple[list[LogTarget], list[str]]:
    s = journald.settings
    sources = tuple(v for k, v in s.items() if k in ("Storage", "MaxRetentionSec", "MaxFileSec") and not v.default)
    if journald.storage == "none":
        return [], ["journald Storage=none: the journal keeps nothing"]
    if not journald.files and journald.persistent is not True:
        return [], ["no journald configuration and no persistent journal in this host root"]
    if journald.persistent is False:
        basis: Message = msg("logs.basis.volatile")
        return [LogTarget("/run/log/journal", (), "journald", None, False, basis, sources, journald.caveats)], []
    if journald.retention_days is None:
        basis = msg("logs.basis.no-max-retention")
        return [LogTarget("/var/log/journal", (), "journald", None, True, basis, sources, journald.caveats)], []
    extra = journald.max_file_days or 0.0
    days = journald.retention_days + extra
    basis = msg("logs.basis.max-retention", days=f"{journald.retention_days:g}", extra=f"{extra:g}")
    return [LogTarget("/var/log/journal", (), "journald", days, False, basis, sources, journald.caveats)], []


def _disk_targets(observed: LogFamilyEvidence, known: list[LogTarget], config: HostConfig) -> list[LogTarget]:
    """Files of the family found on disk that no configuration read here routes to."""
    have = {t.path for t in known}
    extra: dict[str, LogTarget] = {}
    for info in observed.files:
        base = stream_of(info.path)
        if base not in have and base not in extra:
            extra[base] = _file_target(base, config, (), "found on disk")
    return list(extra.values())


def collect_log_families(config: HostConfig, host: HostRoot, *, budget_s: float) -> tuple[LogFamily, ...]:
    """Targets, configured retention, observed oldest entry and logged fields of every log family."""
    deadline = time.monotonic() + budget_s
    zone, zone_note = host_timezone(host)
    web_targets, web_fields = _web_access(config)
    mail_targets = _syslog_targets(config, ("mail",))
    mail_notes: list[str] = []
    if config.postfix is not None:
        # The effective value: Postfix takes the last assignment and expands $names.
        maillog = effective(config.postfix, None).get("maillog_file")
        if maillog is not None and (maillog.value.startswith("/") or sink_kind(maillog.value) != "file"):
            mail_targets.append(_file_target(maillog.value, config, (maillog.source,), "postlog"))
            mail_notes.append(f"Postfix writes its own log ({maillog})")
    dovecot_targets, dovecot_notes = _dovecot(config)
    mail_targets += [t for t in dovecot_targets if t.path not in {m.path for m in mail_targets}]
    mail_notes += dovecot_notes
    webmail_targets, webmail_fields, webmail_notes = _webmail(config, host)
    cloud_targets, cloud_fields, cloud_notes = _cloud(config)
    journal_targets, journal_notes = _journal(config.journald)
    plan: dict[str, tuple[list[LogTarget], list[LoggedField], list[str]]] = {
        "mail": (mail_targets, [], mail_notes),
        "web-access": (web_targets, web_fields, []),
        "webmail": (webmail_targets, webmail_fields, webmail_notes),
        "cloud": (cloud_targets, cloud_fields, cloud_notes),
        "auth": (_syslog_targets(config, ("auth", "authpriv")), [], []),
        "journal": (journal_targets, [], journal_notes),
    }
    families: list[LogFamily] = []
    for name, (targets, fields, notes) in plan.items():
        patterns = list(DEFAULT_FAMILIES[name])
        discarded = [t for t in targets if t.kind == "discard"]
        notes = notes + [f"{t.path} keeps nothing: {t.route}" for t in discarded]
        targets = [t for t in targets if t.kind != "discard"]
        if name != "journal":
            patterns = [f"{t.path}*" for t in targets if t.kind == "file"] + patterns
        observed = collect_log_family(
            host, name, dict.fromkeys(patterns), local=zone, zone_note=zone_note, deadline=deadline
        )
        if name != "journal":
            targets = targets + _disk_targets(observed, targets, config)
        sample_at = SourceRef(observed.oldest_file or (observed.files[-1].path if observed.files else ""), 0)
        fields = list(dict.fromkeys(fields + [LoggedField(f, "sampled lines", sample_at) for f in observed.fields]))
        present = bool(targets or observed.files)
        errors = tuple(str(e) for e in observed.errors)
        families.append(LogFamily(name, present, tuple(targets), observed, tuple(fields), tuple(notes), errors))
    return tuple(families)
