"""State of /admin/statistics (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

import dataclasses

import reflex as rx
from reflex_base.event import EventSpec

from nexus_app.formatting import EMPTY, format_percent
from nexus_app.services import statistics as item_stats
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import Choice, admin_event
from nexus_app.state.auth import AuthState

ALL = ""
MIN_USERS_NOT_A_NUMBER = "Minimal siswa yang menjawab harus berupa bilangan bulat."
# (code, label, explanation) of every assessment, for the page's legend and badges: pages
# read the state, never the service.
ASSESSMENTS: list[tuple[str, str, str]] = [
    (a.code, a.label, a.explanation) for a in item_stats.ASSESSMENTS.values()
]


@dataclasses.dataclass
class StatRow:
    """One question's statistics, as shown; `code` picks the assessment's badge."""

    id: int
    section: str
    text: str
    b: str
    attempts: int
    rate: str
    time: str
    users: int
    code: str
    label: str
    explanation: str


def _row(stat: item_stats.QuestionStat) -> StatRow:
    return StatRow(
        id=stat.question_id,
        section=stat.section + (f" · {stat.sub_type}" if stat.sub_type else ""),
        text=stat.preview,
        b=EMPTY if stat.difficulty_irt is None else f"{stat.difficulty_irt:.2f}",
        attempts=stat.attempt_count,
        rate=format_percent(stat.correct_rate_percentage, decimals=1),
        time=EMPTY if stat.avg_time_seconds is None else f"{stat.avg_time_seconds} dtk",
        users=stat.unique_users,
        code=stat.assessment.code,
        label=stat.assessment.label,
        explanation=stat.assessment.explanation,
    )


class AdminStatisticsState(AuthState):
    sections: rx.Field[list[Choice]] = rx.field(default_factory=list)
    banks: rx.Field[list[Choice]] = rx.field(default_factory=list)
    section: rx.Field[str] = rx.field(ALL)
    bank_id: rx.Field[str] = rx.field(ALL)
    min_users: rx.Field[str] = rx.field(str(item_stats.DEFAULT_MIN_USERS))
    limit: rx.Field[str] = rx.field(str(item_stats.LIMITS[0]))
    limit_choices: rx.Field[list[str]] = rx.field(
        default_factory=lambda: [str(n) for n in item_stats.LIMITS]
    )
    rows: rx.Field[list[StatRow]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")

    @rx.var
    def label_counts(self) -> str:
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r.label] = counts.get(r.label, 0) + 1
        return ", ".join(f"{label}: {n}" for label, n in sorted(counts.items()))

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        opts = item_stats.options(actor=actor)
        self.sections = [Choice(value=c, label=f"{c} – {name}") for c, name in opts.sections]
        self.banks = [Choice(value=str(i), label=name) for i, name in opts.banks]
        if self.bank_id not in {b.value for b in self.banks}:
            self.bank_id = ALL
        self._refresh(actor)

    def _query(self, actor: CurrentUser) -> list[item_stats.QuestionStat]:
        return item_stats.question_statistics(
            actor=actor,
            section=self.section or None,
            bank_id=int(self.bank_id) if self.bank_id else None,
            min_users=int(self.min_users),
            limit=int(self.limit),
        )

    def _refresh(self, actor: CurrentUser) -> None:
        if not self.min_users.isdigit():
            self.error = MIN_USERS_NOT_A_NUMBER
            return
        try:
            stats = self._query(actor)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.error = ""
        self.rows = [_row(s) for s in stats]

    @admin_event
    def set_section(self, actor: CurrentUser, value: str) -> None:
        self.section = value
        self._refresh(actor)

    @admin_event
    def set_bank(self, actor: CurrentUser, value: str) -> None:
        self.bank_id = value
        self._refresh(actor)

    @admin_event
    def set_min_users(self, actor: CurrentUser, value: str) -> None:
        self.min_users = value.strip()
        self._refresh(actor)

    @admin_event
    def set_limit(self, actor: CurrentUser, value: str) -> None:
        self.limit = value
        self._refresh(actor)

    @admin_event(error="error")
    def download_csv(self, actor: CurrentUser) -> EventSpec | None:
        if not self.min_users.isdigit():
            self.error = MIN_USERS_NOT_A_NUMBER
            return None
        stats = self._query(actor)
        return rx.download(data=item_stats.statistics_csv(stats), filename="statistik-soal.csv")
