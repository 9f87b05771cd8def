"""State of /admin/analytics (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

from nexus_app.formatting import EMPTY, format_percent
from nexus_app.services import analytics
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import admin_event
from nexus_app.state.auth import AuthState

RANGE_OPTIONS: list[tuple[str, str]] = [
    (str(d), f"{d} hari terakhir") for d in analytics.RANGE_CHOICES
]


def _int(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Indonesian thousands separator


def _dec(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


class AdminAnalyticsState(AuthState):
    range_days: str = str(analytics.DEFAULT_RANGE)
    period: str = ""
    error: str = ""

    # Retention is None for a week without signups: a gap in the line, not a 0%.
    growth_chart: list[dict[str, int | float | str | None]] = []
    growth_rows: list[dict[str, str]] = []

    helpful_chart: list[dict[str, int | float | str]] = []
    helpful_rows: list[dict[str, str]] = []

    usage_chart: list[dict[str, int | float | str]] = []
    usage_rows: list[dict[str, str]] = []
    model_rows: list[dict[str, str]] = []
    total_generations: str = "0"
    total_reused: str = "0"
    total_tokens: str = "0"
    total_compute: str = "0"
    total_tutor: str = "0"
    total_tutor_generated: str = "0"
    total_tutor_compute: str = "0"

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
        self.growth_chart = [
            {
                "week": w.week.strftime("%d-%m"),
                "new": w.new_users,
                "active": w.active_users,
                "retention": None if w.retention is None else round(100 * w.retention),
            }
            for w in report.growth
        ]
        self.growth_rows = [
            {
                "week": w.week.strftime("%d-%m-%Y"),
                "new": _int(w.new_users),
                "tiers": f"{w.free} / {w.premium} / {w.premium_plus}",
                "active": _int(w.active_users),
                "cohort": _int(w.cohort_active_7d),
                "retention": format_percent(w.retention, share=True),
            }
            for w in reversed(report.growth)
            if w.new_users or w.active_users
        ]
        self.helpful_chart = [
            {
                "label": f"{h.model} · {h.prompt_version or EMPTY}",
                "helpful": round(100 * h.helpful_share) if h.helpful_share is not None else 0,
            }
            for h in report.helpfulness
            if h.rated
        ]
        self.helpful_rows = [
            {
                "model": h.model,
                "version": h.prompt_version or EMPTY,
                "feedback": _int(h.feedback),
                "rated": _int(h.rated),
                "helpful": _int(h.helpful),
                "not_helpful": _int(h.not_helpful),
                "share": format_percent(h.helpful_share, share=True),
            }
            for h in report.helpfulness
        ]
        self.usage_chart = [
            {
                "day": d.day.strftime("%d-%m"),
                "feedback": d.feedback_generated,
                "reused": d.feedback_reused,
                "tutor": d.tutor_answers,
                "feedback_tokens": d.feedback_tokens_in + d.feedback_tokens_out,
                "tutor_tokens": d.tutor_tokens_in + d.tutor_tokens_out,
                "feedback_seconds": round(d.feedback_compute_seconds, 1),
                "tutor_seconds": round(d.tutor_compute_seconds, 1),
            }
            for d in report.usage
        ]
        self.usage_rows = [
            {
                "day": d.day.strftime("%d-%m-%Y"),
                "feedback": _int(d.feedback_generated),
                "reused": _int(d.feedback_reused),
                "feedback_tokens": f"{_int(d.feedback_tokens_in)} / {_int(d.feedback_tokens_out)}",
                "feedback_seconds": _dec(d.feedback_compute_seconds),
                "tutor": (
                    f"{_int(d.tutor_answers)} ({_int(d.tutor_users)} siswa, "
                    f"{_int(d.tutor_generated)} oleh model)"
                ),
                "tutor_tokens": f"{_int(d.tutor_tokens_in)} / {_int(d.tutor_tokens_out)}",
                "tutor_seconds": _dec(d.tutor_compute_seconds),
            }
            for d in reversed(report.usage)
            if d.feedback_generated or d.feedback_reused or d.tutor_answers
        ]
        self.model_rows = [
            {
                "model": m.model,
                "generations": _int(m.generations),
                "reused": _int(m.reused),
                "tokens": _int(m.tokens_in + m.tokens_out),
                "seconds": _dec(m.compute_seconds),
                "avg": EMPTY if m.avg_seconds is None else _dec(m.avg_seconds, 2),
            }
            for m in report.models
        ]
        t = report.totals
        self.total_generations = _int(t.generations)
        self.total_reused = _int(t.reused)
        self.total_tokens = _int(t.tokens)
        self.total_compute = _dec(t.compute_seconds)
        self.total_tutor = _int(t.tutor_answers)
        self.total_tutor_generated = _int(t.tutor_generated)
        self.total_tutor_compute = _dec(t.tutor_compute_seconds)
