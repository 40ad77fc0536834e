"""Input files built to exhaust memory or time are refused at once with exit 2.

Every file a user hands to ``auditor`` (claims, waivers, mapping, clauses, baseline,
evidence bundle) goes through one safe loader: size cap, no YAML aliases, bounded
nesting, regular files only. Each case runs the CLI in a subprocess and must exit 2
within seconds, naming the file, with a small peak RSS.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hardening.hostile_smtp import run_auditor

FIXTURE_STATEMENT = Path(__file__).resolve().parents[1] / "lab" / "statement" / "datenschutz.md"
WALL_S = 15.0
PEAK_RSS_MIB = 300.0

# 488 bytes that a naive loader expands to 10^9 list items (the waivers case of issue 15).
ALIAS_BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    + ["waivers:", "  - check: tls.*", "    reason: *a8", "    expires: 2030-01-01", ""]
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real evidence bundle (statement only, no network, no lab)."""
    path = tmp_path_factory.mktemp("bundle") / "bundle.json"
    run = run_auditor(
        ["scan", "--no-network", "--statement", str(FIXTURE_STATEMENT), "--evidence-out", str(path), "-q"],
        timeout=60,
    )
    assert run.code in (0, 1, 4), run.stderr
    return path


def _refused(args: list[str], name: str, *words: str) -> None:
    run = run_auditor(args, timeout=WALL_S + 45)
    print(f"{' '.join(args[:1] + args[-2:])}: exit {run.code}, wall {run.wall:.1f} s, peak RSS {run.peak_mib:.0f} MiB")
    assert run.code is not None, f"killed after {run.wall:.0f} s"
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert run.code == 2, f"exit {run.code}, expected 2:\n{run.stderr}"
    assert name in run.stderr, run.stderr
    assert all(w in run.stderr for w in words), run.stderr
    assert run.wall < WALL_S, f"{run.wall:.1f} s"
    assert run.peak_mib < PEAK_RSS_MIB, f"peak RSS {run.peak_mib:.0f} MiB"


def _args(option: str, path: Path, bundle: Path) -> list[str]:
    if option == "--claims":
        return ["scan", "--no-network", "--claims", str(path), "-q"]
    if option == "bundle":
        return ["evaluate", str(path), "-q"]
    return ["evaluate", str(bundle), option, str(path), "-q"]


@pytest.mark.parametrize("option", ["--waivers", "--claims", "--mapping", "--clauses"])
def test_yaml_alias_bomb_is_refused(option: str, tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    assert len(ALIAS_BOMB) < 600, len(ALIAS_BOMB)
    _refused(_args(option, path, bundle), "bomb.yaml:2", "alias")


@pytest.mark.parametrize("option", ["--baseline", "bundle"])
def test_gigabyte_json_is_refused_before_reading(option: str, tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: 1 GiB on paper, nothing on disk
        handle.truncate(1 << 30)
    _refused(_args(option, path, bundle), "huge.json", "too large")


@pytest.mark.parametrize("option", ["--waivers", "--claims", "--mapping", "--clauses", "--baseline", "bundle"])
def test_fifo_input_file_is_refused_not_waited_on(option: str, tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    _refused(_args(option, path, bundle), "pipe.yaml", "not a regular file")


@pytest.mark.parametrize("option", ["--waivers", "--mapping", "--clauses"])
def test_integer_of_a_million_digits_is_a_usage_error(option: str, tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "digits.yaml"
    path.write_text("x: " + "9" * 1_000_000 + "\n")
    _refused(_args(option, path, bundle), "digits.yaml")


@pytest.mark.parametrize("option", ["--baseline", "bundle"])
@pytest.mark.parametrize("text", ["[" * 100_000, '{"schema_version": "1", "x": ' + "[" * 100_000])
def test_deeply_nested_json_is_a_usage_error(option: str, text: str, tmp_path: Path, bundle: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text)
    _refused(_args(option, path, bundle), "deep.json")
