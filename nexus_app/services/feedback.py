"""Feedback on a wrong practice answer, grounded on the item, cached per (item, choice).

Feedback never refuses or changes an answer: a new wrong answer's quota check and cache
lookup run in the answer's own transaction (a limit reached is reported, not raised), and
everything else runs once the answer is saved.
Without a model the stored explanation is the feedback. When the model is busy — its line is
full (``NEXUS_LLM_QUEUE_MAX``) or the feedback waited ``NEXUS_LLM_FEEDBACK_WAIT`` seconds for
its turn — the stored explanation is shown with a notice saying so; that fallback is not saved,
so it neither counts against the daily quota nor becomes the cached feedback for the item.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from sqlmodel import Session

from nexus_app.ai import rag
from nexus_app.ai.llm import ChatModel
from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.models import Attempt, Question
from nexus_app.models.bank import ANSWER_LETTERS
from nexus_app.repositories import feedback as feedback_repo
from nexus_app.services import billing, practice, tutor
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, ServiceError

EXPLANATION_MODEL = "penjelasan-tersimpan"


@dataclass(frozen=True)
class FeedbackUpdate:
    kind: str  # "queue" | "token" | "final"
    text: str = ""
    position: int = 0  # "queue": generations ahead (0: the model is writing this one)
    feedback_id: int = 0  # 0 when nothing was saved (the busy fallback)
    source: str = ""  # "cache" | "llm" | "explanation"
    wait_s: float | None = None  # "queue": estimated seconds until the model starts
    max_wait_s: float = 0.0  # "queue": the longest wait before the stored explanation is shown
    notice: str = ""  # "final": why the stored explanation is shown instead of the AI


@dataclass(frozen=True)
class _Item:
    options: dict[str, str]
    stem: str
    explanation: str
    correct: str
    chosen: str
    done: FeedbackUpdate | None = None  # feedback that already exists (own or cached)


def _item(actor: CurrentUser, attempt_id: int) -> _Item:
    with unit_of_work() as session:
        loaded = feedback_repo.load_attempt_for_feedback(session=session, attempt_id=attempt_id)
        if loaded is None or loaded[0].user_id != actor.id:
            raise NotFound("Jawaban tidak ditemukan.")
        attempt, question, existing = loaded
        if attempt.is_correct:
            raise InvalidInput("Umpan balik hanya untuk jawaban yang belum tepat.")
        if question is None:
            raise NotFound("Soal tidak ditemukan.")
        if existing is not None:
            return _with_done(_item_of(attempt, question), existing.id or 0, existing.feedback_text)
        return _new_item(session, actor, attempt, question)


def _item_of(attempt: Attempt, question: Question) -> _Item:
    return _Item(
        options={x: getattr(question, f"option_{x.lower()}") for x in ANSWER_LETTERS},
        stem=question.text,
        explanation=question.explanation or "",
        correct=question.correct_answer,
        chosen=attempt.selected_answer,
    )


def _new_item(session: Session, actor: CurrentUser, attempt: Attempt, question: Question) -> _Item:
    """The item of an attempt without feedback yet. The item's cached feedback for the same
    wrong choice becomes the attempt's own at once."""
    assert attempt.id is not None
    item = _item_of(attempt, question)
    # Re-reading feedback is free; each new one counts against the daily quota.
    billing.enforce_daily_limit(session, actor=actor, kind="feedback")
    cached = feedback_repo.find_cached_feedback(
        session=session,
        question_id=attempt.question_id,
        selected_answer=attempt.selected_answer,
    )
    if cached is None:
        return item
    # Same item, same wrong choice: the same explanation, without the model.
    row = feedback_repo.save_feedback(
        session=session,
        attempt_id=attempt.id,
        feedback_text=cached.feedback_text,
        model_used=cached.model_used,
        prompt_version=cached.prompt_version,
        generation_time_ms=0,
    )
    return _with_done(item, row.id or 0, row.feedback_text)


def _item_with_the_answer(
    actor: CurrentUser, session: Session, attempt: Attempt, question: Question
) -> _Item | ServiceError | None:
    """In a new answer's transaction: a wrong answer's item, or why it has no feedback (the
    daily limit), returned and not raised so the answer is saved whatever it is; None for a
    right answer."""
    if attempt.is_correct:
        return None
    try:
        return _new_item(session, actor, attempt, question)
    except ServiceError as exc:  # raised before the lookup wrote anything
        return exc


def _with_done(item: _Item, feedback_id: int, text: str) -> _Item:
    return _Item(
        item.options,
        item.stem,
        item.explanation,
        item.correct,
        item.chosen,
        FeedbackUpdate("final", text=text, feedback_id=feedback_id, source="cache"),
    )


def ready_feedback(*, actor: CurrentUser, attempt_id: int) -> FeedbackUpdate | None:
    """The feedback when it needs no generation: the attempt's own or the item's cached one,
    the stored explanation when there is no model, or the busy fallback when the model's
    line is full. None when the model has to write it (:func:`stream_feedback`).

    The page shows this with the answer's result: under load most wrong answers get cached
    or fallback feedback, and each background stream costs the tab several state saves."""
    return _ready(attempt_id, _item(actor, attempt_id))


