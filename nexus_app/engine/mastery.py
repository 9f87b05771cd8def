"""Per-(student, topic) mastery in [0, 1] from practice answers and tutor questions.

Two candidate models, both kept in the four columns `topic_mastery` already has
(`mastery_level`, `question_count`, `correct_count`, `last_interaction`), so nothing
extra needs storing:

* **Elo (3PL)**, the default: a per-topic rating `theta` on the IRT scale;
  ``mastery = expit(theta)``, so `theta = logit(mastery)` is recovered from the stored
  level (theta is clipped to [-4, 4], so mastery stays in [0.018, 0.982] and the logit is
  always finite). An answer to item (a, b, c) moves theta by one stochastic-gradient step
  of the 3PL log-likelihood::

      P = c + (1 - c) L,  L = expit(a (theta - b))
      theta += K(n) * a * (y - P) * L / P           # = K * d/dtheta log-lik
      K(n) = max(k_min, k0 / (1 + k_decay * n))     # n = answers before this one

  With c = 0 and a = 1 this is the classic Elo update K (y - P). The L/P factor
  discounts a right answer to a hard item, which may be a lucky guess.
  Reading of the number: mastery is the chance of solving an item of average difficulty
  (a = 1, b = 0) without guessing.
* **BKT** (Bayesian knowledge tracing): mastery = P(known); the item parameters are
  not used (that is the model), and `prior_theta` is ignored.

bench/bench_mastery.py measured both (next-response AUC on a time-ordered split of
simulated practice data, against an IRT-only baseline); the winner, Elo, with its fitted
parameters rounded, is `DEFAULT_MODEL` (the comment there says why and how).

The step functions broadcast (numpy arrays in, arrays out, parameters included), so the
benchmark and the fitters run the very code the service calls, many sequences at once.
Only numpy, scipy and the standard library are imported here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import expit, logit

from .irt import THETA_MAX, THETA_MIN, FloatArray, FloatOrArray

RATING_MIN: float = THETA_MIN
RATING_MAX: float = THETA_MAX
MASTERY_MIN: float = float(expit(RATING_MIN))
MASTERY_MAX: float = float(expit(RATING_MAX))

# Tutor-question nudge (see chat_signal_update): at most 0.05 logit per question, i.e.
# about 1.2 percentage points of mastery near 0.5, and less once practice has evidence.
CHAT_STEP: float = 0.05
CHAT_RETENTION_DAYS: float = 3.0
CHAT_EVIDENCE_HALF: float = 10.0

_SECONDS_PER_DAY = 86_400.0
_EPS = 1e-12


# ---------------------------------------------------------------------------
# Broadcasting building blocks (floats or arrays, parameters included)
# ---------------------------------------------------------------------------


def _out(x: npt.ArrayLike) -> FloatOrArray:
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def mastery_to_rating(mastery: npt.ArrayLike) -> FloatOrArray:
    """logit of mastery, clipped first so 0.0 (the table default) and 1.0 stay finite."""
    return _out(logit(np.clip(np.asarray(mastery, dtype=float), MASTERY_MIN, MASTERY_MAX)))


def rating_to_mastery(rating: npt.ArrayLike) -> FloatOrArray:
    """expit of the rating clipped to [-4, 4]."""
    return _out(expit(np.clip(np.asarray(rating, dtype=float), RATING_MIN, RATING_MAX)))


def elo_k(
    count: npt.ArrayLike, k0: npt.ArrayLike, k_decay: npt.ArrayLike, k_min: npt.ArrayLike
) -> FloatOrArray:
    """Step size after `count` answers: large at first (little is known), never below k_min
    so the rating keeps following a student who is still learning."""
    n = np.asarray(count, dtype=float)
    return _out(np.maximum(k_min, np.asarray(k0) / (1.0 + np.asarray(k_decay) * n)))


def elo_predict(
    rating: npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    c: npt.ArrayLike,
    use_3pl: bool = True,
) -> FloatOrArray:
    """P(correct) for a topic rating: the 3PL (same as irt.probability), or expit(theta - b)."""
    th = np.asarray(rating, dtype=float)
    if not use_3pl:
        return _out(expit(th - np.asarray(b)))
    cc = np.asarray(c, dtype=float)
    return _out(cc + (1.0 - cc) * expit(np.asarray(a) * (th - np.asarray(b))))


def elo_step(
    rating: npt.ArrayLike,
    count: npt.ArrayLike,
    correct: npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    c: npt.ArrayLike,
    k0: npt.ArrayLike,
    k_decay: npt.ArrayLike,
    k_min: npt.ArrayLike,
    use_3pl: bool = True,
) -> FloatOrArray:
    """Rating after one answer (see the module docstring for the rule)."""
    th = np.asarray(rating, dtype=float)
    y = np.asarray(correct, dtype=float)
    k = elo_k(count, k0, k_decay, k_min)
    if use_3pl:
        aa, cc = np.asarray(a, dtype=float), np.asarray(c, dtype=float)
        lo = expit(aa * (th - np.asarray(b)))
        p = cc + (1.0 - cc) * lo
        grad = aa * (y - p) * (lo / np.maximum(p, _EPS))
    else:
        grad = y - expit(th - np.asarray(b))
    return _out(np.clip(th + k * grad, RATING_MIN, RATING_MAX))


def bkt_predict(
    p_known: npt.ArrayLike, p_guess: npt.ArrayLike, p_slip: npt.ArrayLike
) -> FloatOrArray:
    """P(correct) = P(known)(1 - slip) + (1 - P(known)) guess."""
    pk = np.asarray(p_known, dtype=float)
    return _out(pk * (1.0 - np.asarray(p_slip)) + (1.0 - pk) * np.asarray(p_guess))


def bkt_step(
    p_known: npt.ArrayLike,
    correct: npt.ArrayLike,
    p_learn: npt.ArrayLike,
    p_guess: npt.ArrayLike,
    p_slip: npt.ArrayLike,
) -> FloatOrArray:
    """P(known) after one answer: Bayes on the answer, then the learning transition."""
    pk = np.asarray(p_known, dtype=float)
    y = np.asarray(correct, dtype=float)
    g, s = np.asarray(p_guess, dtype=float), np.asarray(p_slip, dtype=float)
    if_right = pk * (1.0 - s) / np.maximum(pk * (1.0 - s) + (1.0 - pk) * g, _EPS)
    if_wrong = pk * s / np.maximum(pk * s + (1.0 - pk) * (1.0 - g), _EPS)
    post = np.where(y > 0.5, if_right, if_wrong)
    learned = post + (1.0 - post) * np.asarray(p_learn)
    # Same range as Elo, so chat nudges (done in logit space) work for both models.
    return _out(np.clip(learned, MASTERY_MIN, MASTERY_MAX))


# ---------------------------------------------------------------------------
# The two models
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EloModel:
    """Per-topic Elo on the 3PL (or, with use_3pl=False, on expit(theta - b))."""

    k0: float = 1.0
    k_decay: float = 0.1
    k_min: float = 0.1
    init_rating: float = 0.0
    use_3pl: bool = True
    name: ClassVar[str] = "elo"

    def initial_mastery(self, prior_theta: float | None = None) -> float:
        """A new topic starts at the student's section ability if known, else init_rating."""
        start = self.init_rating if prior_theta is None else prior_theta
        return float(rating_to_mastery(start))

    def predict(
        self, mastery: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike
    ) -> FloatOrArray:
        return elo_predict(mastery_to_rating(mastery), a, b, c, self.use_3pl)

    def step(
        self,
        mastery: npt.ArrayLike,
        count: npt.ArrayLike,
        correct: npt.ArrayLike,
        a: npt.ArrayLike,
        b: npt.ArrayLike,
        c: npt.ArrayLike,
    ) -> FloatOrArray:
        rating = elo_step(
            mastery_to_rating(mastery),
            count,
            correct,
            a,
            b,
            c,
            self.k0,
            self.k_decay,
            self.k_min,
            self.use_3pl,
        )
        return rating_to_mastery(rating)


