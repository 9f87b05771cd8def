"""State of /practice and /practice/session/[id]: thin, every event re-checks the student.

Handlers that reach the database are async and run their service calls in a thread
(`asyncio.to_thread`): Reflex runs a sync handler on the event loop, where one student's
query would hold up every other student's event (issue 16)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import threading
import time

import reflex as rx
from reflex.experimental.client_state import ClientStateVar
from reflex_base.event import KeyInputInfo

from nexus_app.formatting import EMPTY
from nexus_app.services import feedback, practice, review_queue
from nexus_app.services.errors import ServiceError
from nexus_app.services.topics import topic_label
from nexus_app.state.auth import AuthState
from nexus_app.state.events import Events, event
from nexus_app.state.streaming import in_thread_batches, wait_label

ROUTE = "/practice"
ALL_TOPICS = "Semua topik"
LETTERS = ("A", "B", "C", "D", "E")
PICK_FIRST = "Pilih salah satu jawaban (A–E) terlebih dahulu."
# While the feedback waits in line, an unchanged place is re-sent (with a fresh estimate,
# and a check that the student is still on this answer) this often.
QUEUE_REFRESH_SECONDS = 5.0


# The student's pick lives in the browser: a click lights up at once and sends nothing
# (issue 16: with 250 students a click took a second to light up, and was one of four
# events per answer). It is "<question_id>:<letter>", so a pick left over from the previous
# question never counts; the submit button sends it with the submit.
PICK = ClientStateVar.create("practice_pick", default="")


def picked_letter(pick: str, question_id: int) -> str:
    """The letter of a browser pick made on this question, or "" (none, or a stale one)."""
    shown, _, letter = (pick or "").partition(":")
    return letter if shown == str(question_id) and letter in LETTERS else ""


def _signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


@dataclasses.dataclass
class Choice:
    """One answer option of a multiple-choice question (practice and school practice)."""

    letter: str
    text: str


@dataclasses.dataclass
class SectionChoice:
    code: str
    label: str
    available: int


@dataclasses.dataclass
class ReviewRow:
    position: str
    sub_type: str
    text: str
    selected: str
    correct_answer: str
    is_correct: bool
    result: str
    time: str


def worth_showing(
    batch: list[feedback.FeedbackUpdate], shown_position: int, since_shown: float
) -> bool:
    """Whether a batch of feedback updates is worth a state write. A queue heartbeat that
    leaves the student at the place already shown is not, until QUEUE_REFRESH_SECONDS have
    passed: each write is a state round trip, and a busy model has many students in line."""
    last = batch[-1]
    heartbeat_only = all(u.kind == "queue" for u in batch)
    return not (
        heartbeat_only and last.position == shown_position and since_shown < QUEUE_REFRESH_SECONDS
    )


class PracticeState(AuthState):
    sections: rx.Field[list[SectionChoice]] = rx.field(default_factory=list)
    sub_types_by_section: rx.Field[dict[str, list[str]]] = rx.field(default_factory=dict)
    section: rx.Field[str] = rx.field("")
    sub_type: rx.Field[str] = rx.field(ALL_TOPICS)
    mode: rx.Field[str] = rx.field("practice")

    # "choose" → "question" → "result" → ("question" | "finished")
    phase: rx.Field[str] = rx.field("choose")
    error: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)

    session_id: rx.Field[str] = rx.field("")
    position: rx.Field[int] = rx.field(0)
    question_id: rx.Field[int] = rx.field(0)
    question_text: rx.Field[str] = rx.field("")
    question_sub_type: rx.Field[str] = rx.field("")
    options: rx.Field[list[Choice]] = rx.field(default_factory=list)
    served_at: rx.Field[str] = rx.field("")
    selected: rx.Field[str] = rx.field("")
    score: rx.Field[int] = rx.field(0)
    theta: rx.Field[float] = rx.field(0.0)

    is_correct: rx.Field[bool] = rx.field(False)
    correct_answer: rx.Field[str] = rx.field("")
    explanation: rx.Field[str] = rx.field("")
    strategy_tip: rx.Field[str] = rx.field("")
    score_change: rx.Field[str] = rx.field("")
    predicted_range: rx.Field[str] = rx.field("")
    time_spent: rx.Field[int] = rx.field(0)
    tryout_finished: rx.Field[bool] = rx.field(False)
    attempt_id: rx.Field[int] = rx.field(0)
    feedback_text: rx.Field[str] = rx.field("")
    feedback_id: rx.Field[int] = rx.field(0)
    feedback_busy: rx.Field[bool] = rx.field(False)
    feedback_rating: rx.Field[str] = rx.field("")
    # While the feedback waits for the model: generations ahead, the estimate, the longest wait.
    feedback_queue: rx.Field[int] = rx.field(0)
    feedback_wait: rx.Field[str] = rx.field("")
    feedback_max_wait: rx.Field[int] = rx.field(0)
    feedback_notice: rx.Field[str] = rx.field(
        ""
    )  # why the stored explanation is shown instead of the AI
    # The attempt whose feedback is still wanted (0 once the student left the page).
    _feedback_for: int = 0
    answered: rx.Field[int] = rx.field(0)
    correct_count: rx.Field[int] = rx.field(0)
    # The session on screen was picked up from the database after a reload.
    resumed: rx.Field[bool] = rx.field(False)
    # Items answered wrong and due for review (practice from mistakes).
    review_due: rx.Field[int] = rx.field(0)

    @rx.var
    def section_sub_types(self) -> list[list[str]]:
        """[key, display name] pairs: the select sends the key, the student reads the name."""
        keys = self.sub_types_by_section.get(self.section, [])
        return [[ALL_TOPICS, ALL_TOPICS], *([k, topic_label(k)] for k in keys)]

    @rx.var
    def pick_prefix(self) -> str:
        """What a browser pick on the question on screen starts with."""
        return f"{self.question_id}:"

    @rx.var
    def theta_label(self) -> str:
        return f"Skor perkiraan {self.score} (θ = {self.theta:+.2f})".replace(".", ",")

    @rx.var
    def mode_label(self) -> str:
        return "Tryout" if self.mode == "tryout" else "Latihan adaptif"

    def _fail(self, exc: ServiceError) -> None:
        self.error = exc.message
        self.busy = False

    def _show_question(self, view: practice.QuestionView) -> None:
        self.session_id = view.session_id
        self.position = view.position
        self.question_id = view.question_id
        self.question_text = view.text
        self.question_sub_type = topic_label(view.sub_type)
        self.options = [Choice(letter, text) for letter, text in view.options]
        self.served_at = view.served_at.isoformat()
        self.selected = ""
        self.score = view.score
        self.theta = view.theta
        self.mode = view.mode
        self.answered = view.position - 1
        self.phase = "question"
        self.error = ""

    @event
    async def load(self) -> Events:
        actor = await self._require_async("siswa")
        choices = await asyncio.to_thread(practice.list_sections)
        self.sections = [
            SectionChoice(
                code=c.code,
                label=f"{c.code} · {c.name} ({c.available} soal)",
                available=c.available,
            )
            for c in choices
        ]
        self.sub_types_by_section = {c.code: list(c.sub_types) for c in choices}
        self.review_due = await asyncio.to_thread(review_queue.due_count, user_id=actor.id)
        if not self.section:
            ready = [c.code for c in choices if c.available > 0]
            self.section = ready[0] if ready else ""
        # A link from the dashboard ("Latihan topik ini") starts that topic straight away,
        # then drops its query so that reloading the page resumes instead of starting again.
        query = self.router.url.query_parameters
        if query.get("section") in self.sub_types_by_section:
            self.section = query["section"]
            topic = query.get("topic", "")
            self.sub_type = (
                topic if topic in self.sub_types_by_section[self.section] else ALL_TOPICS
            )
            self.mode = "practice"
            return rx.redirect(ROUTE, replace=True) if await self._start() else None
        if self.phase != "choose" and self.session_id:
            # Back on the page (a reload, or from another page): the same session goes on.
            await self._resume()
            self.resumed = self.phase == "question"
            return None
        # This tab's state is new (a reload in a new tab, a restarted server): the student's
        # unfinished session, if any, comes back from the database.
        try:
            found = await asyncio.to_thread(practice.open_session, actor=actor)
        except ServiceError as exc:
            self._fail(exc)
            return None
        if found is None:
            return None
        if found.question is None:
            # Nothing more to ask (a tryout that was complete): close it, show its review.
            try:
                await asyncio.to_thread(
                    practice.end_session, actor=actor, session_id=found.session_id
                )
            except ServiceError as exc:
                self._fail(exc)
                return None
            return rx.redirect(f"/practice/session/{found.session_id}") if found.answered else None
        self.section, self.mode = found.section, found.mode
        self.sub_type = found.sub_type or ALL_TOPICS
        self.correct_count = found.correct
        self._show_question(found.question)
        self.resumed = True
        return None

    @rx.event
    async def set_section(self, code: str) -> None:
        await self._require_async("siswa")
        self.section = code
        self.sub_type = ALL_TOPICS

    @rx.event
    async def set_sub_type(self, value: str) -> None:
        await self._require_async("siswa")
        self.sub_type = value

    @rx.event
    async def set_mode(self, value: str) -> None:
        await self._require_async("siswa")
        self.mode = "tryout" if value == "tryout" else "practice"

    @rx.event
    async def start(self) -> None:
        await self._start()

    async def _start(self) -> bool:
        """Start a session and show its first item; False (and the reason shown) if not."""
        actor = await self._require_async("siswa")
        self.answered = 0
        self.correct_count = 0
        self.resumed = False
        try:
            view = await asyncio.to_thread(
                practice.start_session,
                actor=actor,
                section=self.section,
                sub_type=None if self.sub_type == ALL_TOPICS else self.sub_type,
                mode=self.mode,
            )
        except ServiceError as exc:
            self._fail(exc)
            return False
        self._show_question(view)
        return True

    @event
    async def start_topic(self, section: str, sub_type: str) -> None:
        """From a weak-area link: a practice session on one topic."""
        self.section, self.sub_type, self.mode = section, sub_type or ALL_TOPICS, "practice"
        await self._start()

    @rx.event
    async def start_review(self) -> None:
        """ "Ulangi soal yang salah": a practice session (all topics) in the section of the
        longest-overdue item; the practice service serves due items first."""
        actor = await self._require_async("siswa")
        section = await asyncio.to_thread(review_queue.next_due_section, user_id=actor.id)
        if section is None:
            self.review_due = 0
            self.error = "Belum ada soal yang perlu diulang saat ini."
            return
        self.section, self.sub_type, self.mode = section, ALL_TOPICS, "practice"
        await self._start()

    @rx.event
    async def resume(self) -> None:
        await self._resume()

    async def _resume(self) -> None:
        actor = await self._require_async("siswa")
        try:
            view = await asyncio.to_thread(
                practice.current_question, actor=actor, session_id=self.session_id
            )
        except ServiceError as exc:
            self.phase = "choose"
            self._fail(exc)
            return
        if view is None:
            self.phase = "finished"
        else:
            self._show_question(view)

    @event
    async def choose(self, letter: str) -> None:
        await self._choose(letter)

    async def _choose(self, letter: str) -> None:
        await self._require_async("siswa")
        if self.phase == "question" and letter in LETTERS:
            self.selected = letter
            self.error = ""

    @rx.event
    async def submit(self) -> Events:
        return await self._submit()

    @event
    async def submit_pick(self, pick: str) -> Events:
        """The page's submit, with the browser's pick (see PICK)."""
        if self.phase == "question":
            self.selected = picked_letter(pick, self.question_id)
        return await self._submit()

    async def _submit(self) -> Events:
        actor = await self._require_async("siswa")
        if self.phase != "question":
            return None
        if not self.selected:
            self.error = PICK_FIRST
            return None
        try:
            answered = await asyncio.to_thread(
                feedback.submit_with_ready_feedback,
                actor=actor,
                session_id=self.session_id,
                question_id=self.question_id,
                position=self.position,
                answer=self.selected,
            )
        except ServiceError as exc:
            self._fail(exc)
            return None
        result = answered.result
        self.is_correct = result.is_correct
        self.correct_answer = result.correct_answer
        self.explanation = result.explanation
        self.strategy_tip = result.strategy_tip
        self.score_change = (
            f"Skor perkiraanmu {result.score_before} → {result.score_after} "
            f"({_signed(result.score_after - result.score_before)})"
        )
        self.predicted_range = f"{result.predicted_low}–{result.predicted_high}"
        self.time_spent = result.time_spent_seconds
        self.tryout_finished = result.tryout_finished
        self.score = result.score_after
        self.theta = result.theta_after
        self.answered = result.position
        self.correct_count += 1 if result.is_correct else 0
        self.phase = "result"
        self.error = ""
        self.resumed = False
        self.attempt_id = result.attempt_id
        self.feedback_text = ""
        self.feedback_id = 0
        self.feedback_rating = ""
        self.feedback_notice = ""
        self.feedback_queue = 0
        self.feedback_wait = ""
        if result.is_correct:
            return None
        if answered.feedback_error:
            self.feedback_text = answered.feedback_error
            return None
        if answered.ready is not None:
            # Cached or fallback feedback comes with the result: no stream, no extra saves.
            self._show_feedback_update(answered.ready)
            return None
        # Saved already; the model's feedback streams in afterwards and never holds it up.
        return PracticeState.stream_feedback

    @rx.event
    async def next_question(self) -> None:
        await self._next()

    async def _next(self) -> None:
        if self.phase != "result":
            return
        if self.tryout_finished:
            await self._require_async("siswa")
            self.phase = "finished"
            return
        await self._resume()

    @rx.event
    async def end_session(self) -> Events:
        actor = await self._require_async("siswa")
        if not self.session_id:
            return None
        try:
            session_id = await asyncio.to_thread(
                practice.end_session, actor=actor, session_id=self.session_id
            )
        except ServiceError as exc:
            self._fail(exc)
            return None
        self.phase = "choose"
        self.session_id = ""
        self.resumed = False
        if self.answered == 0:
            # Nothing answered: no review to show, back to choosing a subtest.
            return None
        return rx.redirect(f"/practice/session/{session_id}")

    @rx.event
    async def on_key(self, key: str, _info: KeyInputInfo) -> Events:
        """Keyboard: A–E choose, Enter submits (or goes on after the result)."""
        upper = key.upper() if isinstance(key, str) else ""
        if self.phase == "question" and upper in LETTERS:
            await self._choose(upper)
            return PICK.push(self.pick_prefix + upper)
        if key == "Enter" and self.phase == "question":
            # The pick may have been a click, which the server never saw: ask the page.
            return PICK.retrieve(PracticeState.submit_pick)
        if key == "Enter" and self.phase == "result":
            await self._next()
        return None

    def _wants_feedback(self, login_id: str, attempt_id: int) -> bool:
        """Still the same login on the same answer (not moved on, left or logged out)."""
        return (
            self._same_login(login_id)
            and self.attempt_id == attempt_id
            and self._feedback_for == attempt_id
        )

    def _show_feedback_update(self, update: feedback.FeedbackUpdate) -> None:
        if update.kind == "queue":
            self.feedback_queue = update.position
            self.feedback_wait = wait_label(update.wait_s)
            self.feedback_max_wait = round(update.max_wait_s)
        elif update.kind == "token":
            self.feedback_queue = 0
            self.feedback_text += update.text
        elif update.kind == "final":
            self.feedback_queue = 0
            self.feedback_text = update.text
            self.feedback_id = update.feedback_id
            self.feedback_notice = update.notice

    @event(background=True)
    async def stream_feedback(self) -> None:
        async with self:
            actor = await self._require_async("siswa")
            login_id = self._login_nonce
            attempt_id = self.attempt_id
            # The submit that sent this event has cleared the previous feedback.
            self.feedback_busy = True
            self._feedback_for = attempt_id
            tab = self.router.session.client_token
        # Set when this loop stops: a waiting or running generation then gives up its slot.
        cancel = threading.Event()
        updates = feedback.stream_feedback(actor=actor, attempt_id=attempt_id, cancel=cancel)
        shown_position, shown_at = -1, -math.inf
        try:
            async with contextlib.aclosing(
                in_thread_batches(updates, cancel=cancel, client_token=tab)
            ) as batches:
                async for batch in batches:
                    now = time.monotonic()
                    if not worth_showing(batch, shown_position, now - shown_at):
                        continue
                    last = batch[-1]
                    shown_position = last.position if last.kind == "queue" else -1
                    shown_at = now
                    async with self:
                        if not self._wants_feedback(login_id, attempt_id):
                            break
                        for update in batch:
                            self._show_feedback_update(update)
        except ServiceError as exc:
            async with self:
                if self._wants_feedback(login_id, attempt_id):
                    self.feedback_text = exc.message
        finally:
            async with self:
                if self.attempt_id == attempt_id and self._same_login(login_id):
                    self.feedback_busy = False
                    self.feedback_queue = 0

    @rx.event
    def leave(self) -> None:
        """The student left the page: feedback still waiting or running is dropped."""
        self._feedback_for = 0

    @event
    async def rate_feedback(self, helpful: bool) -> None:
        actor = await self._require_async("siswa")
        if not self.feedback_id:
            return
        try:
            await asyncio.to_thread(
                feedback.rate, actor=actor, feedback_id=self.feedback_id, helpful=helpful
            )
        except ServiceError as exc:
            self.error = exc.message
            return
        self.feedback_rating = "up" if helpful else "down"


class SessionReviewState(AuthState):
    found: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    section: rx.Field[str] = rx.field("")
    mode: rx.Field[str] = rx.field("")
    total: rx.Field[int] = rx.field(0)
    correct: rx.Field[int] = rx.field(0)
    accuracy: rx.Field[str] = rx.field("")
    avg_time: rx.Field[str] = rx.field("")
    min_time: rx.Field[int] = rx.field(0)
    max_time: rx.Field[int] = rx.field(0)
    score_line: rx.Field[str] = rx.field("")
    rows: rx.Field[list[ReviewRow]] = rx.field(default_factory=list)

    @event
    async def load(self) -> None:
        actor = await self._require_async("siswa", "guru", "admin")
        session_id = self.router.page.params.get("id", "")
        try:
            review = await asyncio.to_thread(
                practice.session_review, actor=actor, session_id=session_id
            )
        except ServiceError as exc:
            self.found = False
            self.error = exc.message
            return
        self.found = True
        self.error = ""
        self.section = review.section
        self.mode = "Tryout" if review.mode == "tryout" else "Latihan adaptif"
        self.total = review.total
        self.correct = review.correct
        self.accuracy = f"{review.accuracy_percentage:.1f}%".replace(".", ",")
        self.avg_time = f"{review.avg_time_seconds:.0f} detik"
        self.min_time = review.min_time_seconds
        self.max_time = review.max_time_seconds
        self.score_line = (
            f"Perkiraan skor tryout: {review.score} (rentang {review.predicted_low}–"
            f"{review.predicted_high})"
            if review.score is not None
            else ""
        )
        self.rows = [
            ReviewRow(
                position=str(r.position),
                sub_type=topic_label(r.sub_type) or EMPTY,
                text=r.text if len(r.text) <= 90 else r.text[:87] + "…",
                selected=r.selected,
                correct_answer=r.correct_answer,
                is_correct=r.is_correct,
                result="Benar" if r.is_correct else "Salah",
                time=f"{r.time_spent_seconds} dtk",
            )
            for r in review.rows
        ]
