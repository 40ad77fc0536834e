"""Run every host reader once over a host root and bundle the results as plain values.

Each reader is independent: a missing or malformed file in one becomes an error string
in that reader's result (and in ``HostConfig.errors``), never a crash of the others.
Readers whose software is absent (no ``/etc/dovecot``) are ``None`` rather than errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from auditor.collectors.host.readers.admintools import AdminTools, plugins_of, read_admin_tools
from auditor.collectors.host.readers.backups import read_backups
from auditor.collectors.host.readers.containers import ContainerLogging, read_container_logging
from auditor.collectors.host.readers.daemon_args import start_config
from auditor.collectors.host.readers.dovecot import DOVECOT_CONF, DovecotConfig, read_dovecot
from auditor.collectors.host.readers.journald import JournaldConfig, read_journald
from auditor.collectors.host.readers.logrotate import LOGROTATE_CONF, LOGROTATE_D, LogrotateConfig, read_logrotate
from auditor.collectors.host.readers.newsyslog import NewsyslogConfig, read_newsyslog
from auditor.collectors.host.readers.postfix import MAIN_CF, PostfixConfig, read_postfix, sql_map_paths
from auditor.collectors.host.readers.rsyslog import BSD_SYSLOG_CONF, RSYSLOG_CONF, RsyslogConfig, read_rsyslog
from auditor.collectors.host.readers.sqlconf import DOVECOT_SQL, SqlLookup, postfix_sql_files, read_sql_lookup
from auditor.collectors.host.readers.syslog_ng import SYSLOG_NG_CONF, read_syslog_ng
from auditor.collectors.host.readers.webapps import PhpConfig, read_nextcloud, read_roundcube
from auditor.collectors.host.readers.weblogs import APACHE_CONFS, NGINX_CONF, WebLogConfig, read_apache, read_nginx
from auditor.collectors.host.root import HostRoot, as_root
from auditor.evidence.backup import BackupConfig
from auditor.evidence.host import TemplateFile


@dataclass(frozen=True, slots=True)
class HostConfig:
    """Everything the host readers found (``None``: that software is not on this host)."""

    root: str
    postfix: PostfixConfig | None
    dovecot: DovecotConfig | None
    sql_lookups: tuple[SqlLookup, ...]
    logrotate: LogrotateConfig | None
    rsyslog: RsyslogConfig | None
    journald: JournaldConfig
    nginx: WebLogConfig | None
    apache: WebLogConfig | None
    roundcube: PhpConfig | None
    nextcloud: PhpConfig | None
    backups: BackupConfig
    errors: tuple[str, ...] = ()
    templates: tuple[TemplateFile, ...] = ()
    admin_tools: AdminTools = AdminTools((), ())
    containers: ContainerLogging = ContainerLogging((), (), ())
    #: BSD newsyslog lines (the rotation of hosts without logrotate).
    newsyslog: NewsyslogConfig = NewsyslogConfig()

    def template(self, path: str) -> TemplateFile | None:
        """The file as an unrendered template, or ``None`` for a plain configuration file."""
        return next((t for t in self.templates if t.path == path), None)


def _dovecot_sql_paths(dovecot: DovecotConfig | None) -> list[str]:
    paths: list[str] = []
    if dovecot is not None:
        for db in dovecot.passdbs + dovecot.userdbs:
            arg = db.args.split()[-1] if db.args.split() else ""
            if db.driver == "sql" and arg.startswith("/") and arg not in paths:
                paths.append(arg)
    return paths


def read_host(root: Path | str | HostRoot) -> HostConfig:
    host = as_root(root)
    postfix = read_postfix(host) if host.lexists(MAIN_CF) else None
    dovecot = read_dovecot(host) if host.lexists(DOVECOT_CONF) else None
    sql: list[SqlLookup] = []
    dovecot_sql = _dovecot_sql_paths(dovecot)
    if not dovecot_sql and host.exists(DOVECOT_SQL):
        dovecot_sql = [DOVECOT_SQL]
    sql += [read_sql_lookup(host, p, "dovecot") for p in dovecot_sql]
    if postfix is not None:
        sql += [read_sql_lookup(host, p, "postfix") for p in postfix_sql_files(host, sql_map_paths(postfix))]
    logrotate = read_logrotate(host) if host.lexists(LOGROTATE_CONF) or host.is_dir(LOGROTATE_D) else None
    started = start_config(
        host, "rsyslogd", ("/etc/default/rsyslog", "/etc/sysconfig/rsyslog"), "RSYSLOGD_OPTIONS"
    ) or start_config(host, "rsyslog", (), "RSYSLOGD_OPTIONS")
    rsyslog_conf = started.value if started is not None and started.value.startswith("/") else RSYSLOG_CONF
    rsyslog = read_rsyslog(host, rsyslog_conf, started=started) if host.lexists(rsyslog_conf) else None
    if rsyslog is None and host.lexists(SYSLOG_NG_CONF):  # the same routes, read from syslog-ng's log paths
        rsyslog = read_syslog_ng(host)
    if rsyslog is None and host.lexists(BSD_SYSLOG_CONF):  # BSD syslogd: rsyslog's legacy selector syntax
        rsyslog = read_rsyslog(host, BSD_SYSLOG_CONF)
    journald = read_journald(host)
    fragments = any(host.glob(f"/etc/nginx/{d}/*") for d in ("sites-enabled", "sites-available", "conf.d"))
    nginx = read_nginx(host) if host.lexists(NGINX_CONF) or fragments else None
    apache = read_apache(host) if any(host.lexists(c) for c in APACHE_CONFS) else None
    roundcube = read_roundcube(host)
    nextcloud = read_nextcloud(host)
    backups = read_backups(host)
    admin = read_admin_tools(host, plugins_of(roundcube.get("plugins")) if roundcube.files else None)
    containers = read_container_logging(host)
    newsyslog = read_newsyslog(host)
    parts: list[object] = [
        postfix,
        dovecot,
        *sql,
        logrotate,
        rsyslog,
        journald,
        nginx,
        apache,
        roundcube,
        nextcloud,
        backups,
        admin,
        containers,
        newsyslog,
    ]
    errors = tuple(e for p in parts if p is not None for e in getattr(p, "errors", ()))
    return HostConfig(
        str(host.root),
        postfix,
        dovecot,
        tuple(sql),
        logrotate,
        rsyslog,
        journald,
        nginx,
        apache,
        roundcube if roundcube.files else None,
        nextcloud if nextcloud.files else None,
        backups,
        errors,
        tuple(host.templates.values()),
        admin,
        containers,
        newsyslog,
    )
