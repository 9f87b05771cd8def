"""The admin's analytics: user growth and retention, feedback helpfulness, AI usage.

Three reports from the Genta seed, read for a school that runs its own model:
- Query 8 (user growth and retention) per signup week, beside the users who were
  active (practised or asked the tutor) in each week;
- how often students rated the AI feedback helpful, per model and prompt version;
- Query 10 (LLM cost) as usage, not money: generations, tokens and compute seconds per
  day, for practice feedback and for the tutor. Tutor answers saved before chat_history
  recorded model, tokens and time (migration 0005) count as answers with no known usage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import analytics as analytics_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import InvalidInput
from nexus_app.services.feedback import EXPLANATION_MODEL
from nexus_app.services.tutor import NO_MODEL_MODES

RANGE_CHOICES: tuple[int, ...] = (7, 30, 90)
DEFAULT_RANGE = 30
GROWTH_WEEKS = 12


@dataclass(frozen=True)
class GrowthWeek:
    week: date  # Monday, UTC
    new_users: int
    premium: int
    premium_plus: int
    free: int
    active_users: int  # practised or asked the tutor during the week
    cohort_active_7d: int  # of the week's signups, logged in during the last 7 days
    retention: float | None  # cohort_active_7d / new_users (None without signups)


@dataclass(frozen=True)
class HelpfulnessLine:
    model: str
    prompt_version: str | None
    feedback: int
    rated: int
    helpful: int
    helpful_share: float | None  # helpful / rated (None when nobody rated)

    @property
    def not_helpful(self) -> int:
        return self.rated - self.helpful


@dataclass(frozen=True)
class UsageDay:
    day: date  # UTC
    feedback_generated: int  # the model ran
    feedback_reused: int  # a copy of earlier feedback or the stored explanation
    feedback_tokens_in: int
    feedback_tokens_out: int
    feedback_compute_seconds: float
    tutor_answers: int
    tutor_users: int
    tutor_generated: int  # answers the model generated (the rest are passages or refusals)
    tutor_tokens_in: int
    tutor_tokens_out: int
    tutor_compute_seconds: float

    @property
    def tokens_in(self) -> int:
        return self.feedback_tokens_in + self.tutor_tokens_in

    @property
    def tokens_out(self) -> int:
        return self.feedback_tokens_out + self.tutor_tokens_out

    @property
    def compute_seconds(self) -> float:
        return self.feedback_compute_seconds + self.tutor_compute_seconds


@dataclass(frozen=True)
class UsageModel:
    model: str
    generations: int
    reused: int
    tokens_in: int
    tokens_out: int
    compute_seconds: float

    @property
    def avg_seconds(self) -> float | None:
        return self.compute_seconds / self.generations if self.generations else None


@dataclass(frozen=True)
class UsageTotals:
    generations: int  # feedback the model generated
    reused: int
    tokens: int  # feedback and tutor
    compute_seconds: float  # feedback and tutor
    tutor_answers: int
    tutor_generated: int
    tutor_tokens: int
    tutor_compute_seconds: float


@dataclass(frozen=True)
class AnalyticsReport:
    days: int
    first_day: date
    last_day: date
    growth: list[GrowthWeek]  # oldest week first, every week of the window present
    helpfulness: list[HelpfulnessLine]  # most feedback first
    usage: list[UsageDay]  # oldest day first, every day of the window present
    models: list[UsageModel]  # models that ran, most generations first
    totals: UsageTotals


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def analytics_report(
    *, actor: CurrentUser, days: int = DEFAULT_RANGE, now: datetime | None = None
) -> AnalyticsReport:
    """Everything the analytics page shows. `days` (7, 30 or 90) is the window of the
    helpfulness and usage reports: today (UTC) and the days before it. Growth always
    covers the last GROWTH_WEEKS weeks, whatever the window: weeks need a longer view."""
    require_admin(actor)
    if days not in RANGE_CHOICES:
        choices = ", ".join(str(d) for d in RANGE_CHOICES)
        raise InvalidInput(f"Rentang waktu harus salah satu dari {choices} hari.")
    now = now or utcnow()
    today = now.astimezone(UTC).date()
    first_day = today - timedelta(days=days - 1)
    until = _midnight(today + timedelta(days=1))
    first_week = _monday(today) - timedelta(weeks=GROWTH_WEEKS - 1)
    with unit_of_work() as session:
        signups = analytics_repo.user_growth_by_week(
            session=session, now=now, signed_up_since=_midnight(first_week)
        )
        # From the weekly summary table (migration 0017): ~one row per active student and
        # week instead of every answer and chat of twelve weeks (5.4 M rows at the seeds'
        # scale); same counts as analytics_repo.weekly_active_users.
        active = analytics_repo.weekly_active_users_summary(
            session=session, first_week=first_week, until=until
        )
        helpfulness = analytics_repo.feedback_helpfulness(
            session=session, since=_midnight(first_day), until=until
        )
        feedback_usage = analytics_repo.feedback_usage_by_day(
            session=session, since=_midnight(first_day), until=until
        )
        # From the day tables (migration 0017): a row per day and model, not every chat.
        chat_usage = analytics_repo.chat_usage_by_day_summary(
            session=session, since=_midnight(first_day), until=until, no_model=NO_MODEL_MODES
        )
    usage = _usage_days(first_day, today, feedback_usage, chat_usage)
    models = _usage_models(feedback_usage)
    return AnalyticsReport(
        days=days,
        first_day=first_day,
        last_day=today,
        growth=_growth_weeks(first_week, _monday(today), signups, active),
        helpfulness=[
            HelpfulnessLine(
                model=h.model_used,
                prompt_version=h.prompt_version,
                feedback=h.feedback_count,
                rated=h.rated_count,
                helpful=h.helpful_count,
                helpful_share=h.helpful_count / h.rated_count if h.rated_count else None,
            )
            for h in helpfulness
        ],
        usage=usage,
        models=models,
        totals=UsageTotals(
            generations=sum(d.feedback_generated for d in usage),
            reused=sum(d.feedback_reused for d in usage),
            tokens=sum(d.tokens_in + d.tokens_out for d in usage),
            compute_seconds=sum(d.compute_seconds for d in usage),
            tutor_answers=sum(d.tutor_answers for d in usage),
            tutor_generated=sum(d.tutor_generated for d in usage),
            tutor_tokens=sum(d.tutor_tokens_in + d.tutor_tokens_out for d in usage),
            tutor_compute_seconds=sum(d.tutor_compute_seconds for d in usage),
        ),
    )


def _growth_weeks(
    first: date,
    last: date,
    signups: list[analytics_repo.WeeklyGrowthRow],
    active: list[analytics_repo.WeeklyActiveRow],
) -> list[GrowthWeek]:
    by_week = {r.signup_week: r for r in signups}
    active_by_week = {r.week: r.active_users for r in active}
    weeks: list[GrowthWeek] = []
    week = first
    while week <= last:
        row = by_week.get(week)
        new = row.new_users if row else 0
        cohort_active = row.active_last_7d if row else 0
        weeks.append(
            GrowthWeek(
                week=week,
                new_users=new,
                premium=row.premium_count if row else 0,
                premium_plus=row.premium_plus_count if row else 0,
                free=row.free_count if row else 0,
                active_users=active_by_week.get(week, 0),
                cohort_active_7d=cohort_active,
                retention=cohort_active / new if new else None,
            )
        )
        week += timedelta(weeks=1)
    return weeks


def _is_model_run(row: analytics_repo.FeedbackUsageRow) -> bool:
    return row.model_used != EXPLANATION_MODEL


def _usage_days(
    first: date,
    last: date,
    feedback: list[analytics_repo.FeedbackUsageRow],
    chat: list[analytics_repo.ChatUsageRow],
) -> list[UsageDay]:
    chat_by_day = {c.day: c for c in chat}
    days: list[UsageDay] = []
    day = first
    while day <= last:
        rows = [r for r in feedback if r.day == day]
        generated = sum(r.feedback_count - r.reused_count for r in rows if _is_model_run(r))
        talk = chat_by_day.get(day)
        days.append(
            UsageDay(
                day=day,
                feedback_generated=generated,
                feedback_reused=sum(r.feedback_count for r in rows) - generated,
                feedback_tokens_in=sum(r.tokens_in for r in rows),
                feedback_tokens_out=sum(r.tokens_out for r in rows),
                feedback_compute_seconds=sum(r.compute_ms for r in rows) / 1000.0,
                tutor_answers=talk.answers if talk else 0,
                tutor_users=talk.users if talk else 0,
                tutor_generated=talk.model_answers if talk else 0,
                tutor_tokens_in=talk.tokens_in if talk else 0,
                tutor_tokens_out=talk.tokens_out if talk else 0,
                tutor_compute_seconds=talk.compute_ms / 1000.0 if talk else 0.0,
            )
        )
        day += timedelta(days=1)
    return days


def _usage_models(feedback: list[analytics_repo.FeedbackUsageRow]) -> list[UsageModel]:
    totals: dict[str, list[int]] = {}
    for r in feedback:
        if not _is_model_run(r):
            continue
        t = totals.setdefault(r.model_used, [0, 0, 0, 0, 0])
        t[0] += r.feedback_count - r.reused_count
        t[1] += r.reused_count
        t[2] += r.tokens_in
        t[3] += r.tokens_out
        t[4] += r.compute_ms
    models = [
        UsageModel(
            model=name,
            generations=gen,
            reused=reused,
            tokens_in=tin,
            tokens_out=tout,
            compute_seconds=ms / 1000.0,
        )
        for name, (gen, reused, tin, tout, ms) in totals.items()
    ]
    return sorted(models, key=lambda m: (-m.generations, m.model))
