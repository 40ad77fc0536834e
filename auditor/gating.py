"""Waivers, baselines and report diffs: what CI gating needs beyond a threshold.

A waiver is an accepted risk with a reason and an expiry date; once expired the
finding counts again (Prowler's suppressions without expiry are the failure mode we
avoid). Waived findings stay in every report, marked. A baseline lets a CI job fail
only on findings that are new since an accepted earlier report.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import yaml

from auditor.models import Finding, Report, Status
from auditor.safeload import MAX_JSON_BYTES, InputFileError, json_error, load_yaml, read_bytes

_FAILING = (Status.FAIL, Status.WARN, Status.ERROR)


class GatingFileError(InputFileError):
    """A waiver or baseline file is malformed; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Waiver:
    check: str
    target: str
    reason: str
    expires: date
    source: str


def load_waivers(path: Path) -> list[Waiver]:
    """Read a waivers file: a list of waivers, or ``waivers:`` with a list (safe loader:
    size cap, no aliases, bounded nesting; errors name file and line)."""
    try:
        document = load_yaml(path, kind="waivers")
    except InputFileError as exc:
        raise GatingFileError(str(exc)) from None
    if document.root is None:
        return []
    items, values = document.root, document.data
    if isinstance(values, dict):
        items = next((v for k, v in document.root.value if k.value == "waivers"), None)  # type: ignore[assignment]
        values = values.get("waivers")
    if not isinstance(items, yaml.SequenceNode) or not isinstance(values, list):
        raise GatingFileError(f"{path}:1: expected a list of waivers (or `waivers:` with a list)")
    waivers = []
    for node, entry in zip(items.value, values, strict=True):
        where = f"{path}:{node.start_mark.line + 1}"
        if not isinstance(entry, dict):
            raise GatingFileError(f"{where}: a waiver must be a mapping with check, target, reason, expires")
        missing = [k for k in ("check", "reason", "expires") if not entry.get(k)]
        if missing:
            raise GatingFileError(f"{where}: waiver lacks {', '.join(missing)}")
        unknown = set(entry) - {"check", "target", "reason", "expires"}
        if unknown:
            raise GatingFileError(f"{where}: unknown waiver key(s) {', '.join(sorted(map(str, unknown)))}")
        wrong = [k for k in ("check", "target", "reason") if k in entry and not isinstance(entry[k], str)]
        if wrong:
            raise GatingFileError(f"{where}: {', '.join(wrong)} must be text")
        expires = entry["expires"]
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                raise GatingFileError(f"{where}: expires must be a date YYYY-MM-DD, got {expires!r}") from None
        if not isinstance(expires, date):
            raise GatingFileError(f"{where}: expires must be a date YYYY-MM-DD")
        waivers.append(
            Waiver(str(entry["check"]), str(entry.get("target") or "*"), str(entry["reason"]), expires, where)
        )
    return waivers


def apply_waivers(findings: list[Finding], waivers: list[Waiver], today: date) -> tuple[list[Finding], list[str]]:
    """Mark matching failing findings ``waived``; an expired waiver leaves them failing, with a note."""
    notes: list[str] = []
    result = []
    for finding in findings:
        match = next(
            (
                w
                for w in waivers
                if finding.status in _FAILING
                and fnmatch.fnmatchcase(finding.check_id, w.check)
                and fnmatch.fnmatchcase(finding.subject, w.target)
            ),
            None,
        )
        if match is None:
            result.append(finding)
        elif match.expires < today:
            notes.append(f"waiver {match.source} for {finding.id} expired on {match.expires}: the finding counts again")
            result.append(replace(finding, waiver=f"EXPIRED {match.expires}: {match.reason}"))
        else:
            result.append(replace(finding, status=Status.WAIVED, waiver=f"until {match.expires}: {match.reason}"))
    return result, notes


def load_report_file(path: Path) -> Report:
    """An earlier JSON report (baseline, diff), size-capped and validated against the model."""
    from auditor.report import report_from_json

    try:
        data = read_bytes(path, max_bytes=MAX_JSON_BYTES, kind="report")
        return report_from_json(data)
    except InputFileError as exc:
        raise GatingFileError(str(exc)) from None
    except (ValueError, RecursionError) as exc:
        raise GatingFileError(str(json_error(path, exc, "an auditor JSON report"))) from None


def known_in_baseline(findings: list[Finding], baseline: Report) -> list[Finding]:
    """Mark findings that already failed (same id, same status) in the accepted baseline."""
    old = {f.id: f.status for f in baseline.findings if f.status in _FAILING}
    return [replace(f, in_baseline=True) if old.get(f.id) == f.status else f for f in findings]


@dataclass(frozen=True, slots=True)
class ReportDiff:
    new: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    changed: tuple[tuple[Finding, Finding], ...]

    def to_json(self) -> str:
        def brief(f: Finding) -> dict[str, str]:
            return {
                "id": f.id,
                "check_id": f.check_id,
                "status": f.status.value,
                "severity": f.severity.value,
                "subject": f.subject,
                "detail": f.detail,
            }

        return json.dumps(
            {
                "new": [brief(f) for f in self.new],
                "fixed": [brief(f) for f in self.fixed],
                "changed": [{"before": brief(a), "after": brief(b)} for a, b in self.changed],
            },
            indent=1,
        )


def diff_reports(old: Report, new: Report) -> ReportDiff:
    """New problems, fixed problems, and findings whose status or severity changed."""
    before = {f.id: f for f in old.findings}
    after = {f.id: f for f in new.findings}
    added, fixed, changed = [], [], []
    for fid, finding in after.items():
        previous = before.get(fid)
        if finding.status in _FAILING and (previous is None or previous.status not in _FAILING):
            added.append(finding)
        elif previous is not None and (previous.status, previous.severity) != (finding.status, finding.severity):
            changed.append((previous, finding))
    for fid, finding in before.items():
        if finding.status in _FAILING and (fid not in after or after[fid].status not in _FAILING):
            fixed.append(finding)
    return ReportDiff(tuple(added), tuple(fixed), tuple(c for c in changed if c[1] not in added))
