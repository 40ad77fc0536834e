"""The clause catalogue: packaged data integrity, citation lookup, overrides and error reporting."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from auditor.clauses import Catalogue, CatalogueError, load_catalogue, normalise_citation
from auditor.models import Severity

_REQUIRED = """
GDPR-4-5 GDPR-5-1-a GDPR-5-1-c GDPR-5-1-e GDPR-5-1-f GDPR-5-2 GDPR-9 GDPR-12 GDPR-13 GDPR-13-1-c GDPR-13-1-e
GDPR-13-1-f GDPR-13-2-a GDPR-14 GDPR-17 GDPR-25 GDPR-28 GDPR-30 GDPR-32 GDPR-32-1-a GDPR-32-1-b GDPR-32-1-c
GDPR-32-1-d GDPR-33 GDPR-44 GDPR-45 GDPR-46 BDSG-64 BDSG-ALT-9 TDDDG-3 TKG-ALT-88 TTDSG-3 DSK-OH-EMAIL-2021
BSI-TR-02102-2 BSI-TR-03108 CASE-BGH-III-ZR-391-13 SDM-B60 EU-DEC-2021-914 EU-DEC-2023-1795
"""
REQUIRED_IDS = _REQUIRED.split()
CHECK_TYPES = "tls starttls cert dane-sts pwhash log-retention inventory backup location info-retention stmt-currency"

VALID_ENTRY = """\
  - id: LOCAL-1
    law: guidance
    title: {de: Hausregel, en: House rule}
    summary: {de: Eine eigene Regel., en: A local rule.}
    url: https://example.org/rule
    confidence: confirmed
