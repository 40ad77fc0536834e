"""One table of time lengths for everything that reads a period: host configurations and statement claims.

A retention promise ("one month") is held against a configured one (borgmatic ``keep_within: 1m``,
logrotate ``monthly``, journald ``MaxRetentionSec=1month``). Calendar periods are compared as
periods: a month or a year has one length wherever it is read, so "one month" equals ``1m``
instead of a 31-day month beating a 30.44-day one. The lengths are systemd's (``systemd.time``:
a month is 30.44 days, a year 365.25), which makes journald's own arithmetic exact too.
"""

from __future__ import annotations

import re

DAY_SECONDS = 86400.0
HOUR_DAYS = 1 / 24
WEEK_DAYS = 7.0
MONTH_DAYS = 30.44
YEAR_DAYS = 365.25

#: The named periods of logrotate and the backup tools' ``keep_*`` levels, in days.
NAMED_PERIOD_DAYS: dict[str, float] = {
    "hourly": HOUR_DAYS,
    "daily": 1.0,
    "weekly": WEEK_DAYS,
    "monthly": MONTH_DAYS,
    "yearly": YEAR_DAYS,
}

#: Two lengths closer than this are the same period (float sums of months and weeks).
SAME_PERIOD_DAYS = 1e-6

_ISO = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(\d+)H)?$")


def iso_days(period: str) -> float | None:
    """Days of an ISO 8601 duration (``P7D``, ``P1M``, ``P1Y2M``, ``PT12H``); ``None`` if not one."""
    match = _ISO.match(period)
    if not match or not any(match.groups()):
        return None
    years, months, weeks, days, hours = (int(g) if g else 0 for g in match.groups())
    return years * YEAR_DAYS + months * MONTH_DAYS + weeks * WEEK_DAYS + days + hours * HOUR_DAYS


def longer(kept_days: float, promised_days: float, tolerance_days: float = 0.0) -> bool:
    """True when ``kept_days`` is longer than ``promised_days`` by more than ``tolerance_days``."""
    return kept_days > promised_days + tolerance_days + SAME_PERIOD_DAYS
