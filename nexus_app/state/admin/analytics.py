"""State of /admin/analytics (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nexus_app.formatting import EMPTY, format_int, format_percent
from nexus_app.services import analytics
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import admin_event
from nexus_app.state.auth import AuthState

RANGE_OPTIONS: list[tuple[str, str]] = [
    (str(d), f"{d} hari terakhir") for d in analytics.RANGE_CHOICES
]


def _dec(x: float, digits: int = 1) -> str:
    """1234.5 -> "1.234,5" (Indonesian grouping and decimal comma)."""
    return f"{x:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


# Chart points: plain numbers, one field per series (the charts' data_key). Recharts takes
# its data as dicts: the state holds them as `dataclasses.asdict` of these.


@dataclasses.dataclass
class GrowthPoint:
    week: str
    new: int
    active: int
    # None for a week without signups: a gap in the line, not a 0%.
    retention: int | None


@dataclasses.dataclass
class HelpfulPoint:
    label: str
    helpful: int


@dataclasses.dataclass
class UsagePoint:
    day: str
    feedback: int
    reused: int
    tutor: int
    feedback_tokens: int
    tutor_tokens: int
    feedback_seconds: float
    tutor_seconds: float


ChartPoint = dict[str, int | float | str | None]


def _chart_point(point: GrowthPoint | HelpfulPoint | UsagePoint) -> ChartPoint:
    return dataclasses.asdict(point)


# Table rows: text as shown.


@dataclasses.dataclass
class GrowthRow:
    week: str
    new: str
    tiers: str
    active: str
    cohort: str
    retention: str


@dataclasses.dataclass
class HelpfulRow:
    model: str
    version: str
    feedback: str
    rated: str
    helpful: str
    not_helpful: str
    share: str


@dataclasses.dataclass
class UsageRow:
    day: str
    feedback: str
    reused: str
    feedback_tokens: str
    feedback_seconds: str
    tutor: str
    tutor_tokens: str
    tutor_seconds: str


@dataclasses.dataclass
class ModelRow:
    model: str
    generations: str
    reused: str
    tokens: str
    seconds: str
    avg: str


def _growth_row(w: analytics.GrowthWeek) -> GrowthRow:
    return GrowthRow(
        week=w.week.strftime("%d-%m-%Y"),
        new=format_int(w.new_users),
        tiers=f"{w.free} / {w.premium} / {w.premium_plus}",
        active=format_int(w.active_users),
        cohort=format_int(w.cohort_active_7d),
        retention=format_percent(w.retention, share=True),
    )


def _helpful_row(h: analytics.HelpfulnessLine) -> HelpfulRow:
    return HelpfulRow(
        model=h.model,
        version=h.prompt_version or EMPTY,
        feedback=format_int(h.feedback),
        rated=format_int(h.rated),
        helpful=format_int(h.helpful),
        not_helpful=format_int(h.not_helpful),
        share=format_percent(h.helpful_share, share=True),
    )


def _usage_point(d: analytics.UsageDay) -> UsagePoint:
    return UsagePoint(
        day=d.day.strftime("%d-%m"),
        feedback=d.feedback_generated,
        reused=d.feedback_reused,
        tutor=d.tutor_answers,
        feedback_tokens=d.feedback_tokens_in + d.feedback_tokens_out,
        tutor_tokens=d.tutor_tokens_in + d.tutor_tokens_out,
        feedback_seconds=round(d.feedback_compute_seconds, 1),
        tutor_seconds=round(d.tutor_compute_seconds, 1),
    )


def _usage_row(d: analytics.UsageDay) -> UsageRow:
    n = format_int
    return UsageRow(
        day=d.day.strftime("%d-%m-%Y"),
        feedback=n(d.feedback_generated),
        reused=n(d.feedback_reused),
        feedback_tokens=f"{n(d.feedback_tokens_in)} / {n(d.feedback_tokens_out)}",
        feedback_seconds=_dec(d.feedback_compute_seconds),
        tutor=(
            f"{n(d.tutor_answers)} ({n(d.tutor_users)} siswa, {n(d.tutor_generated)} oleh model)"
        ),
        tutor_tokens=f"{n(d.tutor_tokens_in)} / {n(d.tutor_tokens_out)}",
        tutor_seconds=_dec(d.tutor_compute_seconds),
    )


def _model_row(m: analytics.UsageModel) -> ModelRow:
    return ModelRow(
        model=m.model,
        generations=format_int(m.generations),
        reused=format_int(m.reused),
        tokens=format_int(m.tokens_in + m.tokens_out),
        seconds=_dec(m.compute_seconds),
        avg=EMPTY if m.avg_seconds is None else _dec(m.avg_seconds, 2),
    )


class AdminAnalyticsState(AuthState):
    range_days: rx.Field[str] = rx.field(str(analytics.DEFAULT_RANGE))
    period: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")

    growth_chart: rx.Field[list[ChartPoint]] = rx.field(default_factory=list)
    growth_rows: rx.Field[list[GrowthRow]] = rx.field(default_factory=list)

    helpful_chart: rx.Field[list[ChartPoint]] = rx.field(default_factory=list)
    helpful_rows: rx.Field[list[HelpfulRow]] = rx.field(default_factory=list)

    usage_chart: rx.Field[list[ChartPoint]] = rx.field(default_factory=list)
    usage_rows: rx.Field[list[UsageRow]] = rx.field(default_factory=list)
    model_rows: rx.Field[list[ModelRow]] = rx.field(default_factory=list)
    total_generations: rx.Field[str] = rx.field("0")
    total_reused: rx.Field[str] = rx.field("0")
    total_tokens: rx.Field[str] = rx.field("0")
    total_compute: rx.Field[str] = rx.field("0")
    total_tutor: rx.Field[str] = rx.field("0")
    total_tutor_generated: rx.Field[str] = rx.field("0")
    total_tutor_compute: rx.Field[str] = rx.field("0")

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        self._refresh(actor)

    @admin_event
    def set_range(self, actor: CurrentUser, value: str) -> None:
        self.range_days = value
        self._refresh(actor)

    def _refresh(self, actor: CurrentUser) -> None:
        try:
            report = analytics.analytics_report(actor=actor, days=int(self.range_days))
        except ValueError:
            self.error = "Rentang waktu tidak dikenal."
            return
        except ServiceError as exc:
            self.error = exc.message
            return
        self.error = ""
        self.period = (
            f"{report.first_day.strftime('%d-%m-%Y')} s.d. {report.last_day.strftime('%d-%m-%Y')}"
        )
        self._show_growth(report)
        self._show_helpfulness(report)
        self._show_usage(report)

    def _show_growth(self, report: analytics.AnalyticsReport) -> None:
        self.growth_chart = [
            _chart_point(
                GrowthPoint(
                    week=w.week.strftime("%d-%m"),
                    new=w.new_users,
                    active=w.active_users,
                    retention=None if w.retention is None else round(100 * w.retention),
                )
            )
            for w in report.growth
        ]
        self.growth_rows = [
            _growth_row(w) for w in reversed(report.growth) if w.new_users or w.active_users
        ]

    def _show_helpfulness(self, report: analytics.AnalyticsReport) -> None:
        self.helpful_chart = [
            _chart_point(
                HelpfulPoint(
                    label=f"{h.model} · {h.prompt_version or EMPTY}",
                    helpful=round(100 * h.helpful_share) if h.helpful_share is not None else 0,
                )
            )
            for h in report.helpfulness
            if h.rated
        ]
        self.helpful_rows = [_helpful_row(h) for h in report.helpfulness]

    def _show_usage(self, report: analytics.AnalyticsReport) -> None:
        self.usage_chart = [_chart_point(_usage_point(d)) for d in report.usage]
        self.usage_rows = [
            _usage_row(d)
            for d in reversed(report.usage)
            if d.feedback_generated or d.feedback_reused or d.tutor_answers
        ]
        self.model_rows = [_model_row(m) for m in report.models]
        t = report.totals
        self.total_generations = format_int(t.generations)
        self.total_reused = format_int(t.reused)
        self.total_tokens = format_int(t.tokens)
        self.total_compute = _dec(t.compute_seconds)
        self.total_tutor = format_int(t.tutor_answers)
        self.total_tutor_generated = format_int(t.tutor_generated)
        self.total_tutor_compute = _dec(t.tutor_compute_seconds)
