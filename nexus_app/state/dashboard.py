"""State of /dashboard: what the student sees about their own readiness."""

from __future__ import annotations

import asyncio

import reflex as rx

from nexus_app.formatting import EMPTY, format_percent
from nexus_app.services import dashboard
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


def session_rows(sessions: list[dashboard.StudySessionItem]) -> list[dict[str, str]]:
    """The study-sessions table; a session left without one answer (opened, then
    abandoned) is no history and is not listed."""
    return [
        {
            "id": s.session_id,
            "section": s.section,
            "mode": s.mode,
            "started": s.started,
            "answered": str(s.answered),
            "accuracy": s.accuracy,
            "href": f"/practice/session/{s.session_id}",
        }
        for s in sessions
        if s.answered > 0
    ]


class DashboardState(AuthState):
    target_line: str = ""
    exam_line: str = ""
    cards: list[dict[str, str]] = []
    history: list[dict[str, int | str]] = []
    history_lines: list[dict[str, str]] = []
    weak_areas: list[dict[str, str]] = []
    school_weak_areas: list[dict[str, str]] = []
    school_mastery: list[dict[str, str]] = []
    feedback: list[dict[str, str]] = []
    sessions: list[dict[str, str]] = []
    plan: list[dict[str, str]] = []
    plan_line: str = ""

    @rx.event
    async def load(self) -> None:
        # Async, the query in a thread: a sync handler would run it on the event loop.
        actor = await self.require_async("siswa")
        data = await asyncio.to_thread(dashboard.student_dashboard, actor=actor)
        self.target_line = (
            f"Target: {data.target_ptn} · skor {data.target_score}" if data.target_score else ""
        )
        self.exam_line = (
            f"UTBK {data.exam_date.strftime('%d-%m-%Y')} · {data.days_to_exam} hari lagi"
            if data.exam_date and data.days_to_exam is not None
            else ""
        )
        self.cards = [
            {
                "section": c.section,
                "name": c.name,
                "answered": str(c.answered),
                "has_data": "1" if c.answered else "",
                "range": f"{c.predicted_low}–{c.predicted_high}" if c.predicted_low else EMPTY,
                "score": str(c.score) if c.score is not None else EMPTY,
                "readiness": format_percent(c.readiness_percentage),
                "readiness_width": f"{round(c.readiness_percentage or 0)}%",
                "chance": format_percent(c.chance_of_target),
                "accuracy": format_percent(None if c.accuracy is None else 100 * c.accuracy),
                "ready_by": (
                    "sudah siap"
                    if c.days_to_ready == 0
                    else f"{c.ready_by.strftime('%d-%m-%Y')} ({c.days_to_ready} hari)"
                    if c.ready_by and c.days_to_ready is not None
                    else "butuh lebih banyak latihan untuk memperkirakan"
                ),
            }
            for c in data.cards
        ]
        self.history = data.history
        self.history_lines = [
            {"section": s, "color": SECTION_COLORS.get(s, "#64748b")} for s in data.history_sections
        ]
        self.weak_areas = [
            {
                "section": w.section,
                "topic": topic_label(w.topic),
                "score": f"{w.weakness_score:.2f}",
                "recommendation": w.recommendation,
                "href": f"/practice?section={w.section}&topic={w.topic}",
            }
            for w in data.weak_areas
        ]
        self.school_weak_areas = [
            {
                "subject": w.subject,
                "topic": w.topic,
                "score": f"{w.weakness_score:.2f}",
                "recommendation": w.recommendation,
                "href": w.practice_link,
            }
            for w in data.school_weak_areas
        ]
        self.school_mastery = [
            {
                "subject": m.subject,
                "topic": m.topic,
                "mastery": f"{round(m.mastery_level * 100)}%",
                "width": f"{round(m.mastery_level * 100)}%",
                "answers": f"{m.correct}/{m.answers} benar",
                "href": m.practice_link,
            }
            for m in data.school_mastery
        ]
        self.feedback = [
            {
                "section": f.section,
                "question": f.question,
                "answer": f"{f.selected} → {f.correct}",
                "text": f.text,
                # An icon on the page, a word for screen readers (no emoji: fonts lack them).
                "helpful": "membantu" if f.helpful else "tidak membantu",
                "when": f.when,
            }
            for f in data.feedback
        ]
        self.sessions = session_rows(data.sessions)
        self.plan = [
            {
                "section": p.section,
                "topic": topic_label(p.topic) or "semua topik",
                "minutes": str(p.minutes),
                "questions": str(p.questions),
                "reason": p.reason,
                "href": f"/practice?section={p.section}" + (f"&topic={p.topic}" if p.topic else ""),
            }
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
