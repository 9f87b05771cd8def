"""The student's tasks: the "Tugas" list on /dashboard and doing one on /tugas?id=N.

Thin: the services keep the keys until an answer is in, score it through the practice
flows and count it for the task."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Literal

import reflex as rx

from nexus_app.services import tasks
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.auth import AuthState
from nexus_app.state.off_loop import off_loop
from nexus_app.state.self_marked import SelfMarkedQuestion

RUN_ROUTE = "/tugas"
# Radix colour names, typed so a page can hand them to `color_scheme=`.
TaskColor = Literal["green", "blue", "red", "gray"]
STATUS_COLORS: dict[str, TaskColor] = {
    tasks.STATUS_DONE: "green",
    tasks.STATUS_OPEN: "blue",
    tasks.STATUS_LATE: "red",
}


@dataclasses.dataclass
class TaskRow:
    """One task on the dashboard card; `done` is "1" once finished, else ""."""

    id: str
    title: str
    target: str
    due: str
    status: str
    color: TaskColor
    progress: str
    done: str
    link: str


def _progress(t: tasks.StudentTask) -> str:
    if t.is_tryout:
        return f"Skor {t.score}" if t.score else "1 tryout"
    return f"{t.answered}/{t.total} soal"


class StudentTasksState(AuthState):
    """The dashboard's "Tugas" card."""

    items: rx.Field[list[TaskRow]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")

    @rx.event
    async def load(self) -> None:
        # Right after the guard and the dashboard's load: their session check is reused, and
        # the query runs in a thread, not on the event loop.
        actor = await self._require_async("siswa")
        try:
            found = await asyncio.to_thread(tasks.my_tasks, actor=actor)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.error = ""
        self.items = [
            TaskRow(
                id=str(t.id),
                title=t.title,
                target=t.target,
                due=t.due,
                status=t.status,
                color=STATUS_COLORS.get(t.status, "gray"),
                progress=_progress(t),
                done="1" if t.status == tasks.STATUS_DONE else "",
                link=t.link,
            )
            for t in found
        ]


class TaskRunState(SelfMarkedQuestion, AuthState):
    """/tugas?id=N: one question at a time until the task's N are answered."""

    task_id: rx.Field[int] = rx.field(0)
    title: rx.Field[str] = rx.field("")
    target: rx.Field[str] = rx.field("")
    due: rx.Field[str] = rx.field("")
    total: rx.Field[int] = rx.field(0)
    answered: rx.Field[int] = rx.field(0)
    correct: rx.Field[int] = rx.field(0)
    # "question" -> "result" -> ("question" | "done"); "empty" when nothing can be served.
    phase: rx.Field[str] = rx.field("empty")
    error: rx.Field[str] = rx.field("")

    item_id: rx.Field[int] = rx.field(0)
    text: rx.Field[str] = rx.field("")
    options: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    is_multiple_choice: rx.Field[bool] = rx.field(False)
    session_id: rx.Field[str] = rx.field("")
    session_position: rx.Field[int] = rx.field(0)

    is_correct: rx.Field[bool] = rx.field(False)
    correct_answer: rx.Field[str] = rx.field("")
    explanation: rx.Field[str] = rx.field("")

    def _open(self) -> None:
        actor = self._require_reused("siswa")
        try:
            step = tasks.open_task(actor=actor, task_id=self.task_id)
        except ServiceError as exc:
            self.phase = "empty"
            self._fail(exc)
            return
        self.title, self.target, self.due = step.title, step.target, step.due
        self.total, self.answered, self.correct = step.total, step.answered, step.correct
        self._clear_answer()
        self.error = ""
        if step.done:
            self.phase = "done"
            return
        if step.item is None:
            self.phase = "empty"
            self.error = "Belum ada soal lagi untuk tugas ini. Beri tahu gurumu."
            return
        item = step.item
        self.item_id = item.item_id
        self.text = item.text
        self.options = [[letter, text] for letter, text in item.options]
        self.is_multiple_choice = item.is_multiple_choice
        self.session_id = item.session_id
        self.session_position = item.session_position
        self.phase = "question"

    @rx.event
    @off_loop
    def load(self) -> None:
        self._require_reused("siswa")
        raw = self.router.url.query_parameters.get("id", "")
        if not str(raw).isdigit():
            self.phase = "empty"
            self.error = "Tautan tugas tidak valid. Buka tugas dari dasbor."
            return
        self.task_id = int(raw)
        self._open()

    def _record(self, outcome: tasks.TaskOutcome) -> None:
        self.is_correct = outcome.correct
        self.correct_answer = outcome.correct_answer
        self.explanation = outcome.explanation
        self.answered = outcome.answered
        self.correct += 1 if outcome.correct else 0
        self.phase = "result"
        self.error = ""

    # The steps of SelfMarkedQuestion's choose / submit / reveal / mark.

    def _answer(
        self, actor: CurrentUser, *, selected: str | None, marked_correct: bool | None
    ) -> tasks.TaskOutcome:
        # A chosen letter goes through the practice session the task's item was served in;
        # a self-mark has none.
        chosen = selected is not None
        return tasks.answer(
            actor=actor,
            task_id=self.task_id,
            item_id=self.item_id,
            selected=selected,
            marked_correct=marked_correct,
            session_id=self.session_id if chosen else "",
            position=self.session_position if chosen else 0,
        )

    def _fetch_model_answer(self, actor: CurrentUser) -> str:
        return tasks.model_answer(actor=actor, task_id=self.task_id, item_id=self.item_id)

    @rx.event
    @off_loop
    def next_item(self) -> None:
        self._require_reused("siswa")
        if self.phase == "result":
            self._open()
