"""Builders for host-evidence fixtures: realistic HostEvidence and claims without touching a disk."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from auditor.evidence import EVIDENCE_SCHEMA_VERSION, Evidence, Target
from auditor.evidence.backup import BackupConfig, BackupRetention
from auditor.evidence.claims import Claim, ClaimSet
from auditor.evidence.host import HostEvidence, LogFamily, LoggedField, LogTarget, UserDatabase
from auditor.evidence.settings import Setting, SourceRef
from auditor.evidence.stored import ColumnInfo, InventoryEvidence, LogFamilyEvidence, LogFileInfo, TableInfo

NOW = "2026-11-23T10:00:00+00:00"
STATEMENT = "datenschutz.md"
MAIL_QUOTE = "Die Meta-Daten von gesendeten und empfangenen E-Mails werden für 7 Tage in Log-Dateien gespeichert."


def debian_mail_target(path: str = "/var/log/mail.log", route_line: int = 16) -> LogTarget:
    """Debian's default: rsyslog ``mail.*`` route, logrotate ``weekly`` + ``rotate 4`` (35 days)."""
    return LogTarget(
        path=path,
        routed_by=(SourceRef("/etc/rsyslog.conf", route_line),),
        route=f"mail.* -> {path}",
        retention_days=35.0,
        unbounded=False,
        basis="(rotate 4 + 1) x weekly (7 d)",
        retention_sources=(
            Setting("frequency", "weekly", "/etc/logrotate.d/rsyslog", 9),
            Setting("rotate", "4", "/etc/logrotate.d/rsyslog", 8),
        ),
    )


def daily_target(path: str, rotate: int = 6, route: SourceRef | None = None) -> LogTarget:
    return LogTarget(
        path=path,
        routed_by=(route or SourceRef("/etc/rsyslog.conf", 16),),
        route=f"-> {path}",
        retention_days=float(rotate + 1),
        basis=f"(rotate {rotate} + 1) x daily (1 d)",
        retention_sources=(
            Setting("frequency", "daily", "/etc/logrotate.d/rsyslog", 3),
            Setting("rotate", str(rotate), "/etc/logrotate.d/rsyslog", 4),
        ),
    )


def observed(
    family: str,
    oldest: str | None,
    oldest_file: str | None = None,
    *,
    complete: bool = True,
    fields: tuple[str, ...] = (),
) -> LogFamilyEvidence:
    files = (LogFileInfo(oldest_file, 120, oldest or NOW, "gz", 4),) if oldest_file else ()
    return LogFamilyEvidence(
        family=family,
        patterns=("/var/log/mail.log*",),
        files=files,
        oldest_entry=oldest,
        oldest_file=oldest_file,
        oldest_method="entry" if oldest else None,
        fields=fields,
        complete=complete,
    )


def family(
    name: str,
    *targets: LogTarget,
    oldest: str | None = None,
    oldest_file: str | None = None,
    fields: tuple[str, ...] = ("ip-address",),
    errors: tuple[str, ...] = (),
) -> LogFamily:
    at = SourceRef(oldest_file or "/var/log/mail.log", 0)
    return LogFamily(
        name,
        True,
        targets,
        observed(name, oldest, oldest_file, fields=fields),
        tuple(LoggedField(f, "sampled lines", at) for f in fields),
        (),
        errors,
    )


def sqlite_db(
    columns: dict[str, list[str]], schemes: dict[str, int] | None = None, path: str = "/var/lib/mail/users.sqlite"
) -> UserDatabase:
    """A SQLite user database: ``{"mailbox": ["username:e-mail-address", "phone:phone", ...]}``."""
    tables = tuple(
        TableInfo(name, 3, tuple(ColumnInfo(c.split(":")[0], "TEXT", c.split(":")[1] or None) for c in cols))
        for name, cols in columns.items()
    )
    cats = tuple(sorted({c.category for t in tables for c in t.columns if c.category}))
    hash_cols = tuple(f"{t.name}.{c.name}" for t in tables for c in t.columns if c.category == "password")
    counts = schemes or {}
    inventory = InventoryEvidence(
        dsn_redacted=f"sqlite://{path}",
        engine="sqlite",
        tables=tables,
        categories_found=cats,
        hash_schemes=counts,
        hash_columns=hash_cols,
        hash_rows_examined=sum(counts.values()),
    )
    ref = SourceRef("/etc/dovecot/dovecot-sql.conf.ext", 2)
    return UserDatabase(f"sqlite://{path}", "sqlite", (ref,), inventory=inventory)


POSTFIXADMIN = {
    "mailbox": [
        "username:e-mail-address",
        "password:password",
        "name:name",
        "created:account-created",
        "quota:quota-usage",
    ]
}


def backups(*retentions: BackupRetention) -> BackupConfig:
    return BackupConfig(retentions, tuple(r.file for r in retentions))


def borgmatic(keep_daily: int, *, effective: bool = True) -> BackupRetention:
    rule = Setting("keep_daily", str(keep_daily), "/etc/borgmatic/config.yaml", 23)
    longest = float(keep_daily) if effective else None
    return BackupRetention("borgmatic", "/etc/borgmatic/config.yaml", 23, (rule,), longest, not effective, effective)


def host(**changes: Any) -> HostEvidence:
    return replace(HostEvidence(root="/srv/snapshot", collected_at=NOW), **changes)


def claim(
    kind: str,
    subject: str,
    *,
    period: str | None = None,
    fields: tuple[str, ...] = (),
    value: str | None = None,
    quote: str = MAIL_QUOTE,
    bound: str = "exact",
) -> Claim:
    cid = f"{kind}.{subject}" + (f".{value.lower()}" if value else "")
    return Claim(
        id=cid,
        kind=kind,
        subject=subject,
        fields=fields,
        period=period,
        bound=bound,  # type: ignore[arg-type]
        value=value,
        quote=quote,
        start=0,
        end=len(quote),
    )


def claims(*items: Claim) -> ClaimSet:
    return ClaimSet(source=STATEMENT, sha256="0" * 64, language="de", claims=items)


def evidence(host_evidence: HostEvidence | None, claim_set: ClaimSet | None = None) -> Evidence:
    return Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at=NOW,
        target=Target(domain=None),
        network=False,
        host=host_evidence,
        claims=claim_set,
    )
