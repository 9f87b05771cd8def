"""A student's running ability per section: a normal belief updated one answer at a time.

Practice spreads over weeks and students learn, so the full-history estimate (which
assumes one fixed ability) would lag. Instead the service keeps N(mean, sd^2) per section
and updates it with each answer by exact quadrature; between answers the belief widens a
little with time (`drift_per_day`) so recent answers weigh more than old ones.
"""

import math

import numpy as np

from .irt import THETA_MAX, THETA_MIN, log_pq, posterior_moments

GRID_POINTS = 161
MIN_SD = 0.05
MAX_SD = 1.0
DRIFT_PER_DAY = 0.01  # variance added per idle day: ~0.3 SD after a quiet 9 days


def widen_for_time(sd: float, days_idle: float, *, drift_per_day: float = DRIFT_PER_DAY) -> float:
    """The belief's SD after `days_idle` days without answers (capped at the prior's 1.0)."""
    if sd <= 0 or not math.isfinite(sd):
        raise ValueError(f"sd must be positive and finite, got {sd}")
    variance = sd * sd + max(days_idle, 0.0) * drift_per_day
    return min(math.sqrt(variance), MAX_SD)


def update_ability(
    mean: float, sd: float, a: float, b: float, c: float, correct: bool
) -> tuple[float, float]:
    """Posterior (mean, sd) after one scored answer, from a N(mean, sd^2) prior.

    The grid is centred on the prior (±6 SD, within [-4, 4]) so a narrow belief is still
    resolved finely; the result is the exact posterior mean and SD on that grid.
    """
    if not (math.isfinite(mean) and math.isfinite(sd)) or sd <= 0:
        raise ValueError(f"need a finite mean and a positive sd, got {mean}, {sd}")
    sd = max(sd, MIN_SD)
    low = max(THETA_MIN, mean - 6 * sd)
    high = min(THETA_MAX, mean + 6 * sd)
    if high - low < 12 * MIN_SD:  # prior piled against a bound: keep a usable window
        low, high = max(THETA_MIN, high - 12 * MIN_SD), min(THETA_MAX, low + 12 * MIN_SD)
    grid = np.linspace(low, high, GRID_POINTS)
    log_p, log_q = log_pq(grid, a, b, c)
    log_post = -0.5 * ((grid - mean) / sd) ** 2 + (log_p if correct else log_q)
    new_mean, new_sd = posterior_moments(log_post, grid)
    return float(np.clip(new_mean, THETA_MIN, THETA_MAX)), max(float(new_sd), MIN_SD)
