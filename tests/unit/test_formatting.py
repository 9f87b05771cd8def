"""Values read the same everywhere: WIB times with the zone stated, Indonesian digit grouping,
one placeholder, one way to shorten. Stored UTC (aware or naive) converts exactly."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from nexus_app import formatting as fmt
from nexus_app.services import timefmt


def test_utc_evening_is_the_next_morning_in_wib() -> None:
    # The example: 18:48 UTC was 01:48 WIB on the next day.
    moment = datetime(2026, 12, 4, 18, 48, tzinfo=UTC)
    assert fmt.format_datetime(moment) == "05-12-2026 01:48 WIB"
    assert fmt.format_date(moment) == "05-12-2026"
    assert fmt.local_date(moment) == date(2026, 12, 5)


def test_naive_values_are_taken_as_utc() -> None:
    assert fmt.format_datetime(datetime(2026, 1, 1, 0, 0)) == "01-01-2026 07:00 WIB"


def test_other_offsets_convert_to_the_same_instant() -> None:
    wita = timezone(timedelta(hours=8))
    moment = datetime(2026, 3, 10, 9, 30, 15, tzinfo=wita)
    assert fmt.format_datetime(moment, seconds=True) == "10-03-2026 08:30:15 WIB"
    assert fmt.to_local(moment) == moment


def test_missing_values_show_the_one_placeholder() -> None:
    assert fmt.EMPTY == "-"
    assert fmt.format_datetime(None) == fmt.EMPTY
    assert fmt.format_date(None, empty="belum pernah") == "belum pernah"
    assert fmt.format_int(None) == fmt.EMPTY
    assert fmt.format_idr(None) == fmt.EMPTY
    assert fmt.format_percent(None) == fmt.EMPTY
    assert fmt.or_empty(None) == fmt.EMPTY
    assert fmt.or_empty("") == fmt.EMPTY
    assert fmt.or_empty("GET") == "GET"
    assert fmt.or_empty(0) == "0"  # a zero is a value, not a gap


def test_numbers_group_thousands_the_indonesian_way() -> None:
    assert fmt.format_int(0) == "0"
    assert fmt.format_int(999) == "999"
    assert fmt.format_int(12_345) == "12.345"
    assert fmt.format_int(-1_234_567) == "-1.234.567"
    assert fmt.format_idr(150_000) == "Rp 150.000"


def test_percentages_from_points_or_shares() -> None:
    assert fmt.format_percent(42.4) == "42%"
    assert fmt.format_percent(42.45, decimals=1) == "42.5%"
    assert fmt.format_percent(0.425, share=True) == "42%"  # half to even, as round() does
    assert fmt.format_percent(0.4251, share=True) == "43%"
    assert fmt.format_percent(1.0, share=True) == "100%"
    assert fmt.format_percent(0.0) == "0%"


def test_sizes_for_the_cli_and_for_pages() -> None:
    assert fmt.format_size(512) == "512 B"
    assert fmt.format_size(1536) == "1.5 KB"
    assert fmt.format_size(1536, decimal_comma=True) == "1,5 KB"
    assert fmt.format_size(5 * 1024**4) == "5120.0 GB"


def test_shorten_marks_the_cut_and_keeps_the_limit() -> None:
    assert fmt.shorten("pendek", 10) == "pendek"
    assert fmt.shorten("tepat", 5) == "tepat"
    cut = fmt.shorten("kalimat yang terlalu panjang", 10)
    assert cut == "kalimat y…" and len(cut) == 10
    with pytest.raises(ValueError):
        fmt.shorten("x", 0)


def test_timefmt_is_the_same_functions_until_state_moves() -> None:
    assert timefmt.format_datetime is fmt.format_datetime
    assert timefmt.LOCAL_ZONE is fmt.LOCAL_ZONE


def test_decimals_for_csv_exports() -> None:
    assert fmt.format_decimal(0.45678, 3) == "0.457"
    assert fmt.format_decimal(1, 3) == "1.000"
    assert fmt.format_decimal(None, 3) == fmt.EMPTY
    # A missing number in a CSV is a blank cell, not the page's placeholder.
    assert fmt.format_decimal(None, 3, empty=fmt.CSV_EMPTY) == ""
