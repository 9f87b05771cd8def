"""Turn theta estimates into UTBK-like scores, ranges, readiness and ETAs.

Score mapping (Nexus's own assumption, NOT an official UTBK/SNPMB conversion):

    score = clip(500 + 100 * theta, 200, 900)

i.e. theta's N(0, 1) calibration population is centred on 500 with 100 points
per SD, floored at 200 and capped at 900 (theta in [-3, 4]).
"""

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from .irt import FloatOrArray

SCORE_CENTER: float = 500.0
SCORE_PER_THETA: float = 100.0
SCORE_MIN: float = 200.0
SCORE_MAX: float = 900.0

# ready_by needs a trend: at least this many tryouts on at least 2 days.
MIN_HISTORY_POINTS: int = 3
# Linear extrapolation beyond ~2 years is not a forecast; return None instead.
MAX_FORECAST_DAYS: int = 730
_SECONDS_PER_DAY = 86_400.0
# Answers after which the running estimate has settled enough for its trend to mean growth.
SETTLE_ANSWERS: int = 10


def theta_to_score(theta: npt.ArrayLike) -> FloatOrArray:
    """UTBK-like score for theta: clip(500 + 100 * theta, 200, 900)."""
    score = np.clip(
        SCORE_CENTER + SCORE_PER_THETA * np.asarray(theta, dtype=float),
        SCORE_MIN,
        SCORE_MAX,
    )
    return float(score) if score.ndim == 0 else score


def score_to_theta(score: npt.ArrayLike) -> FloatOrArray:
    """Inverse of theta_to_score on [200, 900]; scores outside are clipped first."""
    s = np.clip(np.asarray(score, dtype=float), SCORE_MIN, SCORE_MAX)
    theta = (s - SCORE_CENTER) / SCORE_PER_THETA
    return float(theta) if theta.ndim == 0 else theta


def _check_se(se: float) -> float:
    se = float(se)
    if not (se >= 0.0) or math.isinf(se):
        raise ValueError(f"se must be a finite non-negative number, got {se}")
    return se


def predicted_range(theta: float, se: float, *, z: float = 1.0) -> tuple[int, int]:
    """(low, high) score interval theta +- z*se mapped through the score scale.

    With the normal posterior, z = 1.0 covers ~68% and z = 1.96 ~95%.  The
    width therefore shrinks as the student answers more items.
    """
    se = _check_se(se)
    if z < 0:
        raise ValueError("z must be non-negative")
    low = theta_to_score(float(theta) - z * se)
    high = theta_to_score(float(theta) + z * se)
    return round(float(low)), round(float(high))


def readiness_percentage(theta: float, se: float, target_score: float) -> float:
    """How far along the way to the target a student is, in percent.

    100 * (expected score - 200) / (target - 200), clipped to [0, 100], where the
    expected score is the posterior mean mapped to the score scale; 100 means the
    estimate has reached the target.  A student halfway up from the scale's floor to
    the target reads 50%.  The uncertainty is reported separately by
    `chance_of_reaching` and `predicted_range`; `se` is only validated here.
    """
    _check_se(se)
    target = float(target_score)
    if target <= SCORE_MIN:
        return 100.0
    score = float(theta_to_score(theta))
    return float(np.clip(100.0 * (score - SCORE_MIN) / (target - SCORE_MIN), 0.0, 100.0))


def chance_of_reaching(theta: float, se: float, target_score: float) -> float:
    """100 * P(true score >= target) under the N(theta, se^2) posterior.

    A probability, not progress: a student exactly at the target has 50%, and it
    nears 100 only when the posterior is both above the target and narrow.  Targets
    above 900 are unreachable (0) and targets at or below 200 always met (100).
    """
    se = _check_se(se)
    target = float(target_score)
    if target > SCORE_MAX:
        return 0.0
    if target <= SCORE_MIN:
        return 100.0
    theta_target = (target - SCORE_CENTER) / SCORE_PER_THETA
    if se == 0.0:
        return 100.0 if theta >= theta_target else 0.0
    return float(100.0 * norm.sf(theta_target, loc=float(theta), scale=se))


def _day_number(when: date | datetime) -> float:
    """Days (fractional for datetimes) since 0001-01-01; naive/aware both fine."""
    if isinstance(when, datetime):
        midnight = datetime.combine(when.date(), datetime.min.time(), when.tzinfo)
        return when.toordinal() + (when - midnight).total_seconds() / _SECONDS_PER_DAY
    if isinstance(when, date):
        return float(when.toordinal())
    raise TypeError(f"expected date or datetime, got {type(when).__name__}")


def ready_by(
    history: Sequence[tuple[date | datetime, float]],
    target_score: float,
    today: date | datetime,
    *,
    settle: int = 0,
) -> tuple[date | None, int | None, float]:
    """Forecast when the target score is reached from a linear theta trend.

    `settle`: leave out the first points of the trend. A running estimate that starts at
    the prior moves during its first answers because it is converging, not because the
    student learned; counting that as growth would promise a ready-by date too early.
    The latest estimate still decides whether the student is ready now.

    Fits theta = alpha + beta * day by ordinary least squares.

    Returns (ready_by_date, days_to_ready, improvement_per_week) where
    improvement_per_week is the trend slope in SCORE POINTS per week (0.0 when
    there is too little data for a trend).

    * Already ready (the latest theta, the best current estimate, at or above
      the target; or target <= 200): (today, 0, slope).  The trend only sets the
      pace: the distance left is measured from the latest estimate, so a steep
      trend over noisy points never declares a student ready early.
    * Too little data (< 3 points or all on one day), flat or falling trend,
      target above 900, or more than 730 days away: (None, None, slope).
    """
    today_date = today.date() if isinstance(today, datetime) else today
    theta_target = (float(target_score) - SCORE_CENTER) / SCORE_PER_THETA
    if not history:
        return None, None, 0.0

    points = sorted(((_day_number(when), float(theta)) for when, theta in history))
    latest = points[-1][1]
    if settle > 0:
        points = points[settle:] or points[-1:]
    days = np.array([p[0] for p in points])
    thetas = np.array([p[1] for p in points])
    if not np.all(np.isfinite(thetas)) or not math.isfinite(latest):
        raise ValueError("history thetas must be finite")

    has_trend = len(points) >= MIN_HISTORY_POINTS and np.ptp(days) > 0.0
    if has_trend:
        # Centre the day axis so the normal equations are well conditioned.
        x = days - days.mean()
        slope = float(np.dot(x, thetas - thetas.mean()) / np.dot(x, x))
    else:
        slope = 0.0
    level_today = latest

    per_week = slope * 7.0 * SCORE_PER_THETA
    if float(target_score) > SCORE_MAX:
        return None, None, per_week
    if float(target_score) <= SCORE_MIN or level_today >= theta_target:
        return today_date, 0, per_week
    if not has_trend or slope <= 0.0:
        return None, None, per_week
    # The small tolerance keeps exact multiples (70.0000000001 days) at 70.
    days_needed = math.ceil((theta_target - level_today) / slope - 1e-9)
    if days_needed > MAX_FORECAST_DAYS:
        return None, None, per_week
    return today_date + timedelta(days=days_needed), days_needed, per_week
