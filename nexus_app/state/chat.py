"""State of /chat: the tutor's answer streams in as a background event."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading

import reflex as rx

from nexus_app.services import tutor
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.auth import AuthState
from nexus_app.state.events import event
from nexus_app.state.off_loop import off_loop
from nexus_app.state.streaming import in_thread_batches, wait_label

ROLES = ("siswa",)
# Earlier searched questions a follow-up may draw its topic from.
CONTEXT_QUESTIONS = 3


@dataclasses.dataclass
class SubjectChoice:
    code: str
    label: str


@dataclasses.dataclass
class SourceRow:
    n: str
    book: str
    where: str
    version: str
    heading: str
    text: str
    link: str = ""  # the cited page in the source viewer ("" for old answers)


@dataclasses.dataclass
class HistoryRow:
    when: str
    subject: str
    question: str
    answer: str
    sources: str


def _source_rows(sources: list[tutor.Source]) -> list[SourceRow]:
    return [
        SourceRow(
            n=str(i),
            book=s.book,
            where=s.where,
            version=s.version,
            # Not twice: an unpaged book's location is its heading already.
            heading="" if s.where == f"bagian {s.heading}" else s.heading,
            # Plain-text math as Unicode ("a^n" → "aⁿ"); shown as text, never as markup.
            text=tutor.readable_text(s.text if len(s.text) <= 600 else s.text[:597] + "…"),
            link=s.link,
        )
        for i, s in enumerate(sources, start=1)
    ]


class ChatState(AuthState):
    subjects: rx.Field[list[SubjectChoice]] = rx.field(default_factory=list)
    subject: rx.Field[str] = rx.field("")
    question: rx.Field[str] = rx.field("")
    asked: rx.Field[str] = rx.field("")
    # The standalone question a follow-up was searched as ("" when searched as asked).
    searched: rx.Field[str] = rx.field("")
    answer: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    model_notice: rx.Field[str] = rx.field("")
    sources: rx.Field[list[SourceRow]] = rx.field(default_factory=list)
    show_sources: rx.Field[bool] = rx.field(False)
    confidence: rx.Field[str] = rx.field("")
    # Practice on the topic just asked about (empty when the subject has no questions on it).
    practice_topic: rx.Field[str] = rx.field("")
    practice_link: rx.Field[str] = rx.field("")
    queue_position: rx.Field[int] = rx.field(
        0
    )  # generations ahead of this question (0: not waiting)
    queue_wait: rx.Field[str] = rx.field("")  # the estimated wait, in words
    streaming: rx.Field[bool] = rx.field(False)
    stop_requested: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    history: rx.Field[list[HistoryRow]] = rx.field(default_factory=list)
    max_chars: rx.Field[int] = rx.field(tutor.MAX_QUESTION_CHARS)
    # The answer as the tutor wrote it (`answer` is its readable form) and the questions
    # searched so far in this conversation, for follow-ups (reset when the subject changes).
    _answer_raw: str = ""
    _context: list[str] = []
    _context_subject: str = ""

    @rx.event
    @off_loop
    def load(self) -> None:
        actor = self._require_reused(*ROLES)
        self.subjects = [SubjectChoice(c, label) for c, label in tutor.subjects_with_books()]
        if self.subjects and self.subject not in {s.code for s in self.subjects}:
            self.subject = self.subjects[0].code
        self.model_notice = tutor.model_notice()
        self._load_history(actor)

    def _load_history(self, actor: CurrentUser) -> None:
        self.history = [
            HistoryRow(
                when=h.when,
                subject=h.subject,
                question=h.question,
                answer=tutor.readable_text(h.answer),
                sources="; ".join(
                    f"[{i}] {s.book}, {s.where} (paket v{s.version})"
                    for i, s in enumerate(h.sources, start=1)
                ),
            )
            for h in tutor.history(actor=actor)
        ]

    @rx.event
    @off_loop
    def set_subject(self, value: str) -> None:
        self._require_reused(*ROLES)
        self.subject = value
        self._context = []  # a follow-up refers to the subject being asked about

    @rx.event
    def set_question(self, value: str) -> None:
        self.question = value

    @rx.event
    def stop(self) -> None:
        self.stop_requested = True

    @event(background=True)
    async def send(self) -> None:
        async with self:
            actor = await self._require_async(*ROLES)
            login_id = self._login_nonce
            if self.streaming:
                return
            question = self.question
            if len(question) > tutor.MAX_QUESTION_CHARS:
                self.error = (
                    f"Pertanyaan terlalu panjang ({len(question):,} karakter). "
                    f"Maksimal {tutor.MAX_QUESTION_CHARS:,} karakter; ringkas pertanyaanmu."
                ).replace(",", ".")
                return
            self.error = ""
            self.asked = question.strip()
            self.searched = ""
            self.answer = ""
            self._answer_raw = ""
            self.notice = ""
            self.sources = []
            self.show_sources = False
            self.confidence = ""
            self.practice_topic = ""
            self.practice_link = ""
            self.queue_position = 0
            self.queue_wait = ""
            self.stop_requested = False
            self.streaming = True
            subject = self.subject
            context = list(self._context) if self._context_subject == subject else []
            tab = self.router.session.client_token
        # Set on "stop", on leaving the page, or when this loop ends: the generation (waiting
        # or running) gives up the model slot.
        cancel = threading.Event()
        updates = tutor.stream(
            subject_code=subject, question=question, cancel=cancel, actor=actor, context=context
        )
        try:
            async with contextlib.aclosing(
                in_thread_batches(updates, cancel=cancel, client_token=tab)
            ) as batches:
                async for batch in batches:
                    async with self:
                        if not self._same_login(login_id):
                            break  # the tab logged out (or changed hands): write nothing
                        if self.stop_requested:
                            cancel.set()
                        for update in batch:
                            self._apply(update)
                            if update.kind == "final" and update.answer is not None:
                                self._remember(subject, update.answer)
        except ServiceError as exc:
            async with self:
                if self._same_login(login_id):
                    self.error = exc.message
        finally:
            async with self:
                if self._same_login(login_id):
                    self.streaming = False
                    self.queue_position = 0
                    self.queue_wait = ""
                    self.question = "" if not self.error else self.question
                    await asyncio.to_thread(self._load_history, actor)

    def _remember(self, subject: str, answer: tutor.AnswerView) -> None:
        """Keep what was searched, so the next follow-up has the conversation's topic."""
        if answer.mode == "cancelled" or not answer.searched:
            return
        if self._context_subject != subject:
            self._context, self._context_subject = [], subject
        self._context = [*self._context, answer.searched][-CONTEXT_QUESTIONS:]

    def _apply(self, update: tutor.TutorUpdate) -> None:
        if update.kind == "searched":
            self.searched = tutor.readable_text(update.text)
        elif update.kind == "sources":
            self.sources = _source_rows(update.sources)
        elif update.kind == "queue":
            self.queue_position = update.position
            self.queue_wait = wait_label(update.wait_s)
        elif update.kind == "token":
            self.queue_position = 0
            self.queue_wait = ""
            self._answer_raw += update.text
            self.answer = tutor.readable_text(self._answer_raw)
        elif update.kind == "final" and update.answer is not None:
            final = update.answer
            self._answer_raw = final.answer
            self.answer = tutor.readable_text(final.answer)
            self.searched = tutor.readable_text(final.searched) if final.rewritten else ""
            self.notice = final.notice
            refused = final.mode == "not_covered"
            self.show_sources = not refused
            self.sources = [] if refused else _source_rows(final.sources)
            # A match percentage beside "the books do not cover this" reads as a contradiction.
            # In words a student understands (tinggi/sedang/rendah), not a percentage.
            self.confidence = "" if refused else final.relevance_words or f"{final.confidence:.0%}"
            self.practice_topic = final.practice_topic
            self.practice_link = final.practice_link

    @rx.event
    def leave(self) -> None:
        """The student left the page: stop a running generation (frees the model)."""
        self.stop_requested = True
