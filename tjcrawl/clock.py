"""The time, in Asia/Shanghai. TJCRAWL_NOW freezes or shifts it for tests of revisit schedules."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW_ENV = "TJCRAWL_NOW"


def now() -> datetime:
    frozen = os.environ.get(NOW_ENV)
    if frozen:
        return datetime.fromisoformat(frozen).astimezone(SHANGHAI)
    return datetime.now(SHANGHAI)


def now_iso() -> str:
    return now().isoformat(timespec="seconds")
