"""Backup retention: how long borgmatic/restic/borg/rsnapshot keep data vs the statement's backup promises.

"Deleted mails are removed from the backup one day later" is a promise about erasure
(GDPR Art. 17) and storage limitation (Art. 5(1)(e)); a backup kept for weeks breaks it.
The longest period any configured backup keeps (count rules read as N periods back,
``keep_within`` as its span) is compared with each backup claim's period. A dry-run prune
(``-n``/``--dry-run``) deletes nothing, so it counts as unbounded.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.evidence.backup import BackupRetention
from auditor.evidence.claims import Claim, period_days
from auditor.evidence.durations import longer
from auditor.models import Message, Need, Observation, Outcome, Severity, Status, joined, msg
from auditor.registry import CheckContext, check

from .host_common import claim_obs, claim_ref, claims_of, days, host_of, location, no_host, subject_name


def _kept(r: BackupRetention) -> str | Message:
    if not r.effective:
        return msg("backup.kept.dry-run")
    if r.unbounded:
        return msg("word.unbounded")
    return days(r.longest_days) if r.longest_days is not None else msg("backup.kept.no-period")


def _obs(r: BackupRetention) -> list[Observation]:
    rule_label = msg("backup.obs.keep-rule")
    obs = [Observation(rule_label, f"{r.tool}: {rule.name} {rule.value}", location(rule)) for rule in r.rules]
    caveats = joined(["", *r.caveats]) if r.caveats else ""
    value = msg("backup.obs.retention-value", tool=r.tool, file=r.file, kept=_kept(r), caveats=caveats)
    obs.append(Observation(msg("backup.obs.retention"), value, location(r.rules[0] if r.rules else None)))
    return obs


def _compare(claim: Claim, limit: float, retentions: tuple[BackupRetention, ...]) -> tuple[Status, Message]:
    over = [r for r in retentions if not r.effective or r.unbounded or longer(r.longest_days or 0.0, limit)]
    unknown = [r for r in retentions if r not in over and r.longest_days is None]
    promise = msg("backup.promise", subject=subject_name(claim.subject), period=claim.period or "", days=days(limit))
    listing = joined([msg("backup.keeps", tool=r.tool, file=r.file, line=r.line, kept=_kept(r)) for r in retentions])
    if over:
        return Status.FAIL, msg("backup.contradicted", promise=promise, listing=listing)
    if unknown:
        return Status.ERROR, msg("backup.unverifiable", promise=promise, listing=listing)
    return Status.PASS, msg("backup.consistent", promise=promise, listing=listing)


@check("backup.retention", needs=[Need.HOST, Need.STATEMENT], area="host")
def backup_retention(ctx: CheckContext) -> Iterator[Outcome]:
    """Per backup claim with a period (e.g. "deleted mail leaves the backup after one day",
    "suppressions up to 30 days in backups"): Fail (high) when any effective backup keeps
    longer (or forever: no keep rule, a ``-1`` count, a dry-run prune). Pass: all within.
    Error: no backup configuration was found, a backup config could not be read, or its
    count rules give no period. Fail (medium): backups exist but the statement states no period."""
    host = host_of(ctx)
    if host is None:
        yield no_host()
        return
    claims = claims_of(ctx)
    backups = host.backups
    for error in host.errors_in("backup"):
        yield Outcome(Status.ERROR, "backups", msg("backup.read-error", error=error), key=error[:80])
    timed = [c for c in (claims.by_kind("backup") if claims else ()) if period_days(c) is not None]
    retentions = backups.retentions if backups is not None else ()
    obs = tuple(o for r in retentions for o in _obs(r))
    if not retentions:
        if timed:
            for claim in timed:
                quote, ref = claim_obs(claims, claim), claim_ref(claim)
                yield Outcome(
                    Status.ERROR, claim.subject, msg("backup.no-configuration"), quote, claim=ref, key=claim.id
                )
        else:
            yield Outcome(Status.SKIPPED, "backups", msg("backup.nothing"))
        return
    if not timed:
        longest = joined([joined([f"{r.tool}: ", _kept(r)], sep="") for r in retentions], sep=", ")
        detail = msg("backup.undeclared", longest=longest)
        yield Outcome(Status.FAIL, "backups", detail, obs, severity=Severity.MEDIUM, key="undeclared")
        return
    for claim in timed:
        limit = period_days(claim) or 0.0
        status, detail = _compare(claim, limit, retentions)
        sev = Severity.HIGH if status == Status.FAIL else None
        evidence = obs + claim_obs(claims, claim)
        yield Outcome(status, claim.subject, detail, evidence, severity=sev, claim=claim_ref(claim), key=claim.id)
