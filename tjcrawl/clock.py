"""The time, in Asia/Shanghai. TJCRAWL_NOW freezes or shifts it for tests of revisit schedules."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW_ENV = "TJCRAWL_NOW"


class ClockSettingError(ValueError):
    """TJCRAWL_NOW is set to something that is not a time; the message says so in one line."""


def now() -> datetime:
    frozen = os.environ.get(NOW_ENV)
    if frozen:
        try:
            return datetime.fromisoformat(frozen).astimezone(SHANGHAI)
        except ValueError:
            raise ClockSettingError(
                f"{NOW_ENV}={frozen!r} is not a date and time like 2025-08-22T10:00:00+08:00"
            ) from None
    return datetime.now(SHANGHAI)


def now_iso() -> str:
    return now().isoformat(timespec="seconds")
