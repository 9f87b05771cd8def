"""Scales and the broadcasting building blocks of both models (floats or arrays)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import expit, logit

from ..irt import THETA_MAX, THETA_MIN, FloatOrArray

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