@dataclass(frozen=True)
class BKTModel:
    """Standard four-parameter BKT (no forgetting, item parameters unused)."""

    p_init: float = 0.3
    p_learn: float = 0.1
    p_guess: float = 0.2
    p_slip: float = 0.1
    name: ClassVar[str] = "bkt"

    def __post_init__(self) -> None:
        for label, v in (
            ("p_init", self.p_init),
            ("p_learn", self.p_learn),
            ("p_guess", self.p_guess),
            ("p_slip", self.p_slip),
        ):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{label} must lie in [0, 1], got {v}")
        # guess + slip >= 1 would make a right answer evidence of NOT knowing.
        if self.p_guess + self.p_slip >= 1.0:
            raise ValueError("p_guess + p_slip must be below 1")

    def initial_mastery(self, prior_theta: float | None = None) -> float:
        del prior_theta  # BKT has no ability scale to start from
        return float(np.clip(self.p_init, MASTERY_MIN, MASTERY_MAX))

    def predict(
        self, mastery: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike
    ) -> FloatOrArray:
        del a, b, c
        return bkt_predict(mastery, self.p_guess, self.p_slip)

    def step(
        self,
        mastery: npt.ArrayLike,
        count: npt.ArrayLike,
        correct: npt.ArrayLike,
        a: npt.ArrayLike,
        b: npt.ArrayLike,
        c: npt.ArrayLike,
    ) -> FloatOrArray:
        del count, a, b, c
        return bkt_step(mastery, correct, self.p_learn, self.p_guess, self.p_slip)


