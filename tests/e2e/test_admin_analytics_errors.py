"""The admin's analytics charts and the error log, in a real browser.

The demo school has practice history but no AI feedback, tutor chats or errors, so the
tests first write some into the running server's database: feedback and chats as rows,
errors through `error_log.capture`, the same function the app's handlers call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from nexus_app import config as app_config
from nexus_app.db import make_engine
from nexus_app.models import Attempt, AttemptFeedback, ChatHistory, ErrorLog, User, utcnow
from nexus_app.services import error_log
from nexus_app.services.demo import DEMO_ADMIN, STUDENT_PASSWORD
from nexus_app.services.timefmt import LOCAL_ZONE
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def server_db(
    server: str, server_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """The running server's SQLite database, also installed as this process's default so
    `error_log.capture` writes there."""
    url = f"sqlite:///{server_data_dir / 'nexus.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    app_config.get_settings.cache_clear()
    engine = make_engine(url)
    yield engine
    engine.dispose()
    app_config.get_settings.cache_clear()


def _chart(box_id: str) -> str:
    """The chart's own svg (legend icons are svgs of the same class)."""
    return f"#{box_id} .recharts-wrapper > svg.recharts-surface"


def _open_as_admin(page: Page, route: str) -> None:
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page.locator("#nav-admin")).to_be_visible()
    page.goto(route)


def _seed_ai_usage(engine: Engine) -> None:
    now = utcnow()
    with Session(engine) as session:
        student = session.exec(select(User).where(User.username == "siswa01")).one()
        wrong = session.exec(
            select(Attempt.id)
            .where(Attempt.user_id == student.id, col(Attempt.is_correct).is_(False))
            .where(~col(Attempt.id).in_(select(AttemptFeedback.attempt_id)))
            .limit(6)
        ).all()
        assert len(wrong) == 6, "the demo history should hold wrong answers"
        plan = [  # (days ago, prompt version, helpful, ms, tokens in, tokens out)
            (0, "fb-v2", True, 2400, 310, 120),
            (1, "fb-v2", True, 2100, 290, 110),
            (1, "fb-v1", False, 3300, 305, 160),
            (3, "fb-v1", True, 2900, 280, 140),
            (3, "fb-v1", None, 0, None, None),  # a reused copy
            (5, "fb-v2", False, 2600, 300, 130),
        ]
        for attempt_id, (ago, version, helpful, ms, tin, tout) in zip(wrong, plan, strict=True):
            session.add(
                AttemptFeedback(
                    attempt_id=attempt_id,
                    # Real feedback names the key; the practice test expects that of a reused copy.
                    feedback_text="Perhatikan langkah kedua. Jawaban yang benar: C.",
                    model_used="qwen2.5-0.5b-instruct",
                    prompt_version=version,
                    is_helpful=helpful,
                    generation_time_ms=ms,
                    token_count_input=tin,
                    token_count_output=tout,
                    created_at=now - timedelta(days=ago, minutes=5),
                )
            )
        for ago in (0, 0, 2):
            session.add(
                ChatHistory(
                    user_id=student.id,
                    question="Apa itu barisan aritmetika?",
                    response="Barisan dengan selisih tetap.",
                    created_at=now - timedelta(days=ago, minutes=10),
                )
            )
        session.commit()


def test_admin_sees_analytics_charts_and_tables(page: Page, server_db: Engine) -> None:
    _seed_ai_usage(server_db)
    _open_as_admin(page, "/admin/analytics")

    # Growth: the demo's students signed up this week and practised for three weeks.
    expect(page.locator(_chart("growth-chart"))).to_be_visible()
    expect(page.locator("#growth-chart .recharts-bar-rectangle").first).to_be_visible()
    expect(page.locator("#growth-table .growth-row").first).to_be_visible()
    expect(page.locator("#growth-table")).to_contain_text("%")

    # Helpfulness per prompt version: fb-v2 2 of 3 rated helpful, fb-v1 1 of 2.
    expect(page.locator(_chart("helpful-chart"))).to_be_visible()
    helpful = page.locator("#helpful-table .helpful-row")
    expect(helpful).to_have_count(2)
    expect(helpful.filter(has_text="fb-v2")).to_contain_text("67%")
    expect(helpful.filter(has_text="fb-v1")).to_contain_text("50%")

    # AI usage: 5 generations (one reused copy), tutor answers, per-day table and charts.
    expect(page.locator(_chart("usage-chart"))).to_be_visible()
    expect(page.locator(_chart("compute-chart"))).to_be_visible()
    expect(page.locator("#total-generations")).to_have_text("5")
    expect(page.locator("#total-reused")).to_have_text("1")
    expect(page.locator("#total-tutor")).to_have_text("3")
    expect(page.locator("#total-compute")).to_have_text("13,3")
    expect(page.locator("#model-table .model-row")).to_have_count(1)
    expect(page.locator("#usage-table .usage-row").first).to_be_visible()
    page.wait_for_timeout(800)  # let the chart animations finish
    screenshot(page, "admin-analytics")
    page.locator("#usage-section").evaluate("section => section.scrollIntoView()")
    page.wait_for_timeout(800)
    screenshot(page, "admin-analytics-usage")

    # A 7-day window still holds everything; the period line follows the choice.
    period = page.locator("#analytics-period").inner_text()
    page.locator("#analytics-range").select_option("7")
    expect(page.locator("#analytics-period")).not_to_have_text(period)
    expect(page.locator("#total-generations")).to_have_text("5")
    expect(page.locator("#usage-chart .recharts-bar-rectangle").first).to_be_visible()


