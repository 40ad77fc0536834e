"""The domains file: text or TOML, per-domain inputs, errors that name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.fleet.domains import DomainJob, load_domains
from auditor.safeload import InputFileError


def test_text_file_with_comments_and_case(tmp_path: Path) -> None:
    path = tmp_path / "domains.txt"
    path.write_text("# customers\nExample.ORG.\n\n  example.net  # second\n", encoding="utf-8")
    assert load_domains(path) == [DomainJob("example.org"), DomainJob("example.net")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("example.org\nexample.org\n", "domains.txt:2: example.org is listed twice (first on line 1)"),
        ("example.org\nnot a domain\n", "domains.txt:2: 'not a domain' is not a domain name"),
        ("# nothing\n", "no domains"),
    ],
)
def test_text_file_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "domains.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=message.replace(".", r"\.").replace("(", r"\(").replace(")", r"\)")):
        load_domains(path)


def test_toml_file_with_per_domain_inputs(tmp_path: Path) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(
        '[[domain]]\nname = "example.org"\nstatement = "s/example.html"\nclaims = "c.yaml"\n'
        'host_root = "roots/mx1"\nservice = "webmail.example.org:443/https"\n\n'
        '[[domain]]\nname = "example.net"\nstatement = "https://example.net/privacy"\n',
        encoding="utf-8",
    )
    first, second = load_domains(path)
    assert first == DomainJob(
        "example.org",
        statement=str(tmp_path / "s/example.html"),
        claims=tmp_path / "c.yaml",
        host_root=tmp_path / "roots/mx1",
        services=("webmail.example.org:443/https",),
    )
    assert second.statement == "https://example.net/privacy"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[domain]]\nname = "example.org"\nhostroot = "x"\n', r"fleet\.toml:2: unknown key 'hostroot'"),
        ('[[domain]]\nname = "example.org"\nservice = "bad"\n', r"fleet\.toml:2: --service 'bad'"),
        ('[[domain]]\nstatement = "x"\n', r"needs name"),
        ('[[domain]]\nname = "a.org"\n[[domain]]\nname = "a.org"\n', r"listed twice"),
        ("[domain\n", r"fleet\.toml:1: not valid TOML"),
    ],
)
def test_toml_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "fleet.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        load_domains(path)
