"""How values read for a person: numbers, money, sizes, percentages, WIB times, the empty
placeholder and shortened text. One place, so a page, a CSV export and the CLI say the same.

Times: the database stores aware UTC; every reader sees the school's local time with its zone
name, so "18:48" is never UTC to one reader and WIB to another. Indonesia has no daylight
saving, so the fixed UTC+7 offset is exact (billing counts its days the same way).

Numbers group thousands the Indonesian way ("12.345"). Imports nothing of the app: any layer
(services, the CLI, state, pages) may use it (`pyproject.toml`, layers contract).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

# The one spelling of "no value" in a table cell or a CLI column.
EMPTY = "-"
# A CSV leaves a missing number blank, so a spreadsheet still reads the column as numbers.
CSV_EMPTY = ""
ELLIPSIS = "…"

ZONE_NAME = "WIB"
LOCAL_ZONE = timezone(timedelta(hours=7), ZONE_NAME)


# --- times -----------------------------------------------------------------------------------


def to_local(moment: datetime) -> datetime:
    """The same instant in WIB. A naive value is taken as UTC (how the app stores time)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_ZONE)


def local_date(moment: datetime) -> date:
    """The WIB calendar day of an instant (18:00 UTC is already the next day in WIB)."""
    return to_local(moment).date()


def format_datetime(moment: datetime | None, *, seconds: bool = False, empty: str = EMPTY) -> str:
    """ "05-12-2026 14:05 WIB" (with seconds: "05-12-2026 14:05:09 WIB")."""
    if moment is None:
        return empty
    pattern = "%d-%m-%Y %H:%M:%S" if seconds else "%d-%m-%Y %H:%M"
    return f"{to_local(moment).strftime(pattern)} {ZONE_NAME}"


def format_date(moment: datetime | None, *, empty: str = EMPTY) -> str:
    """ "05-12-2026": the WIB day of an instant (no zone name: a day needs none)."""
    if moment is None:
        return empty
    return local_date(moment).strftime("%d-%m-%Y")


# --- numbers ---------------------------------------------------------------------------------


def format_int(value: int | None, *, empty: str = EMPTY) -> str:
    """12345 -> "12.345" (Indonesian digit grouping)."""
    if value is None:
        return empty
    return f"{value:,}".replace(",", ".")


def format_decimal(value: float | None, decimals: int, *, empty: str = EMPTY) -> str:
    """A measured number with fixed decimals and a point, as CSV exports write it: "0.457"."""
    if value is None:
        return empty
    return f"{value:.{decimals}f}"


def format_idr(amount: int | None, *, empty: str = EMPTY) -> str:
    """150000 -> "Rp 150.000"."""
    if amount is None:
        return empty
    return "Rp " + format_int(amount)


def format_percent(
    value: float | None, *, decimals: int = 0, share: bool = False, empty: str = EMPTY
) -> str:
    """A percentage: 42.5 -> "42%" (decimals=1: "42.5%"); share=True takes 0..1 (0.425)."""
    if value is None:
        return empty
    points = 100 * value if share else value
    return f"{points:.{decimals}f}%"


def format_size(size: int, *, decimal_comma: bool = False) -> str:
    """Bytes for a person: "1.5 MB" for the command line, "1,5 MB" (decimal_comma) for pages."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            text = f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
            return text.replace(".", ",") if decimal_comma else text
        value /= 1024
    raise AssertionError("unreachable")


# --- text ------------------------------------------------------------------------------------


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the cut marked with "…"."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def or_empty(value: object | None, *, empty: str = EMPTY) -> str:
    """A value as text, or the placeholder when it is None or "" (like `value or "-"`)."""
    return empty if value is None or value == "" else str(value)
