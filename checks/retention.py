"""Log retention: the statement's promised period against configuration and the evidence on disk.

GDPR Art. 5(1)(e) (storage limitation) and Art. 13(2)(a) (the period must be stated, and
truthfully) are broken when a log family is kept longer than the statement says. Two
independent witnesses are compared with the promise: the configured retention ((rotate +
1) × period or ``maxage`` from logrotate, journald's ``MaxRetentionSec``; unbounded where
nothing limits age) over *every* file the family is written to, and the oldest entry
still on disk. Either exceeding the promise contradicts it; a distribution default that
keeps logs longer than promised is also an Art. 25 (privacy by default) matter.

One day of tolerance is allowed on both: logrotate runs once a day from cron, so a period
stated in days cannot be met to the hour (``daily`` + ``rotate 6`` is a 7-day promise kept).
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.evidence.claims import period_days
from auditor.evidence.durations import longer
from auditor.evidence.host import LogFamily, LogTarget
from auditor.models import Location, Message, Need, Observation, Outcome, Severity, Status, joined, msg
from auditor.registry import CheckContext, check

from .host_common import (
    claim_obs,
    claim_ref,
    claims_of,
    days,
    host_of,
    location,
    no_host,
    period_message,
    retention_claim,
    subject_name,
)

TOLERANCE_DAYS = 1.0
#: Undeclared logs carrying IP addresses kept longer than this (or without limit) are graded high
#: (supervisory practice: IP logs beyond 30 days need a stated reason; see clause AUTH-BAYLDA-30D).
UNDECLARED_HIGH_DAYS = 30.0
#: Which configuration files feed which family, to file read errors under the checks they spoil.
_ERROR_PREFIXES: dict[str, tuple[str, ...]] = {
    "mail": ("/etc/rsyslog", "/etc/logrotate", "/etc/postfix"),
    "auth": ("/etc/rsyslog", "/etc/logrotate"),
    "web-access": ("/etc/nginx", "/etc/apache2", "/etc/httpd", "/etc/logrotate"),
    "webmail": ("/etc/roundcube", "/usr/share/roundcube", "/var/www", "/etc/rsyslog", "/etc/logrotate"),
    "cloud": ("/var/www", "/usr/share/webapps", "/etc/rsyslog", "/etc/logrotate"),
    "journal": ("/etc/systemd", "/run/systemd", "/usr/lib/systemd", "/usr/local/lib/systemd"),
}


def _target_obs(t: LogTarget) -> list[Observation]:
    written = msg("retention.obs.written-to")
    obs = [Observation(written, f"{t.path} ({t.route})", location(ref)) for ref in t.routed_by]
    if not t.routed_by:
        obs.append(Observation(written, f"{t.path} ({t.route})", Location(path=t.path)))
    for s in t.retention_sources:
        text = s.value if s.name == "frequency" else f"{s.name} {s.value}"
        value = msg("retention.obs.setting-value", setting=text, path=t.path)
        obs.append(Observation(msg("retention.obs.setting"), value, location(s)))
    kept: str | Message = (
        msg("word.unbounded")
        if t.unbounded
        else (days(t.retention_days) if t.retention_days is not None else msg("word.unknown"))
    )
    first = location(t.retention_sources[0]) if t.retention_sources else None
    value = msg("retention.obs.configured-value", path=t.path, kept=kept, basis=t.basis)
    obs.append(Observation(msg("retention.obs.configured"), value, first))
    return obs


def _observed(fam: LogFamily, ctx: CheckContext) -> tuple[float | None, Message, list[Observation]]:
    o = fam.observed
    if o is None or o.oldest_entry is None:
        nothing = o is None or not o.files
        return None, msg("retention.observed.nothing-on-disk" if nothing else "retention.observed.no-timestamp"), []
    age = o.age_days_at(ctx.evidence.now)
    entry = msg(
        "retention.oldest-entry",
        time=o.oldest_entry,
        file=o.oldest_file or "",
        age=days(age or 0.0),
        approx=msg("retention.oldest-approx") if o.oldest_method == "mtime" else "",
        partial="" if o.complete else msg("retention.oldest-partial"),
    )
    seen = [Observation(msg("retention.obs.oldest"), entry, Location(path=o.oldest_file))]
    return age, msg("retention.observed.oldest", entry=entry), seen


def _configured(fam: LogFamily) -> tuple[float | None, bool, Message]:
    if fam.unbounded:
        which = joined(
            [
                msg("retention.path-basis", path=t.path, basis=t.basis) if t.kind != "file" else t.path
                for t in fam.targets
                if t.unbounded
            ],
            ", ",
        )
        return None, True, msg("retention.configured.unbounded", which=which)
    value = fam.configured_days
    if value is None:
        return None, False, msg("retention.configured.unknown")
    longest = max(fam.targets, key=lambda t: t.retention_days or 0.0)
    return value, False, msg("retention.configured.up-to", days=days(value), path=longest.path, basis=longest.basis)


def _read_errors(ctx: CheckContext, fam: LogFamily | None, family: str) -> list[str]:
    host = host_of(ctx)
    found = list(fam.errors) if fam is not None else []
    if host is not None:
        prefixes = _ERROR_PREFIXES.get(family, ())
        found += [e for e in host.errors_in("logs") if e.startswith(prefixes)]
    return found


def _evaluate(ctx: CheckContext, family: str) -> Iterator[Outcome]:
    host = host_of(ctx)
    if host is None:
        yield no_host()
        return
    fam = host.family(family)
    errors = _read_errors(ctx, fam, family)
    if errors:
        read_errors = tuple(Observation(msg("obs.read-error"), e) for e in errors[:20])
        detail = msg("retention.read-errors", errors="; ".join(errors[:10]))
        yield Outcome(Status.ERROR, family, detail, read_errors, key="read-errors")
    claims = claims_of(ctx)
    claim = retention_claim(claims, family)
    if fam is None or not fam.present:
        yield Outcome(Status.SKIPPED, family, msg("retention.not-present", family=family), claim=claim_ref(claim))
        return
    obs = [o for t in fam.targets for o in _target_obs(t)]
    age, observed, observed_obs = _observed(fam, ctx)
    configured, unbounded, configured_text = _configured(fam)
    obs += observed_obs
    if claim is None:
        yield _undeclared(fam, family, configured, unbounded, age, configured_text, observed, obs)
        return
    obs += claim_obs(claims, claim)
    # a period counted from an event (account closure, invoicing) is no age limit for log lines
    limit = period_days(claim) if claim.event is None else None
    promise = msg("retention.promise", subject=subject_name(claim.subject), period=period_message(claim))
    ref = claim_ref(claim)
    if limit is None:
        detail = msg("retention.unverifiable-event", promise=promise, configured=configured_text, observed=observed)
        yield Outcome(Status.ERROR, family, detail, tuple(obs), claim=ref)
        return
    config_over = unbounded or (configured is not None and longer(configured, limit, TOLERANCE_DAYS))
    disk_over = age is not None and longer(age, limit, TOLERANCE_DAYS)
    summary = msg(
        "retention.summary", promise=promise, limit=days(limit), configured=configured_text, observed=observed
    )
    if config_over or disk_over:
        witness = "both" if config_over and disk_over else ("configuration" if config_over else "disk")
        detail = msg(f"retention.contradicted.{witness}", summary=summary)
        yield Outcome(Status.FAIL, family, detail, tuple(obs), severity=Severity.HIGH, claim=ref)
    elif configured is None:
        # Young logs on disk do not show that anything deletes them: only a known
        # configured limit makes the promise verifiable.
        yield Outcome(Status.ERROR, family, msg("retention.unverifiable", summary=summary), tuple(obs), claim=ref)
    else:
        yield Outcome(Status.PASS, family, msg("retention.consistent", summary=summary), tuple(obs), claim=ref)


def _undeclared(
    fam: LogFamily,
    family: str,
    configured: float | None,
    unbounded: bool,
    age: float | None,
    configured_text: Message,
    observed: Message,
    obs: list[Observation],
) -> Outcome:
    """A kept log family whose period the statement does not state (Art. 13(2)(a)).

    Fail (medium) rather than warn: a missing period is an omission the law names, not a
    matter of taste; high when the family logs IP addresses and keeps them more than 30
    days or without limit (the case supervisory authorities single out).
    """
    ips = any(f.field == "ip-address" for f in fam.fields)
    long_kept = unbounded or max(configured or 0.0, age or 0.0) > UNDECLARED_HIGH_DAYS
    severity = Severity.HIGH if ips and long_kept else Severity.MEDIUM
    fields = ", ".join(sorted({f.field for f in fam.fields}))
    detail = msg(
        "retention.undeclared",
        family=family,
        carried=fields or msg("retention.no-fields"),
        configured=configured_text,
        observed=observed,
    )
    return Outcome(Status.FAIL, family, detail, tuple(obs), severity=severity, key="undeclared")


_NEEDS = [Need.HOST, Need.STATEMENT]


@check("retention.mail", needs=_NEEDS, area="host")
def retention_mail(ctx: CheckContext) -> Iterator[Outcome]:
    """Mail logs (every file rsyslog routes facility ``mail`` to, e.g. mail.log and syslog, or
    Postfix's ``maillog_file``) against the statement's mail-metadata log period.
    Pass: configured retention and oldest entry on disk both within the period (+1 day).
    Fail (high): either exceeds it; (medium/high) a statement that states no period.
    Error: neither could be determined, or a configuration/log file could not be read."""
    yield from _evaluate(ctx, "mail")


@check("retention.web-access", needs=_NEEDS, area="host")
def retention_web_access(ctx: CheckContext) -> Iterator[Outcome]:
    """nginx/Apache access logs against the statement's web-server (or webmail) log period.
    Pass/fail/error as for ``retention.mail``."""
    yield from _evaluate(ctx, "web-access")


@check("retention.webmail", needs=_NEEDS, area="host")
def retention_webmail(ctx: CheckContext) -> Iterator[Outcome]:
    """Roundcube's own logs (``log_dir`` files or its syslog facility's files) against the
    webmail log period. Pass/fail/error as for ``retention.mail``."""
    yield from _evaluate(ctx, "webmail")


@check("retention.cloud", needs=_NEEDS, area="host")
def retention_cloud(ctx: CheckContext) -> Iterator[Outcome]:
    """Nextcloud/ownCloud ``logfile`` (size-rotated by the app itself: unbounded in time unless
    logrotate limits it) against the cloud log period. Pass/fail/error as for ``retention.mail``."""
    yield from _evaluate(ctx, "cloud")


@check("retention.auth", needs=_NEEDS, area="host")
def retention_auth(ctx: CheckContext) -> Iterator[Outcome]:
    """auth/authpriv logs (logins with user names and client IPs) against the mail servers'
    log period (they hold the mail users' PAM logins). Pass/fail/error as for ``retention.mail``."""
    yield from _evaluate(ctx, "auth")


@check("retention.journal", needs=_NEEDS, area="host")
def retention_journal(ctx: CheckContext) -> Iterator[Outcome]:
    """The systemd journal, which holds the same mail lines as mail.log, against the mail log
    period: ``MaxRetentionSec`` plus one journal file (``MaxFileSec``); persistent without
    ``MaxRetentionSec`` is unbounded. Pass/fail/error as for ``retention.mail``."""
    yield from _evaluate(ctx, "journal")
