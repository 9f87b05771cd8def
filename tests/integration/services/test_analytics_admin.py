"""Admin analytics on SQLite and PostgreSQL: growth and retention by week, feedback
helpfulness by model and prompt version, AI usage per day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nexus_app.models import ChatHistory
from nexus_app.services import analytics
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, PermissionDenied
from nexus_app.services.feedback import EXPLANATION_MODEL
from tests.integration.repositories import factories as f

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
LONG_AGO = datetime(2025, 1, 6, tzinfo=UTC)


def _actor(session: Session, role: str = "admin") -> CurrentUser:
    row = f.user(session, f"{role}-actor", role=role, created_at=LONG_AGO)
    return CurrentUser(
        id=row.id or 0, username=row.username, role=role, full_name="", onboarding_completed=True
    )


def _chat(
    session: Session,
    user_id: int,
    when: datetime,
    model: str | None = None,
    ms: int | None = None,
    tokens: tuple[int | None, int | None] = (None, None),
) -> None:
    """A tutor answer; without a model it is a row saved before usage was recorded."""
    session.add(
        ChatHistory(
            user_id=user_id,
            question="q",
            response="r",
            created_at=when,
            model_used=model,
            generation_time_ms=ms,
            token_count_input=tokens[0],
            token_count_output=tokens[1],
        )
    )
    session.flush()


def test_growth_and_retention_by_week(engine: Engine, session: Session) -> None:
    admin = _actor(session)
    # Week of Monday 23 Nov: two signups (one logged in yesterday), one deleted signup.
    ani = f.user(
        session,
        "ani",
        created_at=datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
        subscription_tier="premium",
        last_login=NOW - timedelta(days=1),
    )
    f.user(session, "budi", created_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    gone = f.user(session, "gone", created_at=datetime(2026, 11, 24, tzinfo=UTC), deleted_at=NOW)
    # Week of Monday 16 Nov (Sunday 22nd, 23:59 still belongs to it): not seen for 10 days.
    cici = f.user(
        session,
        "cici",
        created_at=datetime(2026, 11, 22, 23, 59, tzinfo=UTC),
        subscription_tier="premium_plus",
        last_login=NOW - timedelta(days=10),
    )
    # Sunday 6 Sep: the week before the 12-week window.
    f.user(session, "old", created_at=datetime(2026, 9, 6, 12, 0, tzinfo=UTC))

    q = f.question(session)
    f.attempt(
        session, user_id=ani.id, question_id=q.id, created_at=datetime(2026, 11, 24, tzinfo=UTC)
    )
    _chat(session, ani.id, datetime(2026, 11, 25, 8, 0, tzinfo=UTC))  # same week: counted once
    _chat(session, cici.id, datetime(2026, 11, 17, 8, 0, tzinfo=UTC))
    f.attempt(
        session,
        user_id=cici.id,
        question_id=q.id,
        created_at=datetime(2026, 11, 24, tzinfo=UTC),
        deleted_at=NOW,  # a removed attempt is no activity
    )
    f.attempt(
        session, user_id=gone.id, question_id=q.id, created_at=datetime(2026, 11, 24, tzinfo=UTC)
    )
    session.commit()

    report = analytics.analytics_report(actor=admin, days=30, now=NOW)
    weeks = report.growth
    assert len(weeks) == analytics.GROWTH_WEEKS
    assert weeks[0].week == date(2026, 9, 7) and weeks[-1].week == date(2026, 11, 23)
    by_week = {w.week: w for w in weeks}
    this_week, last_week = by_week[date(2026, 11, 23)], by_week[date(2026, 11, 16)]
    assert (this_week.new_users, this_week.premium, this_week.free) == (2, 1, 1)
    assert (this_week.active_users, this_week.cohort_active_7d) == (1, 1)
    assert this_week.retention == pytest.approx(0.5)
    assert (last_week.new_users, last_week.premium_plus, last_week.active_users) == (1, 1, 1)
    assert last_week.retention == 0.0
    quiet = by_week[date(2026, 9, 7)]
    assert (quiet.new_users, quiet.active_users, quiet.retention) == (0, 0, None)
    assert sum(w.new_users for w in weeks) == 3  # "old", the admin and the deleted one are out


def _feedback(
    session: Session,
    *,
    user_id: int,
    question_id: int,
    model: str,
    when: datetime,
    version: str | None = "fb-v1",
    helpful: bool | None = None,
    ms: int | None = None,
    tokens: tuple[int | None, int | None] = (None, None),
) -> None:
    a = f.attempt(session, user_id=user_id, question_id=question_id, is_correct=False)
    row = f.feedback(
        session,
        attempt_id=a.id,
        model_used=model,
        created_at=when,
        is_helpful=helpful,
        generation_time_ms=ms,
        token_count_input=tokens[0],
        token_count_output=tokens[1],
    )
    row.prompt_version = version
    session.flush()


def test_helpfulness_by_model_and_prompt_version(engine: Engine, session: Session) -> None:
    admin = _actor(session)
    me = f.user(session, created_at=LONG_AGO)
    q = f.question(session)
    day = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

    def fb(model: str, version: str | None, helpful: bool | None, when: datetime = day) -> None:
        _feedback(
            session,
            user_id=me.id or 0,
            question_id=q.id or 0,
            model=model,
            version=version,
            helpful=helpful,
            when=when,
        )

    for helpful in (True, True, False, None):
        fb("qwen-0.5b", "fb-v1", helpful)
    fb("qwen-0.5b", "fb-v2", True)
    fb("qwen-0.5b", "fb-v2", None)
    fb(EXPLANATION_MODEL, None, False)
    fb("qwen-0.5b", "fb-v1", False, when=NOW - timedelta(days=40))  # outside 30 days
    session.commit()

    report = analytics.analytics_report(actor=admin, days=30, now=NOW)
    lines = [
        (h.model, h.prompt_version, h.feedback, h.rated, h.helpful, h.not_helpful)
        for h in report.helpfulness
    ]
    assert lines == [
        ("qwen-0.5b", "fb-v1", 4, 3, 2, 1),
        ("qwen-0.5b", "fb-v2", 2, 1, 1, 0),
        (EXPLANATION_MODEL, None, 1, 1, 0, 1),
    ]
    shares = [h.helpful_share for h in report.helpfulness]
    assert shares == [pytest.approx(2 / 3), 1.0, 0.0]
    # 90 days reaches the old unhelpful one.
    wide = analytics.analytics_report(actor=admin, days=90, now=NOW)
    assert (wide.helpfulness[0].feedback, wide.helpfulness[0].helpful_share) == (
        5,
        pytest.approx(2 / 4),
    )


def test_ai_usage_per_day(engine: Engine, session: Session) -> None:
    admin = _actor(session)
    me = f.user(session, created_at=LONG_AGO)
    other = f.user(session, created_at=LONG_AGO)
    q = f.question(session)

    def fb(
        model: str, when: datetime, ms: int | None, tokens: tuple[int | None, int | None]
    ) -> None:
        _feedback(
            session,
            user_id=me.id or 0,
            question_id=q.id or 0,
            model=model,
            when=when,
            ms=ms,
            tokens=tokens,
        )

    late_24th = datetime(2026, 11, 24, 23, 59, tzinfo=UTC)
    fb("qwen-0.5b", late_24th, 2000, (300, 100))
    fb("qwen-0.5b", datetime(2026, 11, 24, 8, 0, tzinfo=UTC), 0, (None, None))  # reused copy
    fb("qwen-0.5b", datetime(2026, 11, 25, 0, 0, tzinfo=UTC), 1000, (150, None))
    fb("qwen-1.5b", datetime(2026, 11, 25, 9, 0, tzinfo=UTC), 3500, (200, 50))
    fb(EXPLANATION_MODEL, datetime(2026, 11, 25, 9, 30, tzinfo=UTC), None, (None, None))
    fb("qwen-0.5b", datetime(2026, 11, 18, 9, 0, tzinfo=UTC), 4000, (10, 10))  # 8th day back
    mine, theirs = me.id or 0, other.id or 0
    _chat(session, mine, datetime(2026, 11, 25, 7, 0, tzinfo=UTC), "qwen-0.5b", 1500, (400, 60))
    # Answers no model wrote: passages (no model, or a busy queue) and a refusal.
    _chat(session, mine, datetime(2026, 11, 25, 7, 5, tzinfo=UTC), "extractive", 0, (0, 0))
    _chat(session, mine, datetime(2026, 11, 25, 7, 10, tzinfo=UTC), "not_covered", 0, (0, 0))
    _chat(session, theirs, datetime(2026, 11, 25, 11, 0, tzinfo=UTC))  # before 0005
    _chat(session, theirs, datetime(2026, 11, 23, 11, 0, tzinfo=UTC), "qwen-0.5b", 2500, (380, 40))
    _chat(session, theirs, datetime(2026, 11, 18, 9, 0, tzinfo=UTC), "qwen-0.5b", 1000, (100, 10))
    session.commit()

    report = analytics.analytics_report(actor=admin, days=7, now=NOW)
    assert (report.first_day, report.last_day) == (date(2026, 11, 19), date(2026, 11, 25))
    assert [d.day for d in report.usage] == [
        date(2026, 11, 19) + timedelta(days=i) for i in range(7)
    ]
    day = {d.day: d for d in report.usage}
    d24, d25 = day[date(2026, 11, 24)], day[date(2026, 11, 25)]
    assert (d24.feedback_generated, d24.feedback_reused, d24.tokens_in, d24.tokens_out) == (
        1,
        1,
        300,
        100,
    )
    assert d24.compute_seconds == pytest.approx(2.0)
    assert (d24.tutor_answers, d24.tutor_tokens_in, d24.tutor_compute_seconds) == (0, 0, 0.0)
    assert (d25.feedback_generated, d25.feedback_reused) == (2, 1)
    assert (d25.feedback_tokens_in, d25.feedback_tokens_out) == (350, 50)
    assert d25.feedback_compute_seconds == pytest.approx(4.5)
    assert (d25.tutor_answers, d25.tutor_users, d25.tutor_generated) == (4, 2, 1)
    assert (d25.tutor_tokens_in, d25.tutor_tokens_out) == (400, 60)
    assert d25.tutor_compute_seconds == pytest.approx(1.5)
    # Feedback and tutor together.
    assert (d25.tokens_in, d25.tokens_out, d25.compute_seconds) == (750, 110, pytest.approx(6.0))
    d23 = day[date(2026, 11, 23)]
    assert (d23.tutor_answers, d23.tutor_generated, d23.tutor_tokens_in) == (1, 1, 380)
    assert (d23.tokens_out, d23.compute_seconds) == (40, pytest.approx(2.5))
    assert day[date(2026, 11, 19)].feedback_generated == 0
    t = report.totals
    assert (t.generations, t.reused, t.tokens, t.tutor_answers) == (3, 2, 800 + 880, 5)
    assert (t.tutor_generated, t.tutor_tokens) == (2, 880)
    assert t.tutor_compute_seconds == pytest.approx(4.0)
    assert t.compute_seconds == pytest.approx(6.5 + 4.0)
    assert [(m.model, m.generations, m.reused) for m in report.models] == [
        ("qwen-0.5b", 2, 1),
        ("qwen-1.5b", 1, 0),
    ]
    assert report.models[0].avg_seconds == pytest.approx(1.5)

    month = analytics.analytics_report(actor=admin, days=30, now=NOW)
    assert len(month.usage) == 30
    assert (month.totals.generations, month.totals.compute_seconds) == (4, pytest.approx(15.5))
    assert (month.totals.tutor_answers, month.totals.tutor_generated) == (6, 3)
    assert month.totals.tutor_tokens == 990


def test_refusals_and_bad_range(engine: Engine, session: Session) -> None:
    admin, guru, siswa = _actor(session), _actor(session, "guru"), _actor(session, "siswa")
    session.commit()
    for actor in (guru, siswa):
        with pytest.raises(PermissionDenied):
            analytics.analytics_report(actor=actor)
    with pytest.raises(InvalidInput):
        analytics.analytics_report(actor=admin, days=14)
    empty = analytics.analytics_report(actor=admin, now=NOW)
    assert empty.days == analytics.DEFAULT_RANGE and len(empty.usage) == analytics.DEFAULT_RANGE
    assert empty.helpfulness == [] and empty.models == []
    assert empty.totals.generations == 0
    assert (empty.totals.tutor_generated, empty.totals.tutor_compute_seconds) == (0, 0.0)