MasteryModel = EloModel | BKTModel

# Chosen by bench/bench_mastery.py (simulated data, time-ordered split): the 3PL Elo beat
# BKT on next-response AUC by ~0.09 and the IRT-only baseline by ~0.01-0.02 (the bench
# prints the tables). k0 and k_decay are the fitted values rounded (0.70-0.84 and
# 0.05-0.06 over three seeds). The fitted floor k_min ranged from ~0 to 0.26 with how long
# the simulated students kept learning, and mattered little (shipped defaults cost <= 0.0006
# AUC against refitting): 0.1, reached after 120 answers on a topic, keeps the rating
# following students who still learn (or forget). The fitted init_rating (-0.2..-0.4)
# reflects the simulation's below-average starters; a new topic starts neutral at 0.5
# unless the service passes the student's section ability as prior_theta (+0.002-0.003 AUC).
DEFAULT_MODEL: MasteryModel = EloModel(k0=0.7, k_decay=0.05, k_min=0.1, init_rating=0.0)


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


# ---------------------------------------------------------------------------
# Fitting on answer sequences (grid search, then a local Nelder-Mead refinement)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sequences:
    """Time-ordered answer sequences, one per (student, topic), padded to a rectangle.

    Arrays are (n_sequences, max_length); `mask` is False on padding. `prior` is an
    optional per-sequence starting theta for Elo (nan = use the model's init_rating).
    """

    correct: FloatArray
    a: FloatArray
    b: FloatArray
    c: FloatArray
    mask: npt.NDArray[np.bool_]
    prior: FloatArray | None = None


def pad_sequences(
    seqs: Sequence[tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike, npt.ArrayLike]],
    prior: npt.ArrayLike | None = None,
) -> Sequences:
    """Pad (correct, a, b, c) 1-D sequences into a `Sequences` rectangle."""
    if len(seqs) == 0:
        raise ValueError("need at least one sequence")
    length = max(len(np.atleast_1d(s[0])) for s in seqs)
    shape = (len(seqs), max(length, 1))
    out = {k: np.zeros(shape) for k in ("correct", "a", "b", "c")}
    out["a"][:] = 1.0
    mask = np.zeros(shape, dtype=bool)
    for i, seq in enumerate(seqs):
        parts = [np.atleast_1d(np.asarray(x, dtype=float)) for x in seq]
        n = len(parts[0])
        if any(len(p) != n for p in parts):
            raise ValueError(f"sequence {i}: correct, a, b, c differ in length")
        for key, part in zip(("correct", "a", "b", "c"), parts, strict=True):
            out[key][i, :n] = part
        mask[i, :n] = True
    pri = None if prior is None else np.asarray(prior, dtype=float)
    if pri is not None and pri.shape != (len(seqs),):
        raise ValueError("prior must have one value per sequence")
    return Sequences(out["correct"], out["a"], out["b"], out["c"], mask, pri)


