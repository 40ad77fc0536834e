"""Find the user database through the host's configuration (or ``--db``) and inventory it read-only.

Dovecot's and Postfix's SQL lookup files and Roundcube's ``db_dsnw`` name the database.
A SQLite file inside the host root can be opened without credentials. For PostgreSQL or
MySQL the readers dropped the password while reading (it must never reach a report), so
the collector does not guess one: it records ``credentials needed: pass --db`` as an
error value and the inventory and hashing checks report "could not verify".
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from auditor.collectors.host.config import HostConfig
from auditor.collectors.host.db.dsn import DRIVER_ENGINES, DsnError, build_dsn, parse_dsn
from auditor.collectors.host.db.isolated import dsn_shown, inventory_isolated
from auditor.collectors.host.readers.dovecot import effective as dovecot_effective
from auditor.collectors.host.readers.postfix import sql_map_paths
from auditor.collectors.host.readers.sqlconf import SqlLookup, lookup_password
from auditor.collectors.host.readers.webapps import roundcube_dsn_with_password
from auditor.collectors.host.root import HostRoot
from auditor.collectors.host.templates import has_placeholder
from auditor.deadline import Deadline
from auditor.evidence.host import UserDatabase
from auditor.evidence.settings import Setting, SourceRef
from auditor.evidence.stored import InventoryEvidence
from auditor.models import Message, msg

#: Why a configured database was not read (a message; compared by its key, never by text).
CREDENTIALS_NEEDED = msg("inventory.db.credentials-needed")


def _lookup_ref(lookup: SqlLookup) -> SourceRef:
    for name in ("connect", "hosts", "dbname", "driver"):
        found = next((s for s in lookup.settings if s.name == name), None)
        if found is not None:
            return found.source
    return SourceRef(lookup.path, 0)


def _from_lookup(lookup: SqlLookup) -> tuple[tuple[str, str, str], UserDatabase] | None:
    engine = DRIVER_ENGINES.get((lookup.driver or "").lower())
    if engine is None:
        return None
    ref = _lookup_ref(lookup)
    if engine == "sqlite":
        dbpath = next((s.value for s in lookup.settings if s.name == "dbpath"), None)  # Postfix sqlite_table(5)
        path = (lookup.dbname or dbpath or "").strip()
        if not path.startswith("/"):
            return None
        return (engine, "", path), UserDatabase(f"sqlite://{path}", engine, (ref,), purpose="mail-users")
    host = ",".join(lookup.hosts) or "localhost"
    try:  # shown as a DSN of its first host, the one the server tries first; no password is read
        first = lookup.hosts[0] if lookup.hosts else "localhost"
        built = build_dsn(engine, host=first, port=lookup.port, user=lookup.user, database=lookup.dbname)
        shown = parse_dsn(built).redacted()
    except (DsnError, ValueError):  # ValueError: a port that is not a number
        return None
    db = UserDatabase(shown, engine, (ref,), purpose="mail-users", error=CREDENTIALS_NEEDED)
    return (engine, host, lookup.dbname or ""), db


def _from_roundcube(config: HostConfig) -> tuple[tuple[str, str, str], UserDatabase] | None:
    setting = config.roundcube.settings.get("db_dsnw") if config.roundcube is not None else None
    if setting is None or (config.template(setting.file) is not None and has_placeholder(setting.value)):
        return None  # an unrendered DSN names no database yet (config.templates reports the file)
    try:
        parsed = parse_dsn(setting.value)
    except DsnError as exc:
        return ("?", "", setting.value), UserDatabase(
            "<unparsable>",
            "unknown",
            (setting.source,),
            purpose="webmail",
            error=msg("inventory.db.dsnw-unusable", error=str(exc)),
        )
    if parsed.engine == "sqlite":
        path = parsed.path or ""
        return (parsed.engine, "", path), UserDatabase(
            f"sqlite://{path}", "sqlite", (setting.source,), purpose="webmail"
        )
    shown = replace(parsed, password=None).redacted()  # the reader already replaced it by "<redacted>"
    db = UserDatabase(shown, parsed.engine, (setting.source,), purpose="webmail", error=CREDENTIALS_NEEDED)
    return (parsed.engine, parsed.host or "localhost", parsed.database or ""), db


def _in_use(lookup: SqlLookup, config: HostConfig) -> bool:
    """Dovecot's lookup is named by its passdb; a Postfix map file counts only if main.cf/master.cf use it.

    A lookup whose connection is an unrendered template placeholder names no database yet."""
    if config.template(lookup.path) is not None and any(
        has_placeholder(s.value) for s in lookup.settings if s.name in ("driver", "connect", "hosts", "dbname", "user")
    ):
        return False
    return lookup.kind != "postfix" or config.postfix is None or lookup.path in sql_map_paths(config.postfix)


def find_databases(config: HostConfig) -> tuple[UserDatabase, ...]:
    """Databases the configuration names, deduplicated by engine, host and database (file).

    Postfix map files lying around unused (left over from an old setup) are ignored.
    """
    found: dict[tuple[str, str, str], UserDatabase] = {}
    lookups = [lk for lk in config.sql_lookups if _in_use(lk, config)]
    candidates = [_from_lookup(lk) for lk in lookups] + [_from_roundcube(config)]
    for item in candidates:
        if item is None:
            continue
        key, db = item
        if key in found:
            prev = found[key]
            found[key] = UserDatabase(
                prev.dsn_redacted,
                prev.engine,
                prev.found_in + db.found_in,
                prev.given,
                prev.inventory,
                prev.error,
                prev.purpose,
            )
        else:
            found[key] = db
    return tuple(found.values())


def config_password(config: HostConfig, host: HostRoot, db: UserDatabase) -> str | None:
    """The password the configuration lines naming ``db`` give its user (first lookup file or Roundcube
    config that has one); ``None`` when they give none (the server may trust the connection)."""
    lookups = {lk.path: lk for lk in config.sql_lookups}
    for ref in db.found_in:
        if ref.file in lookups:
            found = lookup_password(host, ref.file, lookups[ref.file].kind)
        elif config.roundcube is not None and ref.file in config.roundcube.files:
            dsn = roundcube_dsn_with_password(host)
            try:
                found = parse_dsn(dsn).password if dsn else None
            except DsnError:
                found = None
        else:
            continue
        if found:
            return found
    return None


def collect_databases(
    config: HostConfig,
    host: HostRoot,
    *,
    db: str | None,
    timeout: float,
    db_password: str | None = None,
    config_credentials: bool = False,
) -> tuple[UserDatabase, ...]:
    """Inventory the given DSN, else every SQLite database the configuration names.

    A DSN given by the user is a path on the auditing machine for SQLite (it is the
    user's own input); SQLite paths read from the host's configuration are resolved inside
    the host root, so a hostile snapshot cannot point the reader elsewhere.
    ``config_credentials`` (``--db-from-config``, an explicit opt-in on a live host): server databases
    are read too, read-only, with the user and password the configuration gives; the password goes to
    the driver only and never into the evidence.
    """
    deadline = Deadline.after(timeout)  # one budget for every database, each read in its own bounded child
    if db is not None:
        inventory = _isolated(db, None, db_password, deadline)
        return (UserDatabase(inventory.dsn_redacted, inventory.engine, (), True, inventory, None, "given"),)
    out: list[UserDatabase] = []
    for item in find_databases(config):
        if item.error is None and item.engine == "sqlite":
            inventory = _isolated(item.dsn_redacted, host.root, None, deadline)
            item = UserDatabase(item.dsn_redacted, item.engine, item.found_in, False, inventory, None, item.purpose)
        elif config_credentials and isinstance(item.error, Message) and item.error.key == CREDENTIALS_NEEDED.key:
            password = config_password(config, host, item)
            inventory = _isolated(item.dsn_redacted, None, password, deadline)
            item = UserDatabase(item.dsn_redacted, item.engine, item.found_in, False, inventory, None, item.purpose)
        out.append(item)
    return tuple(out)


def _isolated(dsn: str, host_root: Path | None, password: str | None, deadline: Deadline) -> InventoryEvidence:
    try:
        engine = parse_dsn(dsn).engine
    except DsnError:
        engine = "unknown"
    timeout = max(1.0, deadline.remaining())
    return inventory_isolated(dsn, dsn_shown(dsn), engine, timeout=timeout, host_root=host_root, password=password)


def pass_schemes(config: HostConfig) -> tuple[Setting, ...]:
    """Configured default password schemes (SQL lookup files, Dovecot 2.4 passdb settings)."""
    found: dict[tuple[str, int], Setting] = {}
    for lookup in config.sql_lookups:
        if lookup.default_pass_scheme is not None:
            found[(lookup.default_pass_scheme.file, lookup.default_pass_scheme.line)] = lookup.default_pass_scheme
    if config.dovecot is not None:
        eff = dovecot_effective(config.dovecot)
        for name in ("default_pass_scheme", "default_password_scheme"):
            s = eff.get(name)
            if s is not None and not s.default:
                found.setdefault((s.file, s.line), s)
    return tuple(found.values())
