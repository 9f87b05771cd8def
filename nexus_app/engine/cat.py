"""Adaptive-testing helpers used by the practice/tryout service.

* `ThetaPosterior`: incremental EAP on the shared quadrature grid, so one CAT
  step costs O(grid) for the update instead of O(items x grid).
* `choose_next_item`: content balancing, exposure control (randomesque),
  exclusion mask and a widening difficulty window, then maximum information.
* `should_stop`: SE / length stopping rule for tryouts.

Pure functions and plain numpy state; no app imports.
"""

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from .irt import (
    PRIOR_MEAN,
    PRIOR_SD,
    QUADRATURE,
    FloatArray,
    information,
    log_pq,
    pick_top,
    posterior_moments,
    validate_item_params,
)

DEFAULT_WINDOWS: tuple[float, ...] = (0.5, 1.0, 2.0, math.inf)


class ThetaPosterior:
    """Running N(0,1)-prior posterior over the quadrature grid.

    Keeps the log-likelihood summed over answered items, so adding one
    response is a single vector update; `estimate()` gives the same EAP as
    `irt.estimate_theta(..., method="eap")` for the same responses.
    """

    def __init__(self, grid: FloatArray = QUADRATURE) -> None:
        self.grid: FloatArray = np.asarray(grid, dtype=float)
        self._log_prior: FloatArray = -0.5 * ((self.grid - PRIOR_MEAN) / PRIOR_SD) ** 2
        self.loglik: FloatArray = np.zeros_like(self.grid)
        self.n_responses: int = 0
        self._cache: tuple[float, float] | None = (PRIOR_MEAN, PRIOR_SD)

    def add(self, a: float, b: float, c: float, response: int | bool) -> None:
        """Add one scored response (1 right, 0 wrong) to item (a, b, c)."""
        if response not in (0, 1):
            raise ValueError(f"response must be 0 or 1, got {response!r}")
        log_p, log_q = log_pq(self.grid, a, b, c)
        self.loglik += log_p if response else log_q
        self.n_responses += 1
        self._cache = None

    def estimate(self) -> tuple[float, float]:
        """(EAP theta, posterior SD); the prior mean/SD before any response."""
        if self._cache is None:
            self._cache = posterior_moments(self.loglik + self._log_prior, self.grid)
        return self._cache


def _pick_sub_type(
    candidates: npt.NDArray[np.bool_],
    sub_types: npt.NDArray[np.str_],
    administered_sub_types: Sequence[str],
    target_proportions: Mapping[str, float],
) -> npt.NDArray[np.bool_]:
    """Restrict candidates to the sub_type that lags its target share most.

    Sub_types without any candidate are skipped; if no targeted sub_type has a
    candidate, all candidates are kept (balancing is a preference, not a
    reason to end a session).
    """
    total_target = sum(max(v, 0.0) for v in target_proportions.values())
    if total_target <= 0.0:
        return candidates
    n_given = len(administered_sub_types)
    counts: dict[str, int] = {}
    for s in administered_sub_types:
        counts[s] = counts.get(s, 0) + 1
    # Largest deficit first; ties broken by larger target, then name, so the
    # choice is deterministic for a given history.
    ranked = sorted(
        (
            (
                max(share, 0.0) / total_target
                - (counts.get(name, 0) / n_given if n_given else 0.0),
                max(share, 0.0),
                name,
            )
            for name, share in target_proportions.items()
            if share > 0.0
        ),
        key=lambda t: (-t[0], -t[1], t[2]),
    )
    for _, _, name in ranked:
        in_type = candidates & (sub_types == name)
        if in_type.any():
            return in_type
    return candidates


def choose_next_item(
    theta: float,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    c: npt.ArrayLike,
    *,
    sub_types: Sequence[str] | None = None,
    administered_sub_types: Sequence[str] = (),
    eligible: npt.ArrayLike | None = None,
    target_proportions: Mapping[str, float] | None = None,
    top_n: int = 1,
    rng: np.random.Generator | None = None,
    windows: Sequence[float] = DEFAULT_WINDOWS,
) -> int | None:
    """Index of the next item, or None when no eligible item is left.

    Order of filters (each one a preference that relaxes rather than fails):

    1. `eligible` (bool mask): the caller excludes administered items and items
       seen in the last 7 days here.  Hard constraint.
    2. Content balancing: if `target_proportions` is given, keep only the
       sub_type with the largest (target share - administered share) deficit
       that still has eligible items.
    3. Difficulty window: keep items with |b - theta| <= w for the first w in
       `windows` that leaves at least one item (so 0.5, 1.0, 2.0, then all).
    4. Maximum information at theta; with top_n > 1 a uniform pick among the
       top_n most informative (randomesque exposure control).
    """
    if not np.isfinite(theta):
        raise ValueError(f"theta must be finite, got {theta}")
    aa, bb, cc = validate_item_params(a, b, c)
    n = len(aa)
    if eligible is None:
        candidates = np.ones(n, dtype=bool)
    else:
        candidates = np.asarray(eligible, dtype=bool)
        if candidates.shape != (n,):
            raise ValueError(f"eligible has shape {candidates.shape}, expected ({n},)")
    if not candidates.any():
        return None

    if target_proportions:
        if sub_types is None or len(sub_types) != n:
            raise ValueError("sub_types must give one sub_type per item")
        candidates = _pick_sub_type(
            candidates,
            np.asarray(sub_types, dtype=str),
            administered_sub_types,
            target_proportions,
        )

    # Widening window: never empty at the end because inf is appended.
    distance = np.abs(bb - theta)
    for width in (*windows, math.inf):
        in_window = candidates & (distance <= width)
        if in_window.any():
            candidates = in_window
            break

    info = np.asarray(information(theta, aa, bb, cc))
    return pick_top(info, candidates, top_n, rng)


def should_stop(
    se: float,
    n_administered: int,
    *,
    se_target: float = 0.30,
    max_items: int = 30,
    min_items: int = 5,
) -> bool:
    """Tryout stopping rule.

    Stop at max_items; never before min_items; otherwise once the posterior SD
    reaches se_target (0.30 in theta = +-30 score points at z = 1).
    """
    if n_administered >= max_items:
        return True
    if n_administered < min_items:
        return False
    return se <= se_target
