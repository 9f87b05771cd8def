"""Times as a person reads them: in WIB (Asia/Jakarta), always saying so.

The database stores aware UTC; every page shows the school's local time with its zone
name, so "18:48" is never UTC to one reader and WIB to another. Indonesia has no daylight
saving, so the fixed UTC+7 offset is exact (billing counts its days the same way).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

ZONE_NAME = "WIB"
LOCAL_ZONE = timezone(timedelta(hours=7), ZONE_NAME)


def to_local(moment: datetime) -> datetime:
    """The same instant in WIB. A naive value is taken as UTC (how the app stores time)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_ZONE)


def local_date(moment: datetime) -> date:
    """The WIB calendar day of an instant (18:00 UTC is already the next day in WIB)."""
    return to_local(moment).date()


def format_datetime(moment: datetime | None, *, seconds: bool = False, empty: str = "-") -> str:
    """ "05-12-2026 14:05 WIB" (with seconds: "05-12-2026 14:05:09 WIB")."""
    if moment is None:
        return empty
    pattern = "%d-%m-%Y %H:%M:%S" if seconds else "%d-%m-%Y %H:%M"
    return f"{to_local(moment).strftime(pattern)} {ZONE_NAME}"


def format_date(moment: datetime | None, *, empty: str = "-") -> str:
    """ "05-12-2026": the WIB day of an instant (no zone name: a day needs none)."""
    if moment is None:
        return empty
    return local_date(moment).strftime("%d-%m-%Y")