def _ready(attempt_id: int, item: _Item) -> FeedbackUpdate | None:
    if item.done is not None:
        return item.done
    if not tutor.language_model_tried():
        return None  # loading the model takes seconds: the stream does it, not the answer
    model = tutor.language_model()
    if model is None:
        *_, final = _written(attempt_id, item, None)
        return final
    if model.queue.is_full(max_waiting=get_settings().llm_queue_max):
        # What stream_feedback would answer at once (QueueFull), without joining the line.
        busy = rag.busy_feedback(
            item.explanation, item.correct, item.options, model_name=model.name
        )
        return _shown_unsaved(busy)
    return None


@dataclass(frozen=True)
class AnsweredWithFeedback:
    result: practice.AnswerResult
    ready: FeedbackUpdate | None = None  # None: correct, refused, or for the model to write
    feedback_error: str = ""  # why there is no feedback (the answer itself is saved)


def submit_with_ready_feedback(
    *, actor: CurrentUser, session_id: str, question_id: int, position: int, answer: str
) -> AnsweredWithFeedback:
    """:func:`practice.submit_answer`, then for a wrong answer :func:`ready_feedback`, in
    one call from the page: under load each hop to a worker thread queues behind every
    other tab's work, so one hop instead of two is what a student waits for. A new wrong
    answer's feedback is looked up in the answer's own transaction (issue 16: the
    attempt, its question and the student's quota rows are in hand already)."""
    result, item = practice.submit_answer_then(
        actor=actor,
        session_id=session_id,
        question_id=question_id,
        position=position,
        answer=answer,
        after=partial(_item_with_the_answer, actor),
    )
    if result.is_correct:
        return AnsweredWithFeedback(result)
    if isinstance(item, ServiceError):
        return AnsweredWithFeedback(result, feedback_error=item.message)
    try:
        # A repeated submit (item None) looks its stored answer's feedback up on its own.
        ready = (
            _ready(result.attempt_id, item)
            if item is not None
            else ready_feedback(actor=actor, attempt_id=result.attempt_id)
        )
    except ServiceError as exc:
        # The answer is saved whatever happens to its feedback.
        return AnsweredWithFeedback(result, feedback_error=exc.message)
    return AnsweredWithFeedback(result, ready)


def _shown_unsaved(result: rag.FeedbackResult) -> FeedbackUpdate:
    """A busy or failed model's fallback: shown with its notice, saved nowhere (no id)."""
    return FeedbackUpdate(
        "final", text=result.text, source=result.source, notice=result.notice or ""
    )


def stream_feedback(
    *, actor: CurrentUser, attempt_id: int, cancel: threading.Event | None = None
) -> Iterator[FeedbackUpdate]:
    item = _item(actor, attempt_id)
    if item.done is not None:
        yield item.done
        return
    yield from _written(attempt_id, item, tutor.language_model(), cancel=cancel)


def _written(
    attempt_id: int,
    item: _Item,
    model: ChatModel | None,
    *,
    cancel: threading.Event | None = None,
) -> Iterator[FeedbackUpdate]:
    """Feedback from the model (or, without one, the stored explanation), saved once."""
    settings = get_settings()
    max_wait = settings.llm_feedback_wait_s
    result: rag.FeedbackResult | None = None
    for event in rag.stream_feedback(
        model,
        stem=item.stem,
        options=item.options,
        chosen=item.chosen,
        correct=item.correct,
        explanation=item.explanation,
        cancel=cancel,
        max_waiting=settings.llm_queue_max,
        queue_timeout_s=max_wait,
    ):
        if event.kind == "queue":
            yield FeedbackUpdate(
                "queue", position=event.position or 0, wait_s=event.wait_s, max_wait_s=max_wait
            )
        elif event.kind == "token":
            yield FeedbackUpdate("token", text=event.text)
        elif event.kind == "final":
            result = event.result
    assert result is not None
    stats = result.stats
    if result.busy:
        yield _shown_unsaved(result)
        return
    if stats is not None and stats.stop_reason == "cancelled":
        return  # the student left: nobody reads it, and it must not use up the quota
    with unit_of_work() as session:
        existing = feedback_repo.get_feedback_for_attempt(session=session, attempt_id=attempt_id)
        if existing is not None:  # another tab finished first
            row = existing
        else:
            row = feedback_repo.save_feedback(
                session=session,
                attempt_id=attempt_id,
                feedback_text=result.text,
                model_used=(result.model or EXPLANATION_MODEL)
                if result.source == "llm"
                else EXPLANATION_MODEL,
                prompt_version=result.prompt_version,
                generation_time_ms=stats.generation_time_ms if stats else None,
                token_count_input=stats.prompt_tokens if stats else None,
                token_count_output=stats.completion_tokens if stats else None,
            )
    yield FeedbackUpdate(
        "final", text=row.feedback_text, feedback_id=row.id or 0, source=result.source
    )


def rate(*, actor: CurrentUser, feedback_id: int, helpful: bool) -> None:
    with unit_of_work() as session:
        if not feedback_repo.rate_feedback(
            session=session, feedback_id=feedback_id, user_id=actor.id, is_helpful=helpful
        ):
            raise NotFound("Umpan balik tidak ditemukan.")
