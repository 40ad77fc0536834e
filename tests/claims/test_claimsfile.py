"""Claims file: YAML round trip, shipped schema, validation errors with file and line."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from auditor.claims import (
    ClaimsFileError,
    extract_claims,
    load_statement,
    read_claims_yaml,
    statement_from_bytes,
    write_claims_yaml,
)
from auditor.claims.claimsfile import claims_schema
from auditor.evidence import EVIDENCE_SCHEMA_VERSION, Evidence, Target, evidence_from_json, evidence_to_json
from auditor.evidence.claims import Claim, ClaimSet, period_days, valid_period
from tests.claims import paraphrases
from tests.claims.expected import JULI, MAILGUN, SEEDS

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed statements not present at {SEEDS}")


def _claims() -> ClaimSet:
    return extract_claims(statement_from_bytes(paraphrases.JULI_DE.encode(), "juli-de.txt"))


@needs_seeds
@pytest.mark.parametrize("seed", [JULI, MAILGUN], ids=["juli", "mailgun"])
def test_yaml_round_trip_and_schema(tmp_path: Path, seed: Path) -> None:
    claims = extract_claims(load_statement(str(seed)))
    path = tmp_path / "claims.yaml"
    write_claims_yaml(claims, path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(claims_schema())
    jsonschema.validate(data, claims_schema())
    assert read_claims_yaml(path) == claims
    assert [p.name for p in tmp_path.iterdir()] == ["claims.yaml"]  # no temp file left behind


def test_hand_edited_file_is_authoritative(tmp_path: Path) -> None:
    path = tmp_path / "claims.yaml"
    write_claims_yaml(_claims(), path)
    # the DPO corrects the metadata period and adds a claim the reader did not find
    data = yaml.safe_load(path.read_text(encoding="utf-8").replace("period: P7D", "period: P14D", 1))
    data["claims"].append(
        {
            "id": "retention.account-data",
            "kind": "retention",
            "subject": "account-data",
            "event": "while-account-exists",
        }
    )
    # a file written before claims had an `event` kept two events in `period`
    data["claims"].append(
        {
            "id": "retention.suppression-lists",
            "kind": "retention",
            "subject": "suppression-lists",
            "period": "until-deleted",
        }
    )
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    read = read_claims_yaml(path)
    assert read.claims[-2] == Claim(
        id="retention.account-data",
        kind="retention",
        subject="account-data",
        event="while-account-exists",
        language=read.language,
        resolved="file",
    )
    assert (read.claims[-1].period, read.claims[-1].event) == (None, "until-user-deletes")
    assert "P14D" in [c.period for c in read.claims]
    # claims the reader wrote keep how their category was found
    assert {c.confidence for c in read.claims[:-2]} <= {"high", "medium", "low"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


_GOOD_HEAD = "schema: auditor-claims/1\nsource: s.txt\nlanguage: de\nclaims:\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("- id: a.b\n  kind: promise\n  subject: account-data\n", 6, "kind"),
        ("- id: retention.x\n  kind: retention\n  subject: account-data\n  period: 7 Tage\n", 8, "period"),
        ("- id: retention.x\n  kind: retention\n  subject: sheep\n", 7, "unknown subject 'sheep'"),
        (
            "- id: retention.x\n  kind: retention\n  subject: account-data\n  fields: [name, shoe-size]\n",
            8,
            "unknown field 'shoe-size'",
        ),
        (
            "- id: retention.x\n  kind: retention\n  subject: account-data\n"
            "- id: retention.x\n  kind: retention\n  subject: mailboxes\n",
            8,
            "duplicate claim id",
        ),
        ("- id: retention.x\n  kind: retention\n  subject: account-data\n  colour: red\n", 5, "colour"),
        ("- id: retention.x\n  kind: [unclosed\n", 7, "not valid YAML"),
    ],
)
def test_invalid_files_name_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = _write(tmp_path, _GOOD_HEAD + body)
    with pytest.raises(ClaimsFileError) as raised:
        read_claims_yaml(path)
    assert f"{path}:{line}:" in str(raised.value)
    assert message in str(raised.value)


def test_aliases_and_non_mappings_are_rejected(tmp_path: Path) -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    with pytest.raises(ClaimsFileError, match="aliases .* not accepted"):
        read_claims_yaml(_write(tmp_path, bomb))
    with pytest.raises(ClaimsFileError, match=":1: expected a mapping"):
        read_claims_yaml(_write(tmp_path, "- just a list\n"))
    with pytest.raises(ClaimsFileError, match="cannot read"):
        read_claims_yaml(tmp_path / "missing.yaml")


def test_evidence_json_round_trip_with_claims() -> None:
    claims = _claims()
    evidence = Evidence(
        schema_version=EVIDENCE_SCHEMA_VERSION,
        collected_at="2026-01-01T00:00:00+00:00",
        target=Target(domain="julis.de", statement="juli-de.txt"),
        network=False,
        claims=claims,
    )
    again = evidence_from_json(evidence_to_json(evidence))
    assert again.claims == claims
    assert again == evidence


def test_period_days_and_validity() -> None:
    def claim(period: str | None) -> Claim:
        return Claim(id="x", kind="retention", subject="backups", period=period)

    assert period_days(claim("P7D")) == 7
    assert period_days(claim("P2W")) == 14
    assert period_days(claim("P1M")) == pytest.approx(30.44)
    assert period_days(claim("P1Y")) == pytest.approx(365.25)
    assert period_days(claim("PT12H")) == 0.5
    assert period_days(claim("until-deleted")) is None
    assert period_days(claim(None)) is None
    assert all(valid_period(p) for p in ("P7D", "P1Y2M", "PT24H", "until-account-deleted"))
    assert not any(valid_period(p) for p in ("P", "7D", "P7", "forever", "PT"))