def _nightly_backup_failure() -> None:
    raise KeyError("berkas cadangan hilang")


def _seed_errors(engine: Engine) -> None:
    for i in range(28):
        try:
            raise ValueError(f"nilai tidak valid nomor {i}\nbaris kedua")
        except ValueError as exc:
            # From four tabs: one client alone would hit the per-client rate limit.
            error_log.capture(
                exc, endpoint="reflex-event", severity="medium", client=f"tab-{i % 4}"
            )
    try:
        _nightly_backup_failure()
    except KeyError as exc:
        error_log.capture(exc, endpoint="job:nightly_backup", severity="critical")
    with Session(engine) as session:  # one from long ago, for the purge
        session.add(
            ErrorLog(
                error_type="OSError",
                error_message="disk penuh",
                severity="high",
                endpoint="job:nightly_backup",
                created_at=utcnow() - timedelta(days=120),
            )
        )
        session.commit()


def test_admin_filters_pages_reads_and_purges_errors(page: Page, server_db: Engine) -> None:
    _seed_errors(server_db)
    _open_as_admin(page, "/admin/errors")
    total = page.locator("#error-total")
    expect(total).to_have_text("30 log cocok")
    expect(page.locator("#error-table .error-row")).to_have_count(25)
    expect(page.locator("#error-page")).to_have_text("Halaman 1 dari 2")
    page.locator("#error-next").click()
    expect(page.locator("#error-page")).to_have_text("Halaman 2 dari 2")
    expect(page.locator("#error-table .error-row")).to_have_count(5)
    screenshot(page, "admin-errors")

    # Severity, then the full stack trace of the one critical error.
    page.locator("#error-severity").select_option("critical")
    expect(total).to_have_text("1 log cocok")
    row = page.locator("#error-table .error-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("job:nightly_backup")
    row.click()
    expect(page.locator("#error-detail")).to_be_visible()
    expect(page.locator("#error-detail-stack")).to_contain_text("_nightly_backup_failure")
    page.wait_for_timeout(300)
    screenshot(page, "admin-errors-detail")
    page.locator("#error-detail-close").click()
    expect(page.locator("#error-detail")).to_have_count(0)

    # Type and text search, then a date range in the future: nothing.
    page.locator("#error-clear-filters").click()
    expect(total).to_have_text("30 log cocok")
    page.locator("#error-type").select_option("ValueError")
    expect(total).to_have_text("28 log cocok")
    page.locator("#error-search").fill("NOMOR 27")
    page.locator("#error-search-submit").click()
    expect(total).to_have_text("1 log cocok")
    expect(page.locator("#error-table")).to_contain_text("nilai tidak valid nomor 27")
    page.locator("#error-clear-filters").click()
    # The filter takes WIB days (the times the admin reads): tomorrow in WIB, not in UTC.
    tomorrow = (utcnow().astimezone(LOCAL_ZONE) + timedelta(days=1)).date().isoformat()
    page.locator("#error-date-from").fill(tomorrow)
    expect(page.locator("#error-empty")).to_be_visible()
    expect(total).to_have_text("0 log cocok")
    page.locator("#error-clear-filters").click()

    # Purge: only the 120-day-old error goes, after a confirmation.
    page.locator("#error-purge").click()
    expect(page.locator("#purge-description")).to_contain_text(re.compile(r"^1 log error"))
    page.locator("#purge-confirm").click()
    expect(page.locator("#error-log-notice")).to_contain_text("1 log error")
    expect(total).to_have_text("29 log cocok")
    page.locator("#error-purge").click()
    expect(page.locator("#purge-confirm")).to_be_disabled()
    page.locator("#purge-cancel").click()


def test_a_student_cannot_open_the_error_log(page: Page) -> None:
    login(page, "siswa01", STUDENT_PASSWORD)
    expect(page.locator("#nav-practice")).to_be_visible()
    page.goto("/admin/errors")
    expect(page.locator("#access-denied")).to_be_visible()
    expect(page.locator("#error-table")).to_have_count(0)
