"""What a report calls each thing the claims reader recognises (data/messages/claims.yaml) stays in
step with the reader's vocabularies: a new category or field without a name would show as its id."""

from __future__ import annotations

from auditor.claims.vocab import vocabulary
from auditor.evidence.claims import EVENTS, KINDS
from auditor.messages import templates

#: Subjects the claim rules assign without a vocabulary entry of their own.
_ASSIGNED = frozenset({"sessions"})


def _named(kind: str) -> set[str]:
    prefix = f"claims.{kind}."
    return {key[len(prefix) :] for key in templates() if key.startswith(prefix)}


def test_every_category_field_event_and_kind_has_a_name_in_both_languages() -> None:
    vocab = vocabulary()
    assert vocab.subject_ids - _named("subject") == set()
    assert vocab.field_ids - _named("field") == set()
    assert ({name for name, _ in vocab.events} | set(EVENTS)) - _named("event") == set()
    assert set(KINDS) - _named("kind") == set()


def test_no_name_for_a_category_or_field_the_reader_no_longer_knows() -> None:
    vocab = vocabulary()
    assert _named("subject") - vocab.subject_ids - _ASSIGNED == set()
    assert _named("field") - vocab.field_ids == set()
