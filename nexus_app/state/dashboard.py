"""State of /dashboard: what the student sees about their own readiness."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from nexus_app.formatting import EMPTY, format_percent
from nexus_app.services import dashboard, review_queue, tryout
from nexus_app.services.topics import topic_label
from nexus_app.state.auth import AuthState

SECTION_COLORS = {
    "PU": "#4f46e5",
    "PPU": "#0891b2",
    "PBM": "#16a34a",
    "PK": "#ea580c",
    "LBI": "#db2777",
    "LBE": "#9333ea",
    "PM": "#ca8a04",
}


@dataclasses.dataclass
class ReadinessCard:
    section: str
    name: str
    answered: str
    has_data: bool
    score_range: str
    score: str
    readiness: str
    readiness_width: str
    chance: str
    accuracy: str
    ready_by: str


@dataclasses.dataclass
class ChartLine:
    section: str
    color: str


@dataclasses.dataclass
class WeakAreaRow:
    section: str
    topic: str
    score: str
    recommendation: str
    href: str


@dataclasses.dataclass
class SchoolWeakAreaRow:
    subject: str
    topic: str
    score: str
    recommendation: str
    href: str


@dataclasses.dataclass
class SchoolMasteryRow:
    subject: str
    topic: str
    mastery: str
    width: str
    answers: str
    href: str


@dataclasses.dataclass
class FeedbackRow:
    section: str
    question: str
    answer: str
    text: str
    helpful: bool
    helpful_label: str
    when: str


@dataclasses.dataclass
class SessionRow:
    id: str
    section: str
    mode: str
    started: str
    answered: str
    accuracy: str
    href: str


@dataclasses.dataclass
class PlanRow:
    section: str
    topic: str
    minutes: str
    questions: str
    reason: str
    href: str


def session_rows(sessions: list[dashboard.StudySessionItem]) -> list[SessionRow]:
    """The study-sessions table; a session left without one answer (opened, then
    abandoned) is no history and is not listed."""
    return [
        SessionRow(
            id=s.session_id,
            section=s.section,
            mode=s.mode,
            started=s.started,
            answered=str(s.answered),
            accuracy=s.accuracy,
            href=f"/practice/session/{s.session_id}",
        )
        for s in sessions
        if s.answered > 0
    ]


def tryout_trend_points(points: list[tryout.TrendPoint]) -> list[dict[str, int | str]]:
    """The tryout trend chart's points, numbered in order ("TO 1", "TO 2", …)."""
    return [
        {
            "label": f"TO {n}",
            "total": p.total,
            "title": f"{p.blueprint_name}, {p.finished_at.strftime('%d-%m-%Y')}: {p.total}",
        }
        for n, p in enumerate(points, start=1)
    ]


