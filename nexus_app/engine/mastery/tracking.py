"""The service-facing mastery state: update, predict, chat signals, replay."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from .models import DEFAULT_MODEL, MasteryModel
from .steps import (
    _SECONDS_PER_DAY,
    CHAT_EVIDENCE_HALF,
    CHAT_RETENTION_DAYS,
    CHAT_STEP,
    mastery_to_rating,
    rating_to_mastery,
)

# ---------------------------------------------------------------------------
# The service-facing state and functions
# ---------------------------------------------------------------------------


def _check_when(when: datetime, label: str = "when") -> datetime:
    if not isinstance(when, datetime):
        raise TypeError(f"{label} must be a datetime, got {type(when).__name__}")
    # The app stores aware UTC (models/base.py refuses naive); mixing would raise later.
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{label} must be timezone-aware (UTC)")
    return when


@dataclass(frozen=True)
class MasteryState:
    """One topic_mastery row's numbers: all a model needs, nothing more.

    `question_count`/`correct_count` count scored practice answers (they drive Elo's
    decaying K); tutor questions only nudge `mastery_level` and touch `last_interaction`.
    """

    mastery_level: float
    question_count: int = 0
    correct_count: int = 0
    last_interaction: datetime | None = None

    def __post_init__(self) -> None:
        m = self.mastery_level
        if not (isinstance(m, int | float) and math.isfinite(m) and 0.0 <= m <= 1.0):
            raise ValueError(f"mastery_level must be a number in [0, 1], got {m!r}")
        if self.question_count < 0 or self.correct_count < 0:
            raise ValueError("counts must be non-negative")
        if self.correct_count > self.question_count:
            raise ValueError("correct_count cannot exceed question_count")
        if self.last_interaction is not None:
            _check_when(self.last_interaction, "last_interaction")


def initial_state(
    *, model: MasteryModel = DEFAULT_MODEL, prior_theta: float | None = None
) -> MasteryState:
    """State of a topic never seen before (no answers, no interaction)."""
    return MasteryState(model.initial_mastery(prior_theta))


def _check_item(item_b: float, item_a: float, item_c: float) -> tuple[float, float, float]:
    b, a, c = float(item_b), float(item_a), float(item_c)
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        raise ValueError("item parameters must be finite")
    if a <= 0.0:
        raise ValueError(f"item_a (discrimination) must be positive, got {a}")
    if not 0.0 <= c < 1.0:
        raise ValueError(f"item_c (guessing) must lie in [0, 1), got {c}")
    return b, a, c


def update_mastery(
    state: MasteryState | None,
    correct: bool,
    item_b: float,
    item_a: float,
    item_c: float,
    when: datetime,
    *,
    model: MasteryModel = DEFAULT_MODEL,
    prior_theta: float | None = None,
) -> MasteryState:
    """The state after one scored practice answer to a 3PL item (b, a, c) at `when`.

    `state=None` starts a new topic (at `prior_theta`, e.g. the student's section ability,
    when the model is Elo and it is given). Deterministic; the input is not modified.
    """
    b, a, c = _check_item(item_b, item_a, item_c)
    _check_when(when)
    if state is None:
        state = initial_state(model=model, prior_theta=prior_theta)
    y = 1.0 if correct else 0.0
    new_level = float(model.step(state.mastery_level, state.question_count, y, a, b, c))
    last = state.last_interaction
    return MasteryState(
        mastery_level=new_level,
        question_count=state.question_count + 1,
        correct_count=state.correct_count + (1 if correct else 0),
        # Answers may arrive out of order (offline sync): keep the latest time.
        last_interaction=when if last is None or when > last else last,
    )


def predict_correct(
    state: MasteryState | None,
    item_b: float,
    item_a: float,
    item_c: float,
    *,
    model: MasteryModel = DEFAULT_MODEL,
    prior_theta: float | None = None,
) -> float:
    """P(the next answer to item (b, a, c) is right) given the topic's state."""
    b, a, c = _check_item(item_b, item_a, item_c)
    if state is None:
        state = initial_state(model=model, prior_theta=prior_theta)
    return float(model.predict(state.mastery_level, a, b, c))