def run_sequences(model: MasteryModel, seqs: Sequences) -> FloatArray:
    """One-step-ahead P(correct) for every position (padding gets nan)."""
    n_seq, length = seqs.correct.shape
    if isinstance(model, EloModel) and seqs.prior is not None:
        start = np.where(np.isnan(seqs.prior), model.init_rating, seqs.prior)
        level = np.asarray(rating_to_mastery(start), dtype=float)
    else:
        level = np.full(n_seq, model.initial_mastery())
    count = np.zeros(n_seq)
    pred = np.full((n_seq, length), np.nan)
    for t in range(length):
        m = seqs.mask[:, t]
        a, b, c, y = seqs.a[:, t], seqs.b[:, t], seqs.c[:, t], seqs.correct[:, t]
        pred[:, t] = np.where(m, model.predict(level, a, b, c), np.nan)
        level = np.where(m, model.step(level, count, y, a, b, c), level)
        count = count + m
    return pred


def _mean_log_loss(p: FloatArray, y: FloatArray, weights: FloatArray) -> FloatArray:
    p = np.clip(p, 1e-9, 1.0 - 1e-9)
    return -(weights * (y * np.log(p) + (1.0 - y) * np.log1p(-p))).sum(axis=-1)


def _elo_losses(
    seqs: Sequences,
    k0: FloatArray,
    k_decay: FloatArray,
    k_min: FloatArray,
    init: FloatArray,
    use_3pl: bool,
) -> FloatArray:
    """Mean next-response log-loss for P parameter sets at once (arrays of shape (P,))."""
    cols = (k0[:, None], k_decay[:, None], k_min[:, None])
    n_seq, length = seqs.correct.shape
    start = np.broadcast_to(init[:, None], (len(k0), n_seq))
    if seqs.prior is not None:
        start = np.where(np.isnan(seqs.prior)[None, :], start, seqs.prior[None, :])
    rating = np.array(start, dtype=float)
    total = np.zeros(len(k0))
    n_obs = float(seqs.mask.sum())
    for t in range(length):
        m = seqs.mask[:, t]
        if not m.any():
            continue
        a, b, c, y = (
            x[m][None, :] for x in (seqs.a[:, t], seqs.b[:, t], seqs.c[:, t], seqs.correct[:, t])
        )
        cur = rating[:, m]
        p = elo_predict(cur, a, b, c, use_3pl)
        total += _mean_log_loss(np.asarray(p), y, np.ones_like(y)) / n_obs
        # Count before this answer = t, since sequences have no gaps before padding.
        rating[:, m] = elo_step(cur, float(t), y, a, b, c, *cols, use_3pl)
    return total


def _bkt_losses(
    seqs: Sequences,
    p_init: FloatArray,
    p_learn: FloatArray,
    p_guess: FloatArray,
    p_slip: FloatArray,
) -> FloatArray:
    n_seq, length = seqs.correct.shape
    known = np.broadcast_to(
        np.clip(p_init, MASTERY_MIN, MASTERY_MAX)[:, None], (len(p_init), n_seq)
    ).copy()
    lrn, g, s = p_learn[:, None], p_guess[:, None], p_slip[:, None]
    total = np.zeros(len(p_init))
    n_obs = float(seqs.mask.sum())
    for t in range(length):
        m = seqs.mask[:, t]
        if not m.any():
            continue
        y = seqs.correct[m, t][None, :]
        cur = known[:, m]
        p = bkt_predict(cur, g, s)
        total += _mean_log_loss(np.asarray(p), y, np.ones_like(y)) / n_obs
        known[:, m] = bkt_step(cur, y, lrn, g, s)
    return total


