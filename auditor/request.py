"""What the user asked for, as one typed value built from the command line or an audit TOML file.

Both front ends hand the same mapping (option name -> value) to one builder: argparse's
parsed options as they are, a TOML file's ``[audit]`` keys after its key table renamed and
typed them. The builder validates everything once, loads the TLS grading profile (an
unknown name is a usage error naming the choices, exit 2) and returns frozen values; the
commands read fields, never an ``argparse.Namespace``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.claims import ClaimsFileError, read_claims_yaml
from auditor.clauses import Catalogue, CatalogueError, packaged_catalogue
from auditor.collect import ScanOptions
from auditor.collectors.discovery import ServiceSpecError, is_hostname, parse_service
from auditor.collectors.dnsclient import ResolverSpec
from auditor.collectors.dnssec import TrustAnchor, TrustAnchorError
from auditor.collectors.limiter import DEFAULT_PER_IP_CONCURRENCY, DEFAULT_PER_IP_PACE_S
from auditor.credentials import CredentialError, read_secret_file, secret_from_env
from auditor.mailer import MailSettings
from auditor.models import Severity
from auditor.profiles import DEFAULT_PROFILE, Profile, ProfileError, available_profiles, load_profile
from auditor.reports.outputs import OutputError, renderer_for

#: Defaults shared by the argparse definitions and the TOML file.
DEFAULT_TIMEOUT_S = 300.0
DEFAULT_PER_IP_BUDGET: int | None = None  # no fixed cap: pacing and throttle detection keep scans polite
DEFAULT_FAIL_ON = "high"
LANG_CHOICES = ("auto", "en", "de")
FAIL_ON_CHOICES = (*(s.value for s in Severity), "none")


class UsageError(Exception):
    """A bad argument or input file: exit 2 with this message."""


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """How to evaluate and report: shared by ``scan``, ``evaluate`` and ``run``.

    ``lang`` may still be ``auto`` (decided from the statement once the evidence is in);
    ``fail_on`` is ``None`` for ``--fail-on none``.
    """

    profile: Profile
    catalogue: Catalogue
    profile_name: str = DEFAULT_PROFILE
    outputs: tuple[Path, ...] = ()
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    lang: str = "auto"
    fail_on: Severity | None = Severity.HIGH
    mapping: Path | None = None
    clauses: Path | None = None
    waivers: Path | None = None
    baseline: Path | None = None
    quiet: bool = False
    show_passed: bool = False


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """A whole audit run: what to collect, how to report, where to save and mail it."""

    collect: ScanOptions
    report: ReportRequest
    evidence_out: Path | None = None
    mail: MailSettings | None = None


def _given(values: Mapping[str, Any], key: str, default: Any) -> Any:
    value = values.get(key)
    return default if value is None else value


def _path(value: object) -> Path | None:
    return None if value in (None, "") else Path(str(value))


def _strings(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(str(v) for v in items)


def _choice(name: str, value: object, choices: Sequence[str]) -> str:
    if str(value) not in choices:
        raise UsageError(f"--{name.replace('_', '-')}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def load_profile_option(name: object) -> Profile:
    """The ``--profile`` value as a loaded profile; an unknown one names the choices."""
    try:
        return load_profile(str(name))
    except ProfileError as exc:
        raise UsageError(f"--profile: {exc}") from None


def report_request(values: Mapping[str, Any]) -> ReportRequest:
    """Validate the evaluation and output options (``scan``, ``evaluate``, ``run``)."""
    outputs = tuple(Path(str(p)) for p in values.get("output") or ())
    try:
        for output in outputs:
            renderer_for(output)
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    profile_name = str(values.get("profile") or DEFAULT_PROFILE)
    fail_on = _choice("fail_on", values.get("fail_on") or DEFAULT_FAIL_ON, FAIL_ON_CHOICES)
    clauses = _path(values.get("clauses"))
    try:
        catalogue = packaged_catalogue() if clauses is None else packaged_catalogue().with_override(clauses)
    except CatalogueError as exc:
        raise UsageError(str(exc)) from None
    return ReportRequest(
        profile=load_profile_option(profile_name),
        catalogue=catalogue,
        profile_name=profile_name,
        outputs=outputs,
        only=_strings(values.get("only")),
        skip=_strings(values.get("skip")),
        lang=_choice("lang", values.get("lang") or "auto", LANG_CHOICES),
        fail_on=None if fail_on == "none" else Severity(fail_on),
        mapping=_path(values.get("mapping")),
        clauses=clauses,
        waivers=_path(values.get("waivers")),
        baseline=_path(values.get("baseline")),
        quiet=bool(values.get("quiet")),
        show_passed=bool(values.get("show_passed")),
    )


def collect_options(values: Mapping[str, Any]) -> ScanOptions:
    domain = values.get("domain")
    no_network = bool(values.get("no_network"))
    if domain and not is_hostname(str(domain)):
        raise UsageError(f"{domain!r} is not a domain name")
    if not domain and not no_network:
        raise UsageError("give a DOMAIN to audit, or --no-network for host/statement-only audits")
    services = _strings(values.get("service"))
    resolver = values.get("resolver")
    try:
        ResolverSpec.parse(resolver)
        for spec in services:
            parse_service(spec)
    except (ValueError, ServiceSpecError) as exc:
        raise UsageError(f"--resolver/--service: {exc}") from None
    ca_file = values.get("ca_file")
    if ca_file and not Path(str(ca_file)).is_file():
        raise UsageError(f"--ca-file {ca_file}: no such file")
    trust_anchor = _path(values.get("trust_anchor"))
    if trust_anchor is not None:
        try:
            TrustAnchor.load(trust_anchor)
        except TrustAnchorError as exc:
            raise UsageError(str(exc)) from None
    statement, claims, host_root = values.get("statement"), _path(values.get("claims")), _path(values.get("host_root"))
    if not domain and not (host_root or statement or claims):
        raise UsageError("nothing to audit: give a DOMAIN, --host-root, --statement or --claims")
    if claims is not None:
        try:
            read_claims_yaml(claims)
        except ClaimsFileError as exc:
            raise UsageError(str(exc)) from None
    if host_root is not None and not host_root.is_dir():
        raise UsageError(f"--host-root {host_root}: not a directory")
    timeout = float(_given(values, "timeout", DEFAULT_TIMEOUT_S))
    if not (math.isfinite(timeout) and timeout > 0):
        raise UsageError(f"--timeout: {timeout!r} is not a number of seconds above 0")
    for name in ("per_ip_budget", "per_ip_concurrency"):
        if int(_given(values, name, None) or 1) < 1:
            raise UsageError(f"--{name.replace('_', '-')}: must be at least 1")
    pace = float(_given(values, "per_ip_pace", DEFAULT_PER_IP_PACE_S))
    if not (math.isfinite(pace) and pace >= 0):
        raise UsageError(f"--per-ip-pace: {pace!r} is not a number of seconds of 0 or more")
    budget = _given(values, "per_ip_budget", DEFAULT_PER_IP_BUDGET)
    return ScanOptions(
        domain=str(domain).rstrip(".").lower() if domain and not no_network else None,
        services=services,
        resolver=str(resolver) if resolver else None,
        ca_file=str(ca_file) if ca_file else None,
        timeout=timeout,
        network=not no_network,
        state_dir=_path(values.get("state_dir")),
        trust_anchor=trust_anchor,
        per_ip_budget=int(budget) if budget is not None else None,
        per_ip_pace=pace,
        per_ip_concurrency=int(_given(values, "per_ip_concurrency", DEFAULT_PER_IP_CONCURRENCY)),
        statement=str(statement) if statement else None,
        claims_file=claims,
        host_root=host_root,
        db=str(values["db"]) if values.get("db") else None,
        db_password=_db_password(values),
        db_from_config=_db_from_config(values, no_network, host_root),
    )


def _db_from_config(values: Mapping[str, Any], no_network: bool, host_root: Path | None) -> bool:
    """``--db-from-config`` connects to the database servers the host's configs name, with their own
    credentials: an explicit opt-in, never under ``--no-network``, not beside ``--db``."""
    if not values.get("db_from_config"):
        return False
    if no_network:
        raise UsageError(
            "--db-from-config connects to the database server the configuration names; "
            "it cannot be combined with --no-network"
        )
    if values.get("db"):
        raise UsageError("give --db or --db-from-config, not both")
    if host_root is None:
        raise UsageError("--db-from-config needs --host-root (the live host's /)")
    return True


def _db_password(values: Mapping[str, Any]) -> str | None:
    """``--db-password-env``/``--db-password-file``: the password stays out of the DSN, and so
    out of ``/proc/PID/cmdline`` and the shell history."""
    env, file = values.get("db_password_env"), _path(values.get("db_password_file"))
    if not env and file is None:
        return None
    if env and file is not None:
        raise UsageError("give --db-password-env or --db-password-file, not both")
    if not values.get("db"):
        raise UsageError("--db-password-env/--db-password-file need --db (the DSN without its password)")
    try:
        return read_secret_file(file, "database") if file is not None else secret_from_env(str(env), "database")
    except CredentialError as exc:
        raise UsageError(str(exc)) from None


def mail_from_options(values: Mapping[str, Any]) -> MailSettings | None:
    recipients = _strings(values.get("mail_to"))
    if not recipients:
        return None
    server, sender = values.get("smtp_server"), values.get("mail_from")
    if not server or not sender:
        raise UsageError("--mail-to needs --smtp-server and --mail-from")
    tls = str(values.get("smtp_tls") or "starttls")
    host, _, port = str(server).partition(":")
    return MailSettings(
        server=host,
        port=int(port) if port.isdigit() else (465 if tls == "implicit" else 587),
        sender=str(sender),
        recipients=recipients,
        tls=tls,
        username=values.get("smtp_user"),
        password_env=values.get("smtp_password_env"),
        password_file=_path(values.get("smtp_password_file")),
        ca_file=values.get("smtp_ca_file"),
    )


def scan_request(values: Mapping[str, Any], mail: MailSettings | None = None) -> ScanRequest:
    """Validate a whole scan: collection, evaluation and delivery options.

    ``mail`` comes from a TOML ``[mail]`` table; otherwise the ``--mail-*`` options apply.
    """
    report = report_request(values)
    return ScanRequest(
        collect=collect_options(values),
        report=report,
        evidence_out=_path(values.get("evidence_out")),
        mail=mail if mail is not None else mail_from_options(values),
    )


def profile_choices() -> str:
    """The packaged profile ids, for help texts."""
    return ", ".join(available_profiles())