"""


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _write(tmp_path: Path, text: str, name: str = "override.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_catalogue_has_every_required_clause(catalogue: Catalogue) -> None:
    assert catalogue.unknown_ids(REQUIRED_IDS) == []
    assert len(catalogue) == len(catalogue.ids()) >= len(REQUIRED_IDS)


def test_every_clause_is_bilingual_and_links_over_https(catalogue: Catalogue) -> None:
    for clause in catalogue:
        for lang in ("de", "en"):
            assert clause.title[lang].strip(), clause.id
            assert clause.summary[lang].strip(), clause.id
        assert clause.url.startswith("https://"), clause.id
        assert all(link.startswith("https://") for link in clause.see_also), clause.id


def test_every_reference_points_to_an_existing_clause(catalogue: Catalogue) -> None:
    referenced = [c.parent for c in catalogue if c.parent]
    referenced += [r for c in catalogue for r in c.replaced_by]
    referenced += [r for c in catalogue for ctl in c.controls for r in ctl.maps_to]
    assert referenced, "the catalogue is expected to contain cross references"
    assert catalogue.unknown_ids(referenced) == []


def test_old_bdsg_9_maps_each_annex_control_to_current_law(catalogue: Catalogue) -> None:
    old = catalogue.get("BDSG-ALT-9")
    assert old is not None
    assert old.repealed == date(2018, 5, 25)
    assert old.replaced_by == ("GDPR-32", "BDSG-64")
    names = {ctl.name["de"] for ctl in old.controls}
    expected = {"Zutrittskontrolle", "Zugangskontrolle", "Zugriffskontrolle", "Weitergabekontrolle"}
    expected |= {"Eingabekontrolle", "Auftragskontrolle", "Verfügbarkeitskontrolle", "Trennungsgebot"}
    assert expected <= names
    goal_ids = {ctl.id for ctl in catalogue.get("BDSG-64").controls}  # type: ignore[union-attr]
    assert len(goal_ids) == 14
    for ctl in old.controls:
        assert ctl.name["en"] and ctl.maps_to and set(ctl.goals) <= goal_ids, ctl.id
    transfer = next(ctl for ctl in old.controls if ctl.name["de"] == "Weitergabekontrolle")
    assert "GDPR-32-1-a" in transfer.maps_to
    labels = {ctl.name["de"] for _, ctl in catalogue.controls_mapping_to("GDPR-32-1-a")}
    assert "Weitergabekontrolle" in labels


@pytest.mark.parametrize("citation", ["§ 9 BDSG", "§9 BDSG", "Paragraph 9 BDSG", "§ 9 BDSG a.F.", "§  9  BDSG"])
def test_old_bdsg_citation_resolves_and_leads_to_current_law(catalogue: Catalogue, citation: str) -> None:
    assert [c.id for c in catalogue.resolve_alias(citation)] == ["BDSG-ALT-9"]
    assert [c.id for c in catalogue.current("BDSG-ALT-9")] == ["GDPR-32", "BDSG-64"]


def test_telecom_secrecy_citation_leads_to_tdddg(catalogue: Catalogue) -> None:
    assert [c.id for c in catalogue.resolve_alias("§ 88 TKG")] == ["TKG-ALT-88"]
    assert [c.id for c in catalogue.current("TKG-ALT-88")] == ["TDDDG-3"]
    assert [c.id for c in catalogue.current("TTDSG-3")] == ["TDDDG-3"]
    assert [c.id for c in catalogue.current("TDDDG-3")] == ["TDDDG-3"]
    assert catalogue.current("NO-SUCH-CLAUSE") == []


@pytest.mark.parametrize(
    "citation",
    [
        "Art. 32 Abs. 1 lit. a DSGVO",
        "Art. 32(1)(a) GDPR",
        "Article 32 paragraph 1 point (a) GDPR",
        "Art.32 (1) (a) DS-GVO",
    ],
)
def test_article_forms_are_equivalent(catalogue: Catalogue, citation: str) -> None:
    assert [c.id for c in catalogue.resolve_alias(citation)] == ["GDPR-32-1-a"]


def test_normalisation_unifies_spacing_and_paragraph_words() -> None:
    assert normalise_citation("§9  BDSG") == normalise_citation("Paragraph 9 BDSG") == "§ 9 bdsg"
    assert normalise_citation("Art. 5 (2) DSGVO") == "art 5 abs 2 gdpr"
    assert normalise_citation("§ 9 BDSG alte Fassung") == normalise_citation("§ 9 BDSG a. F.")


def test_citations_are_found_in_statement_prose(catalogue: Catalogue) -> None:
    sentence = (
        "Wir beachten die Maßnahmen nach § 9 BDSG und Anlage und garantieren das "
        "Fernmeldegeheimnis nach § 88 Telekommunikationsgesetz (TKG)."
    )
    assert [c.id for c in catalogue.cited_in(sentence)] == ["BDSG-ALT-9", "TKG-ALT-88"]
    assert catalogue.cited_in("Nothing legal here.") == []


def test_severity_defaults_cover_every_check_type(catalogue: Catalogue) -> None:
    defaults = catalogue.severity_defaults
    assert set(CHECK_TYPES.split()) <= set(defaults)
    assert defaults["stmt-currency"].severity is Severity.LOW
    assert defaults["tls"].severity is Severity.HIGH
    assert all(d.rationale["en"] and d.rationale["de"] for d in defaults.values())


def test_override_changes_a_title_and_adds_a_clause(catalogue: Catalogue, tmp_path: Path) -> None:
    text = "version: 1\nclauses:\n  - id: GDPR-32\n    title: {en: Security (our wording)}\n" + VALID_ENTRY
    text += "severity_defaults:\n  tls:\n    severity: critical\n    rationale: {de: Hausregel., en: House rule.}\n"
    updated = catalogue.with_override(_write(tmp_path, text))
    gdpr32 = updated.get("GDPR-32")
    assert gdpr32 is not None and gdpr32.title["en"] == "Security (our wording)"
    assert gdpr32.title["de"] == catalogue.get("GDPR-32").title["de"]  # type: ignore[union-attr]
    assert "LOCAL-1" in updated and "LOCAL-1" not in catalogue
    assert updated.severity_defaults["tls"].severity is Severity.CRITICAL
    assert catalogue.get("GDPR-32").title["en"] != "Security (our wording)"  # type: ignore[union-attr]


def test_malformed_override_names_file_and_line(catalogue: Catalogue, tmp_path: Path) -> None:
    text = (
        "version: 1\nclauses:\n"
        + VALID_ENTRY
        + "  - id: LOCAL-2\n    law: guidance\n    url: http://insecure.example\n"
    )
    path = _write(tmp_path, text)
    with pytest.raises(CatalogueError) as caught:
        catalogue.with_override(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:")
    assert "LOCAL-2" in message
    line = int(message.split(":")[1])
    assert text.splitlines()[line - 1].lstrip().startswith(("- id: LOCAL-2", "url:", "title:", "confidence:"))


def test_broken_yaml_syntax_names_the_line(catalogue: Catalogue, tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\nclauses:\n  - id: X\n    title: {de: a, en: b\n")
    with pytest.raises(CatalogueError, match=rf"^{re.escape(str(path))}:\d+: invalid YAML"):
        catalogue.with_override(path)


def test_bad_field_error_points_at_that_field(tmp_path: Path) -> None:
    text = "version: 1\nclauses:\n" + VALID_ENTRY.replace("https://example.org/rule", "ftp://example.org/rule")
    path = _write(tmp_path, text, "clauses.yaml")
    with pytest.raises(CatalogueError, match=rf"^{re.escape(str(path))}:7: clause LOCAL-1: 'url' must be an https"):
        load_catalogue(path)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\nclauses:\n" + VALID_ENTRY + VALID_ENTRY, "clauses.yaml")
    where = re.escape(str(path))
    with pytest.raises(
        CatalogueError, match=rf"^{where}:9: duplicate clause id 'LOCAL-1' \(first defined at {where}:3\)"
    ):
        load_catalogue(path)


def test_unknown_reference_and_cycle_are_rejected(tmp_path: Path) -> None:
    dangling = VALID_ENTRY + "    parent: NOPE-1\n"
    path = _write(tmp_path, "version: 1\nclauses:\n" + dangling, "dangling.yaml")
    with pytest.raises(CatalogueError, match="parent names unknown clause 'NOPE-1'"):
        load_catalogue(path)
    loop_a = VALID_ENTRY.replace("LOCAL-1", "LOOP-A") + "    repealed: 2020-01-01\n    replaced_by: [LOOP-B]\n"
    loop_b = VALID_ENTRY.replace("LOCAL-1", "LOOP-B") + "    repealed: 2020-01-01\n    replaced_by: [LOOP-A]\n"
    path = _write(tmp_path, "version: 1\nclauses:\n" + loop_a + loop_b, "loop.yaml")
    with pytest.raises(CatalogueError, match="never reaches a clause in force"):
        load_catalogue(path)


def test_unknown_fields_and_bad_severity_are_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\nclauses:\n" + VALID_ENTRY + "    severity: high\n", "extra.yaml")
    with pytest.raises(CatalogueError, match=r":9: clause LOCAL-1: unknown field 'severity'"):
        load_catalogue(path)
    path = _write(tmp_path, "version: 1\nseverity_defaults:\n  tls: {severity: fatal, rationale: {de: x, en: y}}\n")
    with pytest.raises(CatalogueError, match=r":3: severity_defaults.tls: 'severity' must be one of"):
        load_catalogue(path)


def test_unknown_ids_lists_each_missing_id_once(catalogue: Catalogue) -> None:
    assert catalogue.unknown_ids(["GDPR-32", "GDPR-99", "GDPR-99", "X-1"]) == ["GDPR-99", "X-1"]


def test_clause_as_dict_is_plain_data(catalogue: Catalogue) -> None:
    data = catalogue.get("TKG-ALT-88").as_dict()  # type: ignore[union-attr]
    assert data["repealed"] == "2021-12-01" and data["replaced_by"] == ["TDDDG-3"]
    assert data["title"]["de"].startswith("§ 88 TKG")


def test_override_rejects_the_same_id_twice(catalogue: Catalogue, tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\nclauses:\n" + VALID_ENTRY + VALID_ENTRY)
    with pytest.raises(CatalogueError, match=r":9: clause id 'LOCAL-1' appears twice"):
        catalogue.with_override(path)
