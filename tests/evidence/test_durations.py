"""One table of time lengths: the same period reads the same wherever it comes from."""

from __future__ import annotations

import pytest

from auditor.collectors.host.readers.backups import parse_borg_span
from auditor.collectors.host.readers.journald import parse_timespan
from auditor.evidence.durations import DAY_SECONDS, MONTH_DAYS, NAMED_PERIOD_DAYS, YEAR_DAYS, iso_days, longer


@pytest.mark.parametrize(
    ("iso", "borg", "systemd", "named"),
    [("P1M", "1m", "1month", "monthly"), ("P1Y", "1y", "1year", "yearly"), ("P7D", "1w", "1week", "weekly")],
)
def test_a_period_has_one_length_in_claims_backups_journald_and_logrotate(
    iso: str, borg: str, systemd: str, named: str
) -> None:
    days = iso_days(iso)
    assert days is not None
    assert parse_borg_span(borg) == pytest.approx(days)
    assert (parse_timespan(systemd) or 0.0) / DAY_SECONDS == pytest.approx(days)
    assert NAMED_PERIOD_DAYS[named] == pytest.approx(days)
    assert not longer(parse_borg_span(borg) or 0.0, days)


def test_iso_parts_add_up() -> None:
    assert iso_days("P1Y2M3W4DT12H") == pytest.approx(YEAR_DAYS + 2 * MONTH_DAYS + 21 + 4 + 0.5)
    assert iso_days("P") is None
    assert iso_days("7 days") is None


def test_longer_honours_the_tolerance() -> None:
    assert longer(31.0, MONTH_DAYS)
    assert not longer(31.0, MONTH_DAYS, tolerance_days=1.0)
    assert not longer(MONTH_DAYS, MONTH_DAYS)
