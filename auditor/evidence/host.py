"""Host evidence: what a mail host's configuration, disk and user database show, as plain values.

The collector (:mod:`auditor.collectors.host`) fills this once per run; the reconciliation
checks (retention, inventory, hashing, transport, backup) only read it. Every value keeps
the ``file:line`` it came from so a finding can cite both the rsyslog route and the
logrotate rule it contradicts. Nothing here ever holds a log line, a password hash or a
secret: only paths, line numbers, setting values (secrets redacted by the readers),
timestamps, field *kinds* and per-scheme counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.evidence.backup import BackupConfig
from auditor.evidence.outcomes import ErrorKind
from auditor.evidence.settings import Setting, SourceRef
from auditor.evidence.stored import InventoryEvidence, LogFamilyEvidence
from auditor.models import Message

#: Log families in check-id spelling (``retention.<family>``).
LOG_FAMILIES: tuple[str, ...] = ("mail", "web-access", "webmail", "cloud", "auth", "journal")


@dataclass(frozen=True, slots=True)
class TemplateFile:
    """A configuration file that is an unrendered template.

    ``languages``: the shape families seen; ``placeholders``: how many placeholders and tags;
    ``logic_lines``: 1-based lines inside template branches or loops (their settings may not
    exist once rendered); ``first_line``: where the first placeholder is.
    """

    path: str
    languages: tuple[str, ...]
    placeholders: int
    first_line: int
    logic_lines: tuple[tuple[int, int], ...] = ()

    def in_logic(self, line: int) -> bool:
        return any(start <= line <= end for start, end in self.logic_lines)


@dataclass(frozen=True, slots=True)
class PasswordWriter:
    """A tool that writes new mail passwords, the scheme it writes (``None``: its word is unknown) and why."""

    tool: str
    setting: Setting
    scheme: str | None


@dataclass(frozen=True, slots=True)
class LogTarget:
    """One file (or store) a log family is written to, and how long its configuration keeps it.

    ``routed_by``: the configuration lines that send the family here (rsyslog rule, nginx
    ``access_log``, Roundcube ``log_dir``), empty when the file was only found on disk.
    ``retention_days`` is ``None`` when ``unbounded`` (nothing limits age) or unknown.
    ``retention_sources`` are the lines that set it (``rotate 4``, ``weekly``, ``MaxRetentionSec``).
    """

    path: str
    routed_by: tuple[SourceRef, ...] = ()
    route: str = ""
    retention_days: float | None = None
    unbounded: bool = False
    #: how the retention follows from the configuration, as a message (plain text in older bundles)
    basis: str | Message = ""
    retention_sources: tuple[Setting, ...] = ()
    caveats: tuple[str, ...] = ()
    #: ``file``; ``stream`` for stdout/stderr (kept by the container runtime or journald, see ``basis``).
    kind: str = "file"


@dataclass(frozen=True, slots=True)
class LoggedField:
    """A kind of personal data a family's lines carry, and where that was seen (format line or log file)."""

    field: str
    how: str  # "log format" | "sampled lines" | "configured"
    source: SourceRef


@dataclass(frozen=True, slots=True)
class LogFamily:
    """Configured and observed retention of one log family (mail, web-access, webmail, cloud, auth, journal).

    ``present`` is False when the host neither configures nor keeps such logs.
    ``observed`` is the on-disk evidence (oldest entry still present, its file).
    """

    family: str
    present: bool
    targets: tuple[LogTarget, ...] = ()
    observed: LogFamilyEvidence | None = None
    fields: tuple[LoggedField, ...] = ()
    notes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def unbounded(self) -> bool:
        return any(t.unbounded for t in self.targets)

    @property
    def configured_days(self) -> float | None:
        """Longest configured retention over all targets; ``None`` if unbounded or unknown anywhere."""
        if not self.targets or any(t.unbounded or t.retention_days is None for t in self.targets):
            return None
        return max(t.retention_days or 0.0 for t in self.targets)


