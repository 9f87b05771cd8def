"""One question answered by a student, multiple-choice or open and self-marked: the flow
school-subject practice (/practice/subject) and an assigned task (/tugas) share.

A multiple-choice question: `choose` a letter, `submit` it. An open question: the student
writes an answer (not stored), asks for the model answer (`reveal`), then marks her own
answer right or wrong (`mark`), which the service records like a scored answer. The keys stay
on the server until then.

A state mixes `SelfMarkedQuestion` in first (`class S(SelfMarkedQuestion, AuthState)`) and
gives three steps: `_answer` (score and record an answer: a chosen letter or a self-mark),
`_fetch_model_answer` and `_record` (show the outcome). Each handler runs off the event loop
(state/off_loop.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import reflex as rx

from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.events import event
from nexus_app.state.off_loop import off_loop

STUDENT = "siswa"
PICK_FIRST = "Pilih salah satu jawaban dulu."


class SelfMarkedQuestion(rx.State, mixin=True):
    selected: rx.Field[str] = rx.field("")
    # The model answer of an open question, sent only once the student asks for it.
    revealed: rx.Field[bool] = rx.field(False)
    model_answer: rx.Field[str] = rx.field("")

    if TYPE_CHECKING:
        # Given by the state itself ("question" -> "result" are the phases used here, each
        # state adds its own around them) and by the AuthState this is mixed into.
        phase: rx.Field[str]
        error: rx.Field[str]
        is_multiple_choice: rx.Field[bool]

        def _require_reused(
            self, *roles: str, pending_password_ok: bool = False
        ) -> CurrentUser: ...
        def _answer(
            self, actor: CurrentUser, *, selected: str | None, marked_correct: bool | None
        ) -> Any: ...
        def _fetch_model_answer(self, actor: CurrentUser) -> str: ...
        def _record(self, outcome: Any) -> None: ...

    def _fail(self, exc: ServiceError) -> None:
        self.error = exc.message

    def _clear_answer(self) -> None:
        """A new question on screen: nothing chosen, nothing revealed."""
        self.selected, self.revealed, self.model_answer = "", False, ""

    def _answer_and_record(
        self, actor: CurrentUser, *, selected: str | None = None, marked_correct: bool | None = None
    ) -> None:
        try:
            outcome = self._answer(actor, selected=selected, marked_correct=marked_correct)
        except ServiceError as exc:
            self._fail(exc)
            return
        self._record(outcome)

    @event
    @off_loop
    def choose(self, letter: str) -> None:
        self._require_reused(STUDENT)
        if self.phase == "question" and self.is_multiple_choice:
            self.selected = letter

    @event
    @off_loop
    def submit(self) -> None:
        actor = self._require_reused(STUDENT)
        if self.phase != "question" or not self.is_multiple_choice:
            return
        if not self.selected:
            self.error = PICK_FIRST
            return
        self._answer_and_record(actor, selected=self.selected)

    @event
    @off_loop
    def reveal(self) -> None:
        actor = self._require_reused(STUDENT)
        if self.phase != "question" or self.is_multiple_choice:
            return
        try:
            self.model_answer = self._fetch_model_answer(actor)
        except ServiceError as exc:
            self._fail(exc)
            return
        self.revealed = True

    @event
    @off_loop
    def mark(self, correct: bool) -> None:
        actor = self._require_reused(STUDENT)
        if self.phase != "question" or self.is_multiple_choice or not self.revealed:
            return
        self._answer_and_record(actor, marked_correct=correct)
