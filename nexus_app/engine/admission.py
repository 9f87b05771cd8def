"""A rough admission estimate for a study programme from its capacity and applicants.

Official SNBT passing grades are not published, so the cut-off is *estimated* (see
docs/tryout.md): the programme's applicants are taken as a sample of the national pool, whose
total on Nexus's scale is N(500, 100^2) by construction, and the programme admits the top
capacity/applicants share of them, so the cut-off is the (1 - share) quantile of that pool.
The chance is the probability that the student's score, known with its own standard error
plus the cut-off's uncertainty, lies above the cut-off.
"""

from __future__ import annotations

import math

from .readiness import SCORE_CENTER, SCORE_MAX, SCORE_MIN, SCORE_PER_THETA

# Spread of an estimated cut-off (from capacity/applicants alone) and of one the school gave.
ESTIMATED_CUTOFF_SD = 40.0
GIVEN_CUTOFF_SD = 15.0
_NORMAL = math.sqrt(2.0)


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / _NORMAL))


def _inverse_phi(p: float) -> float:
    """Standard normal quantile by bisection (no scipy needed for one number)."""
    low, high = -8.0, 8.0
    for _ in range(80):
        mid = (low + high) / 2
        if _phi(mid) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def estimated_cutoff(capacity: int, applicants: int) -> float:
    """The score the top capacity/applicants share of a N(500, 100^2) pool reaches."""
    if capacity <= 0 or applicants <= 0:
        raise ValueError("capacity and applicants must be positive")
    share = min(capacity / applicants, 1.0)
    if share >= 1.0:
        return SCORE_MIN
    cutoff = SCORE_CENTER + SCORE_PER_THETA * _inverse_phi(1.0 - share)
    return float(min(max(cutoff, SCORE_MIN), SCORE_MAX))


def chance(score: float, score_se: float, cutoff: float, cutoff_sd: float) -> float:
    """P(the student's true score > the cut-off), both normal; 0..1."""
    spread = math.hypot(max(score_se, 0.0), max(cutoff_sd, 0.0))
    if spread == 0.0:
        return 1.0 if score > cutoff else 0.0
    return _phi((score - cutoff) / spread)