@dataclass(frozen=True, slots=True)
class UserDatabase:
    """A user database the host's configuration names (or the user gave with ``--db``).

    ``found_in``: the config lines naming it (empty for ``--db``). ``error`` says why it was
    not examined (e.g. ``credentials needed: pass --db``); the DSN never shows a password.
    ``purpose``: whose database it is (the mail accounts' lookup database, Roundcube's, or the
    one given with ``--db``); the hashing check reads only the mail-user and given ones.
    """

    dsn_redacted: str
    engine: str
    found_in: tuple[SourceRef, ...] = ()
    given: bool = False
    inventory: InventoryEvidence | None = None
    error: str | Message | None = None
    purpose: str = "mail-users"  # mail-users | webmail | given


@dataclass(frozen=True, slots=True)
class PostfixService:
    """One public ``smtpd`` service of master.cf and its effective TLS/SASL settings.

    Settings are main.cf + built-in defaults + the service's ``-o`` overrides, ``$``-expanded;
    a built-in default has ``default=True`` and line 0.
    """

    name: str
    role: str  # smtp | submission | submissions
    port: int | None
    file: str
    line: int
    settings: tuple[Setting, ...] = ()

    def get(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)


@dataclass(frozen=True, slots=True)
class DovecotTransport:
    """Dovecot's effective TLS/authentication settings and the scoped exceptions (``remote 127.0.0.1 {}``)."""

    settings: tuple[Setting, ...]
    scoped: tuple[Setting, ...] = ()
    files: tuple[str, ...] = ()

    def get(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)


@dataclass(frozen=True, slots=True)
class MailProxyServer:
    """One nginx ``mail { server { } }``: the protocol it proxies, where it listens, its TLS settings.

    ``listens``: ``listen`` values (``143``, ``0.0.0.0:993 ssl``); ``settings``: the effective
    ``ssl_protocols``, ``ssl_ciphers``, ``starttls``, ``ssl`` and ``<protocol>_auth`` (the server's own
    over the ``mail { }`` level's; nginx's defaults are not filled in); ``weak_suites``: suites of
    ``ssl_ciphers`` as the local OpenSSL expands it that are broken or export grade."""

    protocol: str
    listens: tuple[str, ...]
    file: str
    line: int
    settings: tuple[Setting, ...] = ()
    weak_suites: tuple[str, ...] = ()

    def get(self, name: str) -> Setting | None:
        return next((s for s in self.settings if s.name == name), None)


@dataclass(frozen=True, slots=True)
class HostError:
    """A host input that could not be read or parsed; ``area``: logs | transport | inventory | backup."""

    area: str
    message: str
    #: what kind of failure: checks branch on this, never on the message (not-found: a file the
    #: configuration names is absent, usually because a snapshot did not capture it)
    kind: ErrorKind = ErrorKind.ERROR


@dataclass(frozen=True, slots=True)
class HostEvidence:
    """Everything read from one host root. ``None`` sections: that software is not on the host."""

    root: str
    collected_at: str
    logs: tuple[LogFamily, ...] = ()
    databases: tuple[UserDatabase, ...] = ()
    pass_schemes: tuple[Setting, ...] = ()
    postfix: tuple[PostfixService, ...] | None = None
    dovecot: DovecotTransport | None = None
    backups: BackupConfig | None = None
    config_files: tuple[str, ...] = ()
    errors: tuple[HostError, ...] = ()
    templates: tuple[TemplateFile, ...] = ()
    #: Tools that write new mail passwords (admin panel, webmail password plugin) and their scheme.
    password_writers: tuple[PasswordWriter, ...] = ()
    #: nginx mail proxy servers (STARTTLS or TLS terminated in nginx), ``None`` without ``mail { }``.
    mail_proxy: tuple[MailProxyServer, ...] | None = None

    def family(self, name: str) -> LogFamily | None:
        return next((f for f in self.logs if f.family == name), None)

    def errors_in(self, area: str, kind: ErrorKind | None = None) -> tuple[str, ...]:
        """Messages of the errors of one area (of one kind only, when ``kind`` is given)."""
        return tuple(e.message for e in self.errors if e.area == area and (kind is None or e.kind is kind))
