"""Times shown to people are WIB and say so; stored UTC (aware or naive) converts exactly."""

from datetime import UTC, date, datetime, timedelta, timezone

from nexus_app.services import timefmt


def test_utc_evening_is_the_next_morning_in_wib() -> None:
    # The example: 18:48 UTC was 01:48 WIB on the next day.
    moment = datetime(2026, 12, 4, 18, 48, tzinfo=UTC)
    assert timefmt.format_datetime(moment) == "05-12-2026 01:48 WIB"
    assert timefmt.format_date(moment) == "05-12-2026"
    assert timefmt.local_date(moment) == date(2026, 12, 5)


def test_naive_values_are_taken_as_utc() -> None:
    assert timefmt.format_datetime(datetime(2026, 1, 1, 0, 0)) == "01-01-2026 07:00 WIB"


def test_other_offsets_convert_to_the_same_instant() -> None:
    wita = timezone(timedelta(hours=8))
    moment = datetime(2026, 3, 10, 9, 30, 15, tzinfo=wita)
    assert timefmt.format_datetime(moment, seconds=True) == "10-03-2026 08:30:15 WIB"
    assert timefmt.to_local(moment) == moment


def test_missing_times_show_a_placeholder() -> None:
    assert timefmt.format_datetime(None) == "-"
    assert timefmt.format_date(None, empty="belum pernah") == "belum pernah"