def chat_signal_delta(
    question_complexity: float, gap_days: float | None, question_count: int
) -> float:
    """The logit change `chat_signal_update` applies (exposed for tests and docs).

    signal = (complexity term + retention term) / 2, in [-1, 0.75]:
      * complexity term = 2 * (complexity - 0.5): harder questions nudge up, simple down;
      * retention term = clip((gap - 3 days) / 3 days, -1, 0.5): asking about the topic
        again within 3 days nudges down (most when asking again at once), a longer gap
        nudges up, but at most half as much (being away is weak evidence of retention);
        0 without an earlier question.
    delta = CHAT_STEP * signal / (1 + question_count / 10): scored practice answers are
    better evidence than questions, so a topic with practice history moves less.
    """
    cx = float(question_complexity)
    if not (math.isfinite(cx) and 0.0 <= cx <= 1.0):
        raise ValueError(f"question_complexity must lie in [0, 1], got {question_complexity!r}")
    complexity_term = 2.0 * (cx - 0.5)
    if gap_days is None:
        retention_term = 0.0
    else:
        retention_term = min(max((gap_days - CHAT_RETENTION_DAYS) / CHAT_RETENTION_DAYS, -1.0), 0.5)
    signal = 0.5 * (complexity_term + retention_term)
    return CHAT_STEP * signal / (1.0 + question_count / CHAT_EVIDENCE_HALF)


def chat_signal_update(
    state: MasteryState | None,
    question_complexity: float,
    when: datetime,
    *,
    previous_question_at: datetime | None = None,
    model: MasteryModel = DEFAULT_MODEL,
    prior_theta: float | None = None,
) -> MasteryState:
    """Nudge mastery after a tutor question on the topic (the seed's chat signals).

    Conservative by design (see `chat_signal_delta`): one question moves mastery by at most
    0.05 on the logit scale (~1.2 points near 0.5); ten simple questions minutes apart move
    a fresh topic from 0.50 to about 0.39. `previous_question_at` is the time of the
    student's previous tutor question on this topic (None: none known, no retention term).
    Counts are unchanged: they count scored answers.
    """
    _check_when(when)
    if previous_question_at is not None:
        _check_when(previous_question_at, "previous_question_at")
    if state is None:
        state = initial_state(model=model, prior_theta=prior_theta)
    gap = None
    if previous_question_at is not None:
        gap = max((when - previous_question_at).total_seconds(), 0.0) / _SECONDS_PER_DAY
    delta = chat_signal_delta(question_complexity, gap, state.question_count)
    level = float(rating_to_mastery(float(mastery_to_rating(state.mastery_level)) + delta))
    last = state.last_interaction
    return replace(
        state, mastery_level=level, last_interaction=when if last is None or when > last else last
    )


@dataclass(frozen=True)
class PracticeAnswer:
    """One scored practice answer, as the service reads it from attempts."""

    topic: str
    correct: bool
    item_b: float
    item_a: float
    item_c: float
    answered_at: datetime


def replay_mastery(
    answers: Iterable[PracticeAnswer],
    *,
    model: MasteryModel = DEFAULT_MODEL,
    prior_theta: float | None = None,
    start: dict[str, MasteryState] | None = None,
) -> dict[str, MasteryState]:
    """Mastery per topic from a user-subject's answers (sorted by time; ties keep order).

    Used to rebuild topic_mastery from attempts (e.g. after recalibration); the result
    equals folding `update_mastery` over the answers in time order.
    """
    states: dict[str, MasteryState] = dict(start or {})
    for ans in sorted(answers, key=lambda x: x.answered_at):
        states[ans.topic] = update_mastery(
            states.get(ans.topic),
            ans.correct,
            ans.item_b,
            ans.item_a,
            ans.item_c,
            ans.answered_at,
            model=model,
            prior_theta=prior_theta,
        )
    return states