def _grid_then_refine(
    loss_many: Callable[..., FloatArray],
    axes: Sequence[Sequence[float]],
    bounds: Sequence[tuple[float, float]],
    chunk: int = 512,
    valid: Callable[[Sequence[float]], bool] | None = None,
) -> tuple[FloatArray, float]:
    """Evaluate a full grid in chunks, then polish the best point with Nelder-Mead."""
    grid = np.array(list(itertools.product(*axes)), dtype=float)
    if valid is not None:
        grid = grid[[valid(row) for row in grid]]
    losses = np.concatenate([loss_many(*grid[i : i + chunk].T) for i in range(0, len(grid), chunk)])
    best = grid[int(np.argmin(losses))]
    best_loss = float(losses.min())

    def one(x: FloatArray) -> float:
        if valid is not None and not valid(x):
            return math.inf
        return float(loss_many(*(np.array([v]) for v in x))[0])

    res = minimize(
        one,
        best,
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 1e-3, "fatol": 1e-6, "maxiter": 300},
    )
    if res.fun < best_loss:
        best, best_loss = np.asarray(res.x, dtype=float), float(res.fun)
    return best, best_loss


def fit_elo(seqs: Sequences, *, use_3pl: bool = True) -> EloModel:
    """Elo parameters minimising next-response log-loss on `seqs` (grid, then refine).

    When every sequence has a prior theta, init_rating is never used and is not fitted
    (it is returned as 0.0).
    """
    fit_init = seqs.prior is None or bool(np.isnan(seqs.prior).any())
    axes: list[list[float]] = [
        [0.2, 0.4, 0.7, 1.0, 1.5, 2.0],
        [0.0, 0.05, 0.1, 0.2, 0.5, 1.0],
        [0.0, 0.05, 0.1, 0.2, 0.3],
    ]
    bounds = [(0.01, 4.0), (0.0, 5.0), (0.0, 1.0)]
    if fit_init:
        axes.append([-1.0, -0.5, 0.0, 0.5])
        bounds.append((-3.0, 3.0))

    def loss(k0: FloatArray, kd: FloatArray, km: FloatArray, *init: FloatArray) -> FloatArray:
        start = init[0] if init else np.zeros_like(k0)
        return _elo_losses(seqs, k0, kd, km, start, use_3pl)

    x, _ = _grid_then_refine(loss, axes, bounds)
    return EloModel(
        k0=float(x[0]),
        k_decay=float(x[1]),
        k_min=float(x[2]),
        init_rating=float(x[3]) if fit_init else 0.0,
        use_3pl=use_3pl,
    )


def fit_bkt(seqs: Sequences) -> BKTModel:
    """BKT parameters maximising the sequences' likelihood (grid, then refine).

    guess and slip are kept below 0.5 (the usual guard against BKT's degenerate
    solutions in which "known" students answer worse than "unknown" ones).
    """
    axes = (
        [0.1, 0.3, 0.5, 0.7, 0.9],
        [0.01, 0.05, 0.1, 0.2, 0.35],
        [0.1, 0.2, 0.3, 0.4, 0.49],
        [0.02, 0.1, 0.2, 0.3, 0.45],
    )
    bounds = [(0.001, 0.999), (0.0, 0.999), (0.0, 0.499), (0.0, 0.499)]

    def valid(x: Sequence[float]) -> bool:
        return all(lo <= v <= hi for v, (lo, hi) in zip(x, bounds, strict=True))

    def loss(pi: FloatArray, pl: FloatArray, pg: FloatArray, ps: FloatArray) -> FloatArray:
        return _bkt_losses(seqs, pi, pl, pg, ps)

    x, _ = _grid_then_refine(loss, axes, bounds, valid=valid)
    return BKTModel(
        p_init=float(x[0]), p_learn=float(x[1]), p_guess=float(x[2]), p_slip=float(x[3])
    )