class DashboardState(AuthState):
    target_line: rx.Field[str] = rx.field("")
    exam_line: rx.Field[str] = rx.field("")
    # Wrong answers due for review now (practice from mistakes).
    review_due_today: rx.Field[int] = rx.field(0)
    cards: rx.Field[list[ReadinessCard]] = rx.field(default_factory=list)
    # Chart points, keyed by section code: recharts reads one key per line.
    history: rx.Field[list[dict[str, int | str]]] = rx.field(default_factory=list)
    history_lines: rx.Field[list[ChartLine]] = rx.field(default_factory=list)
    weak_areas: rx.Field[list[WeakAreaRow]] = rx.field(default_factory=list)
    school_weak_areas: rx.Field[list[SchoolWeakAreaRow]] = rx.field(default_factory=list)
    school_mastery: rx.Field[list[SchoolMasteryRow]] = rx.field(default_factory=list)
    feedback: rx.Field[list[FeedbackRow]] = rx.field(default_factory=list)
    sessions: rx.Field[list[SessionRow]] = rx.field(default_factory=list)
    plan: rx.Field[list[PlanRow]] = rx.field(default_factory=list)
    plan_line: rx.Field[str] = rx.field("")
    # One point per finished tryout sitting: {"label": "TO 1", "total": 534, "title": …}.
    tryout_trend: rx.Field[list[dict[str, int | str]]] = rx.field(default_factory=list)

    @rx.event
    async def load(self) -> None:
        # Async, the query in a thread: a sync handler would run it on the event loop.
        actor = await self._require_async("siswa")
        data = await asyncio.to_thread(dashboard.student_dashboard, actor=actor)
        self.review_due_today = await asyncio.to_thread(review_queue.due_count, user_id=actor.id)
        self.target_line = (
            f"Target: {data.target_ptn} · skor {data.target_score}" if data.target_score else ""
        )
        self.exam_line = (
            f"UTBK {data.exam_date.strftime('%d-%m-%Y')} · {data.days_to_exam} hari lagi"
            if data.exam_date and data.days_to_exam is not None
            else ""
        )
        self.cards = [
            ReadinessCard(
                section=c.section,
                name=c.name,
                answered=str(c.answered),
                has_data=c.answered > 0,
                score_range=f"{c.predicted_low}–{c.predicted_high}" if c.predicted_low else EMPTY,
                score=str(c.score) if c.score is not None else EMPTY,
                readiness=format_percent(c.readiness_percentage),
                readiness_width=f"{round(c.readiness_percentage or 0)}%",
                chance=format_percent(c.chance_of_target),
                accuracy=format_percent(None if c.accuracy is None else 100 * c.accuracy),
                ready_by=(
                    "sudah siap"
                    if c.days_to_ready == 0
                    else f"{c.ready_by.strftime('%d-%m-%Y')} ({c.days_to_ready} hari)"
                    if c.ready_by and c.days_to_ready is not None
                    else "butuh lebih banyak latihan untuk memperkirakan"
                ),
            )
            for c in data.cards
        ]
        self.history = data.history
        self.history_lines = [
            ChartLine(section=s, color=SECTION_COLORS.get(s, "#64748b"))
            for s in data.history_sections
        ]
        self.weak_areas = [
            WeakAreaRow(
                section=w.section,
                topic=topic_label(w.topic),
                score=f"{w.weakness_score:.2f}",
                recommendation=w.recommendation,
                href=f"/practice?section={w.section}&topic={w.topic}",
            )
            for w in data.weak_areas
        ]
        self.school_weak_areas = [
            SchoolWeakAreaRow(
                subject=w.subject,
                topic=w.topic,
                score=f"{w.weakness_score:.2f}",
                recommendation=w.recommendation,
                href=w.practice_link,
            )
            for w in data.school_weak_areas
        ]
        self.school_mastery = [
            SchoolMasteryRow(
                subject=m.subject,
                topic=m.topic,
                mastery=f"{round(m.mastery_level * 100)}%",
                width=f"{round(m.mastery_level * 100)}%",
                answers=f"{m.correct}/{m.answers} benar",
                href=m.practice_link,
            )
            for m in data.school_mastery
        ]
        self.feedback = [
            FeedbackRow(
                section=f.section,
                question=f.question,
                answer=f"{f.selected} → {f.correct}",
                text=f.text,
                helpful=f.helpful,
                # An icon on the page, a word for screen readers (no emoji: fonts lack them).
                helpful_label="membantu" if f.helpful else "tidak membantu",
                when=f.when,
            )
            for f in data.feedback
        ]
        self.sessions = session_rows(data.sessions)
        self.plan = [
            PlanRow(
                section=p.section,
                topic=topic_label(p.topic) or "semua topik",
                minutes=str(p.minutes),
                questions=str(p.questions),
                reason=p.reason,
                href=f"/practice?section={p.section}" + (f"&topic={p.topic}" if p.topic else ""),
            )
            for p in data.plan
        ]
        if not data.can_practise:
            self.plan_line = (
                "Sekolahmu belum punya soal yang bisa dilatih. "
                "Minta guru atau admin menambahkan soal, lalu rencana harian akan muncul di sini."
            )
        elif data.weekly_hours:
            # The total is the sum of the blocks listed below, so the numbers add up.
            self.plan_line = (
                f"Sekitar {data.plan_minutes} menit hari ini ({data.weekly_hours} jam per minggu)."
            )
        else:
            self.plan_line = "Isi jam belajar per minggu agar rencana harian bisa dibuat."
        self.tryout_trend = tryout_trend_points(
            await asyncio.to_thread(tryout.tryout_trend, actor=actor)
        )
