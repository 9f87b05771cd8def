"""State of /practice/subject: school-subject practice, one question at a time.

Thin: every event re-checks the student and the service scores and records the answer; the
page never holds a key before the student has answered.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from nexus_app.services import school_practice
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.auth import AuthState
from nexus_app.state.events import Events, event
from nexus_app.state.off_loop import off_loop
from nexus_app.state.practice import Choice
from nexus_app.state.self_marked import SelfMarkedQuestion

ROUTE = school_practice.PRACTICE_PATH
LETTERS = school_practice.OPTION_LETTERS


def _percent(level: float | None) -> str:
    return "belum ada" if level is None else f"{round(level * 100)}%"


@dataclasses.dataclass
class TopicRow:
    subject: str
    grade: str
    topic: str
    count: str
    mastery: str
    answers: str
    link: str


class SchoolPracticeState(SelfMarkedQuestion, AuthState):
    topics: rx.Field[list[TopicRow]] = rx.field(default_factory=list)

    # "choose" -> "question" -> "result" -> ("question" | "finished")
    phase: rx.Field[str] = rx.field("choose")
    error: rx.Field[str] = rx.field("")

    subject_id: rx.Field[int] = rx.field(0)
    subject_name: rx.Field[str] = rx.field("")
    topic: rx.Field[str] = rx.field("")
    position: rx.Field[int] = rx.field(0)
    total: rx.Field[int] = rx.field(0)
    question_id: rx.Field[int] = rx.field(0)
    question_text: rx.Field[str] = rx.field("")
    difficulty: rx.Field[str] = rx.field("")
    options: rx.Field[list[Choice]] = rx.field(default_factory=list)
    is_multiple_choice: rx.Field[bool] = rx.field(False)
    draft: rx.Field[str] = rx.field("")  # the student's own open answer: compared, never stored

    is_correct: rx.Field[bool] = rx.field(False)
    correct_answer: rx.Field[str] = rx.field("")
    mastery: rx.Field[str] = rx.field("")
    answers: rx.Field[int] = rx.field(0)
    correct_count: rx.Field[int] = rx.field(0)
    answered: rx.Field[int] = rx.field(0)
    weak: rx.Field[bool] = rx.field(False)

    _items: list[school_practice.PracticeItem] = []

    def _show(self, index: int) -> None:
        item = self._items[index]
        self.position = index + 1
        self.question_id = item.id
        self.question_text = item.question
        self.difficulty = item.difficulty
        self.options = [Choice(LETTERS[i], text) for i, text in enumerate(item.options)]
        self.is_multiple_choice = item.is_multiple_choice
        self._clear_answer()
        self.draft = ""
        self.phase = "question"
        self.error = ""

    @event
    @off_loop
    def load(self) -> Events:
        actor = self._require_reused("siswa")
        self.error = ""
        try:
            self.topics = [
                TopicRow(
                    subject=t.subject_name,
                    grade=str(t.grade),
                    topic=t.topic,
                    count=str(t.question_count),
                    mastery=_percent(t.mastery_level),
                    answers=str(t.answers),
                    link=t.link,
                )
                for t in school_practice.list_topics(actor=actor)
            ]
        except ServiceError as exc:
            self._fail(exc)
            return None
        # A link (dashboard weak area, the tutor, the topic list) starts that topic; the
        # query is then dropped so that a reload shows the list instead of restarting.
        query = self.router.url.query_parameters
        raw_subject, topic = query.get("subject", ""), query.get("topic", "")
        if raw_subject and topic:
            if self._start(raw_subject, topic):
                return rx.redirect(ROUTE, replace=True)
            return None
        if self.phase != "choose" and self._items:
            return None  # back on the page: the same round goes on
        self.phase = "choose"
        return None

    def _start(self, raw_subject: str, topic: str) -> bool:
        actor = self._require_reused("siswa")
        try:
            subject_id = int(raw_subject)
        except ValueError:
            self.error = "Tautan latihan tidak valid."
            return False
        try:
            rnd = school_practice.start_round(actor=actor, subject_id=subject_id, topic=topic)
        except ServiceError as exc:
            self._fail(exc)
            self.phase = "choose"
            return False
        self.subject_id = rnd.subject_id
        self.subject_name = rnd.subject_name
        self.topic = rnd.topic
        self.mastery = _percent(rnd.mastery_level)
        self.answers = rnd.answers
        self.total = len(rnd.items)
        self.answered = 0
        self.correct_count = 0
        self.weak = False
        self._items = list(rnd.items)
        self._show(0)
        return True

    @event
    @off_loop
    def start_topic(self, subject_id: str, topic: str) -> None:
        self._start(subject_id, topic)

    @event
    def set_draft(self, value: str) -> None:
        self.draft = value[:5000]

    def _record(self, outcome: school_practice.AnswerOutcome) -> None:
        self.is_correct = outcome.correct
        self.correct_answer = outcome.correct_answer
        self.mastery = _percent(outcome.mastery_level)
        self.answers = outcome.answers
        self.weak = outcome.weak
        self.answered += 1
        self.correct_count += 1 if outcome.correct else 0
        self.phase = "result"
        self.error = ""

    # The steps of SelfMarkedQuestion's choose / submit / reveal / mark.

    def _answer(
        self, actor: CurrentUser, *, selected: str | None, marked_correct: bool | None
    ) -> school_practice.AnswerOutcome:
        return school_practice.answer_question(
            actor=actor,
            question_id=self.question_id,
            selected=selected,
            marked_correct=marked_correct,
        )

    def _fetch_model_answer(self, actor: CurrentUser) -> str:
        return school_practice.model_answer(actor=actor, question_id=self.question_id)

    @rx.event
    @off_loop
    def next_question(self) -> None:
        self._require_reused("siswa")
        if self.phase != "result":
            return
        if self.position >= len(self._items):
            self.phase = "finished"
            return
        self._show(self.position)

    @rx.event
    @off_loop
    def again(self) -> None:
        """Another round of the same topic (practising until it is mastered)."""
        self._start(str(self.subject_id), self.topic)

    @rx.event
    @off_loop
    def back_to_topics(self) -> Events:
        self._require_reused("siswa")
        self.phase = "choose"
        self._items = []
        return SchoolPracticeState.load
