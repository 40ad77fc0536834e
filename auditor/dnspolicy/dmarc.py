"""DMARC: the ``_dmarc`` TXT record read as a receiver must (RFC 7489 §6.3, §6.4, §6.6.3).

Every problem is reported with what a receiver does about it: discard the record
(no DMARC processing), act as if ``p=none`` (§6.6.3 step 6: invalid ``p``/``sp`` with a
valid ``rua``), or ignore one tag and use its default (§6.3). DMARCbis tags ``np``,
``psd`` and ``t`` are recognised and validated. Hand-written: checkdmarc's parser does
DNS I/O while parsing, raises at the first error and follows DMARCbis where this
audit grades RFC 7489 behaviour (``pct``, organizational domain from the PSL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from auditor.dnspolicy.tags import TagList, split_tags, starts_with_version
from auditor.models import Message, msg

POLICIES = ("none", "quarantine", "reject")
_FO = re.compile(r"[01ds]([ \t]*:[ \t]*[01ds])*", re.IGNORECASE)
_RF = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*([ \t]*:[ \t]*[A-Za-z0-9][A-Za-z0-9-]*)*")
_SIZE = re.compile(r"!\d+[kmgtKMGT]?$")
_MAILTO = re.compile(r"mailto:[^@\s,;!\x00-\x1f\x7f]{1,64}@([A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}\.?", re.IGNORECASE)
_CHOICES = {"adkim": ("r", "s"), "aspf": ("r", "s"), "psd": ("y", "n", "u"), "t": ("y", "n")}


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    """One ``_dmarc`` TXT set as a receiver reads it.

    ``status``: ``absent`` (no record begins with ``v=DMARC1``), ``multiple`` and
    ``invalid`` (receivers apply no DMARC), ``downgraded`` (receivers act as if ``p=none``),
    ``valid``. ``problems`` says why for the first four; ``notes`` lists tags receivers
    ignore (falling back to defaults) in a record that still applies; ``advice`` what the
    RFC asks for but receivers do not depend on (tag order).
    """

    status: str
    policy: str | None = None
    subdomain_policy: str | None = None
    nonexistent_policy: str | None = None
    pct: int = 100
    testing: bool = False
    rua: tuple[str, ...] = ()
    ruf: tuple[str, ...] = ()
    problems: tuple[Message, ...] = ()
    notes: tuple[Message, ...] = ()
    advice: tuple[Message, ...] = ()
    text: str | None = None

    @property
    def applies(self) -> bool:
        return self.status in ("valid", "downgraded")

    def policy_for(self, *, own_domain: bool, nonexistent: bool = False) -> str | None:
        """The policy a receiver applies to mail from the record's domain (``own_domain``) or
        from a subdomain that inherits it (§6.6.3 step 3: ``sp``, else ``p``; DMARCbis ``np``)."""
        if not self.applies:
            return None
        if self.status == "downgraded":
            return "none"
        if own_domain:
            return self.policy
        if nonexistent and self.nonexistent_policy:
            return self.nonexistent_policy
        return self.subdomain_policy or self.policy


def report_uris(value: str) -> tuple[tuple[str, ...], tuple[Message, ...]]:
    """``dmarc-uri *(*WSP "," *WSP dmarc-uri)`` (§6.4): the usable mailto: URIs and the problems."""
    good: list[str] = []
    problems: list[Message] = []
    for raw in value.split(","):
        uri = raw.strip(" \t")
        bare = _SIZE.sub("", uri)
        if _MAILTO.fullmatch(bare):
            good.append(bare)
        elif ":" in bare and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+", bare):
            problems.append(msg("dmarc.p.not-mailto", uri=repr(uri[:80])))
        else:
            problems.append(msg("dmarc.p.not-uri", uri=repr(uri[:80])))
    return tuple(good), tuple(problems)


def parse_dmarc(records: tuple[str, ...]) -> DmarcRecord:
    """Select the one record beginning with ``v=DMARC1`` and grade it tag by tag."""
    chosen = [r for r in records if starts_with_version(r, "DMARC1", space_around_equals=True)]
    if not chosen:
        near = [r for r in records if r.strip().lower().replace(" ", "").startswith("v=dmarc")]
        if near:
            return DmarcRecord(
                "absent",
                problems=(msg("dmarc.p.near-miss", record=repr(near[0][:60])),),
            )
        return DmarcRecord("absent", problems=(msg("dmarc.p.no-record"),))
    if len(chosen) > 1:
        return DmarcRecord("multiple", problems=(msg("dmarc.p.several", count=len(chosen)),))
    return _grade(chosen[0], split_tags(chosen[0], space_around_equals=True))


def _grade(text: str, fields: TagList) -> DmarcRecord:
    notes = [msg("dmarc.p.skipped-field", problem=p) for p in fields.problems]
    by_key: dict[str, str] = {}
    for key in fields.duplicates():
        if key not in ("p", "sp", "np") and len(set(fields.values(key))) > 1:
            notes.append(msg("dmarc.p.tag-repeated", tag=key, count=len(fields.values(key))))
    for tag in fields.tags[1:]:
        by_key.setdefault(tag.key, tag.value)  # unknown tags are ignored (RFC 7489 §6.3): no problem
    rua, rua_problems = report_uris(by_key["rua"]) if "rua" in by_key else ((), ())
    ruf, ruf_problems = report_uris(by_key["ruf"]) if "ruf" in by_key else ((), ())
    notes += [msg("dmarc.p.in-tag", tag="rua", problem=p) for p in rua_problems]
    notes += [msg("dmarc.p.in-tag", tag="ruf", problem=p) for p in ruf_problems]
    notes += _tag_notes(by_key)
    policy, p_problem = _policy_tag(fields, "p")
    sp, sp_problem = _policy_tag(fields, "sp")
    np_, np_problem = _policy_tag(fields, "np")
    if np_problem:
        notes.append(msg("dmarc.p.np-ignored", problem=np_problem))
    advice: list[Message] = []
    if p_problem is None and len(fields.tags) > 1 and fields.tags[1].key != "p":
        advice.append(msg("dmarc.p.p-not-second"))
    pct = 100
    if "pct" in by_key:
        value = by_key["pct"]
        if re.fullmatch(r"\d{1,3}", value) and int(value) <= 100:
            pct = int(value)
        else:
            notes.append(msg("dmarc.p.bad-pct", value=repr(value[:20])))
    testing = by_key.get("t", "n").lower() == "y"
    base = DmarcRecord(
        "valid",
        policy=policy,
        subdomain_policy=sp if sp_problem is None else None,
        nonexistent_policy=np_ if np_problem is None else None,
        pct=pct,
        testing=testing,
        rua=rua,
        ruf=ruf,
        notes=tuple(notes),
        advice=tuple(advice),
        text=text,
    )
    broken = [p for p in (p_problem, sp_problem) if p]
    if not broken:
        return base
    if rua:
        why = msg("dmarc.p.downgraded")
        return replace(base, status="downgraded", policy="none", problems=(*broken, why))
    why = msg("dmarc.p.invalid")
    return replace(base, status="invalid", policy=None, problems=(*broken, why))


def _policy_tag(fields: TagList, key: str) -> tuple[str | None, Message | None]:
    """(valid value, problem) of ``p``/``sp``/``np``; a missing ``p`` is a problem, missing others are not."""
    values = fields.values(key)
    if not values:
        return None, (msg("dmarc.p.no-p") if key == "p" else None)
    if len({v.lower() for v in values}) > 1:
        shown = ", ".join(repr(v[:20]) for v in values[:3])
        return None, msg("dmarc.p.policy-repeated", tag=key, count=len(values), values=shown)
    value = values[0].lower()
    if value not in POLICIES:
        return None, msg("dmarc.p.bad-policy", tag=key, value=repr(values[0][:30]))
    return value, None


def _tag_notes(by_key: dict[str, str]) -> list[Message]:
    notes: list[Message] = []
    for key, choices in _CHOICES.items():
        if key in by_key and by_key[key].lower() not in choices:
            notes.append(msg("dmarc.p.bad-choice", tag=key, value=repr(by_key[key][:20]), choices="/".join(choices)))
    if "fo" in by_key and not _FO.fullmatch(by_key["fo"]):
        notes.append(msg("dmarc.p.bad-fo", value=repr(by_key["fo"][:20])))
    if "rf" in by_key and not _RF.fullmatch(by_key["rf"]):
        notes.append(msg("dmarc.p.bad-rf", value=repr(by_key["rf"][:20])))
    if "ri" in by_key and not (by_key["ri"].isdigit() and int(by_key["ri"]) < 2**32):
        notes.append(msg("dmarc.p.bad-ri", value=repr(by_key["ri"][:20])))
    return notes
