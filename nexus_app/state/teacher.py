"""State of /teacher: filters, heatmap, drill-down, summaries and CSV downloads."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nexus_app.formatting import EMPTY
from nexus_app.services import teacher
from nexus_app.services.errors import ServiceError
from nexus_app.state.auth import AuthState
from nexus_app.state.events import Events, event
from nexus_app.state.off_loop import off_loop

ALL_GRADES = "Semua"
ALL_CLASSES = teacher.ALL_CLASSES
ALL_CLASSES_LABEL = "Semua rombel"


@dataclasses.dataclass
class HeatCell:
    cell_id: str
    topic: str
    label: str
    color: str
    title: str


@dataclasses.dataclass
class HeatRow:
    username: str
    full_name: str
    class_name: str
    cells: list[HeatCell]


@dataclasses.dataclass
class ViewChoice:
    key: str
    label: str


@dataclasses.dataclass
class SummaryRow:
    topic: str
    students: str
    avg: str
    low: str
    high: str
    flag: bool  # the class average is below 50%


@dataclasses.dataclass
class InterventionRow:
    username: str
    name: str
    area: str
    count: str


@dataclasses.dataclass
class WeeklyRow:
    username: str
    name: str
    class_name: str
    answers: str
    accuracy: str
    sessions: str
    tutor: str


@dataclasses.dataclass
class AttemptRow:
    when: str
    text: str
    answer: str
    result: str
    seconds: str
    mastery: str


@dataclasses.dataclass
class TutorQuestionRow:
    when: str
    question: str


@dataclasses.dataclass
class WeakHistoryRow:
    when: str
    score: str
    status: str


def _color(mastery: float | None) -> str:
    if mastery is None:
        return "var(--gray-4)"
    if mastery < 0.3:
        return "var(--red-8)"
    if mastery < 0.5:
        return "var(--orange-7)"
    if mastery < 0.7:
        return "var(--yellow-7)"
    return "var(--green-8)"


class TeacherState(AuthState):
    classes: rx.Field[list[str]] = rx.field(default_factory=list)
    class_filter: rx.Field[str] = rx.field(teacher.ALL_CLASSES)
    grade_filter: rx.Field[str] = rx.field(ALL_GRADES)
    views: rx.Field[list[ViewChoice]] = rx.field(default_factory=list)
    view_key: rx.Field[str] = rx.field("")
    view_label: rx.Field[str] = rx.field("")
    topics: rx.Field[list[str]] = rx.field(default_factory=list)
    rows: rx.Field[list[HeatRow]] = rx.field(default_factory=list)
    summary: rx.Field[list[SummaryRow]] = rx.field(default_factory=list)
    intervention: rx.Field[list[InterventionRow]] = rx.field(default_factory=list)
    weekly: rx.Field[list[WeeklyRow]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")  # why a guru's page is empty (no classes yet)

    drill_open: rx.Field[bool] = rx.field(False)
    drill_name: rx.Field[str] = rx.field("")
    drill_topic: rx.Field[str] = rx.field("")
    drill_mastery: rx.Field[str] = rx.field("")
    drill_attempts: rx.Field[list[AttemptRow]] = rx.field(default_factory=list)
    drill_attempts_note: rx.Field[str] = rx.field("")
    drill_chat: rx.Field[list[TutorQuestionRow]] = rx.field(default_factory=list)
    drill_weak: rx.Field[list[WeakHistoryRow]] = rx.field(default_factory=list)
    # Chart points: recharts reads the keys "n" and "penguasaan".
    drill_trend: rx.Field[list[dict[str, float | str]]] = rx.field(default_factory=list)

    @rx.var
    def class_choices(self) -> list[str]:
        return [teacher.ALL_CLASSES, *self.classes]

    @rx.event
    @off_loop
    def load(self) -> None:
        actor = self._require_reused("guru", "admin")
        opts = teacher.options(actor=actor)
        self.classes = opts.classes
        self.notice = opts.notice
        self.views = [ViewChoice(key=v.key, label=v.label) for v in opts.views]
        if not self.view_key and opts.views:
            self.view_key = opts.views[0].key
        self._refresh()

    def _refresh(self) -> None:
        # Outside the try below: a dead session must reach the app's handler (to /login),
        # not end up as an error line on the page.
        self._require_reused("guru", "admin")
        self.drill_open = False
        if not self.view_key:
            return
        try:
            overview = self._overview()
        except ServiceError as exc:
            self.error = exc.message
            self.rows = []
            return
        self.error = ""
        self.view_label = overview.view.label
        self.topics = overview.topics
        self.rows = [
            HeatRow(
                username=r.username,
                full_name=r.full_name,
                class_name=r.class_name,
                cells=[
                    HeatCell(
                        cell_id=f"cell-{r.username}-{c.topic_slug}",
                        topic=c.topic,
                        label="–" if c.mastery is None else f"{round(100 * c.mastery)}",
                        color=_color(c.mastery),
                        title=(
                            f"{c.topic}: belum ada data"
                            if c.mastery is None
                            else f"{c.topic}: penguasaan {c.mastery:.0%}, {c.answers} jawaban"
                        ),
                    )
                    for c in r.cells
                ],
            )
            for r in overview.rows
        ]
        self.summary = [
            SummaryRow(
                topic=t.topic,
                students=str(t.students),
                avg=f"{t.avg:.0%}",
                low=f"{t.low:.0%}",
                high=f"{t.high:.0%}",
                flag=t.avg < 0.5,
            )
            for t in overview.summary
        ]
        self.intervention = [
            InterventionRow(
                username=i.username,
                name=i.full_name,
                area=i.area,
                count=str(i.weak_areas),
            )
            for i in overview.intervention
        ]
        self.weekly = [
            WeeklyRow(
                username=w.username,
                name=w.full_name,
                class_name=w.class_name,
                answers=str(w.answers),
                accuracy=EMPTY if w.accuracy is None else f"{w.accuracy:.0%}",
                sessions=str(w.sessions),
                tutor=str(w.tutor_questions),
            )
            for w in overview.weekly
        ]

    @rx.event
    @off_loop
    def set_class_filter(self, value: str) -> None:
        self.class_filter = value
        self._refresh()

    @rx.event
    @off_loop
    def set_grade_filter(self, value: str) -> None:
        self.grade_filter = value
        self._refresh()

    @rx.event
    @off_loop
    def set_view(self, value: str) -> None:
        self.view_key = value
        self._refresh()

    @event
    @off_loop
    def open_cell(self, username: str, topic: str) -> None:
        actor = self._require_reused("guru", "admin")
        try:
            drill = teacher.drilldown(
                actor=actor, username=username, view_key=self.view_key, topic=topic
            )
        except ServiceError as exc:
            self.error = exc.message
            return
        self.drill_name = f"{drill.full_name} ({drill.username})"
        self.drill_topic = drill.topic
        self.drill_mastery = EMPTY if drill.mastery is None else f"{drill.mastery:.0%}"
        self.drill_attempts = [
            AttemptRow(
                when=a.when,
                text=a.text,
                answer=f"{a.selected} / kunci {a.correct_answer}",
                result="Benar" if a.is_correct else "Salah",
                seconds=f"{a.seconds} dtk",
                mastery=f"{a.mastery_after:.0%}",
            )
            for a in drill.attempts
        ]
        self.drill_trend = [
            {"n": str(i + 1), "penguasaan": round(100 * a.mastery_after)}
            for i, a in enumerate(reversed(drill.attempts))
        ]
        self.drill_attempts_note = drill.attempts_note
        self.drill_chat = [TutorQuestionRow(when=w, question=q) for w, q in drill.tutor_questions]
        self.drill_weak = [
            WeakHistoryRow(when=w, score=s, status=st) for w, s, st in drill.weak_history
        ]
        self.drill_open = True

    @rx.event
    def close_drill(self) -> None:
        self.drill_open = False

    @rx.event
    def set_drill_open(self, value: bool) -> None:
        self.drill_open = value

    def _overview(self) -> teacher.ClassOverview:
        actor = self._require_reused("guru", "admin")
        return teacher.class_overview(
            actor=actor,
            view_key=self.view_key,
            class_name=self.class_filter,
            grade=None if self.grade_filter == ALL_GRADES else int(self.grade_filter),
        )

    @rx.event
    @off_loop
    def download_summary(self) -> Events:
        return rx.download(
            data=teacher.summary_csv(self._overview()), filename="ringkasan-penguasaan-kelas.csv"
        )

    @rx.event
    @off_loop
    def download_intervention(self) -> Events:
        return rx.download(
            data=teacher.intervention_csv(self._overview()), filename="siswa-perlu-pendampingan.csv"
        )

    @rx.event
    @off_loop
    def download_weekly(self) -> Events:
        return rx.download(
            data=teacher.weekly_csv(self._overview()), filename="laporan-mingguan.csv"
        )
