"""Adaptive-testing helpers used by the practice/tryout service.

* `ThetaPosterior`: incremental EAP on the shared quadrature grid, so one CAT
  step costs O(grid) for the update instead of O(items x grid).
* `ExposureControl`: item exposure control (a hard cap, progressive-restricted, plus
  prices for items near it) with per-item administration counts the caller can persist.
* `choose_next_item`: content balancing, exposure control (`ExposureControl` or
  randomesque), exclusion mask and a widening difficulty window, then maximum
  information.
* `should_stop`: SE / length stopping rule for tryouts.

Pure functions and plain numpy state; no app imports.
"""

import math
from collections.abc import Iterable, Mapping, Sequence

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
    probability,
    remaining_mask,
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


IntArray = npt.NDArray[np.int64]

# Exponent of the progressive weight; 0 turns the random component off.  Off by default
# since issue 11's re-measure: the prices below spread the first items instead.
DEFAULT_ACCELERATION: float = 0.0
# Price of an item whose next use would bring it to the cap, in units of the bank's mean
# information at an item's own difficulty; 0 turns prices off ("maximum information among
# the items under the cap").
DEFAULT_PRICE: float = 2.0
# Examinees of headroom under the cap over which an item's price falls by a factor e.
DEFAULT_PRICE_SCALE: float = 3.0
# Value a posterior-weighted pick by the expected drop of the posterior variance (one answer
# ahead) rather than by the information averaged over the posterior: on issue 11's bench
# 0.17% less posterior SD, paired over 16000 simulees (CI 0.08-0.27%), see docs/benchmarks.md.
DEFAULT_PREPOSTERIOR: bool = True
# Below this share of `price` a price cannot change a pick: counts further under the cap
# need not be read (see `relevant_count`).
_PRICE_NEGLIGIBLE = 1e-3
# Slack in the cap test, so max_rate * examinees landing on an integer is not lost to
# floating-point rounding (0.2 * 5 = 1.0000000000000002 would otherwise pass or fail by luck).
_CAP_EPS = 1e-9
# Nodes (in SDs) and weights for information averaged over N(theta, sd^2): an even grid
# a quarter SD apart, on which the trapezoid sum of a smooth curve times a normal density
# is accurate far below the differences between items (a Gauss-Hermite rule with as few
# nodes would sample a steep item too coarsely under a wide posterior).
_NORMAL_NODES: FloatArray = np.linspace(-4.0, 4.0, 33)
_NORMAL_WEIGHTS: FloatArray = np.exp(-0.5 * _NORMAL_NODES**2)
_NORMAL_WEIGHTS /= _NORMAL_WEIGHTS.sum()


def expected_information(
    theta: float, sd: float, a: FloatArray, b: FloatArray, c: FloatArray
) -> FloatArray:
    """Fisher information of each item averaged over theta ~ N(theta, sd^2)."""
    nodes = theta + max(sd, 0.0) * _NORMAL_NODES
    info = np.asarray(information(nodes[:, None], a[None, :], b[None, :], c[None, :]))
    return np.asarray(_NORMAL_WEIGHTS @ info, dtype=float)


# Below this posterior SD the preposterior value is Fisher information at theta (its limit).
_SD_POINT = 1e-6


def preposterior_information(
    theta: float, sd: float, a: FloatArray, b: FloatArray, c: FloatArray
) -> FloatArray:
    """Expected posterior-variance reduction of each item under theta ~ N(theta, sd^2),
    in information units.

    With v the current variance and d an item's expected reduction (over its two
    answers, weighted by their predictive probabilities), `d / (v (v - d))` is the
    information a normal posterior would need to shrink by d, so the values sit on the
    same scale as `expected_information` and the exposure price.  It ranks items as
    minimum expected posterior variance does (van der Linden, 1998), which looks one
    answer ahead instead of at the information curve alone.
    """
    if sd < _SD_POINT:
        return np.asarray(information(float(theta), a, b, c), dtype=float)
    z = _NORMAL_NODES
    w = _NORMAL_WEIGHTS
    # In standard units around theta, so a narrow posterior loses no precision.
    p = np.asarray(probability(theta + sd * z[:, None], a[None, :], b[None, :], c[None, :]))
    tiny = np.finfo(float).tiny
    m1 = np.maximum(w @ p, tiny)
    s1 = (w * z) @ p
    q1 = (w * z * z) @ p
    mean, second = float(w @ z), float(w @ (z * z))
    m0 = np.maximum(1.0 - w @ p, tiny)
    s0, q0 = mean - s1, second - q1
    var = second - mean**2
    expected = (q1 - s1**2 / m1) + (q0 - s0**2 / m0)
    gain = np.clip(var - expected, 0.0, var * (1.0 - 1e-12))
    return np.asarray(gain / (sd**2 * var * (var - gain)), dtype=float)


class ExposureControl:
    """Item exposure control: a hard cap plus prices for items near it (issue 11).

    Keeps, per item, how many examinees have been given it (`counts`) and how many
    examinees have finished (`examinees`); the running exposure rate of item i is
    `counts[i] / examinees`.  Each pick has three parts:

    * **Restriction** (progressive-restricted, Revuelta & Ponsoda, 1998).  Item i may be
      given to the current examinee only if that keeps its rate at or under `max_rate`
      once this examinee is counted: `counts[i] + 1 <= max_rate * (examinees + 1)`.
      When no remaining item passes (a bank too small for the cap, or the first few
      examinees of a fresh bank), the restriction is dropped for that pick: `select`
      always returns an item while one is left.
    * **Value with an exposure price** (a "shadow" of maximum information).  Among the
      allowed items it takes the highest `V_i - price * S * exp(-h_i / price_scale)`:
      `V_i` is, with `posterior_weighted` (the default), item i's value under the current
      posterior N(theta, se^2): the expected drop of the posterior variance after its
      answer in information units (`preposterior`, the default since issue 11's
      expo11b comparison; `preposterior_information`), or its information averaged over
      the posterior (`preposterior=False`, `expected_information`); without
      `posterior_weighted`, Fisher information at theta.  `h_i = max_rate *
      (examinees + 1) - counts[i] - 1` the examinees of headroom item i has left under
      the cap, and `S` the bank's mean information at an item's own difficulty.  An item
      at its cap costs `price * S`; one far under it costs nothing.  So a scarce item is
      not spent on the first examinee who could use it, early in a test when the
      estimate is rough and every item is worth about the same, but kept for one whose
      gain from it is larger than the price.  The price is a function of the counts, so
      it needs no other state and no tuning run: an item whose demand is over the cap
      settles where its price balances the demand (a dual price in its queue form).
    * **Progressive random component** (Barrada et al., 2008; off by default).  With
      `acceleration > 0` the score is `(1 - w) * R_i + w * score_i`, `R_i ~ U(0, max_j
      V_j)`, `w = min(position / length, 1) ** acceleration`.

    `position` is the 1-based number of the item being chosen and `length` the test
    length (for open-ended practice: a nominal length).  `se` is the posterior SD at
    `theta`; when not given it is approximated from the position.  `counts` and
    `examinees` are plain attributes (int64 array, int); `state()` and `from_state()`
    move them to and from storage.  `end_examinee(administered)` adds one examinee and
    one administration per item given.  `price=0, posterior_weighted=False,
    acceleration=0.1` is the controller before issue 11's re-measure, `preposterior=False`
    the one between that re-measure and the expo11b comparison.
    """

    def __init__(
        self,
        n_items: int,
        max_rate: float = 0.20,
        rng: np.random.Generator | None = None,
        *,
        acceleration: float = DEFAULT_ACCELERATION,
        price: float = DEFAULT_PRICE,
        price_scale: float = DEFAULT_PRICE_SCALE,
        posterior_weighted: bool = True,
        preposterior: bool = DEFAULT_PREPOSTERIOR,
        counts: npt.ArrayLike | None = None,
        examinees: int = 0,
    ) -> None:
        if int(n_items) != n_items or n_items < 0:
            raise ValueError(f"n_items must be a non-negative integer, got {n_items!r}")
        if not (0.0 < max_rate <= 1.0):
            raise ValueError(f"max_rate must be in (0, 1], got {max_rate!r}")
        if not (math.isfinite(acceleration) and acceleration >= 0.0):
            raise ValueError(f"acceleration must be finite and >= 0, got {acceleration!r}")
        if not (math.isfinite(price) and price >= 0.0):
            raise ValueError(f"price must be finite and >= 0, got {price!r}")
        if not (math.isfinite(price_scale) and price_scale > 0.0):
            raise ValueError(f"price_scale must be finite and > 0, got {price_scale!r}")
        self.n_items: int = int(n_items)
        self.max_rate: float = float(max_rate)
        self.acceleration: float = float(acceleration)
        self.price: float = float(price)
        self.price_scale: float = float(price_scale)
        self.posterior_weighted: bool = bool(posterior_weighted)
        self.preposterior: bool = bool(preposterior)
        self.rng: np.random.Generator = rng if rng is not None else np.random.default_rng()
        self.counts: IntArray = np.zeros(self.n_items, dtype=np.int64)
        self.examinees: int = 0
        self.load(np.zeros(self.n_items) if counts is None else counts, examinees)

    # --- state ---------------------------------------------------------------------

    def load(self, counts: npt.ArrayLike, examinees: int) -> None:
        """Replace the counts (one non-negative integer per item) and examinee total."""
        arr = np.asarray(counts)
        if arr.shape != (self.n_items,):
            raise ValueError(f"counts has shape {arr.shape}, expected ({self.n_items},)")
        if arr.size and (
            not np.all(np.isfinite(arr.astype(float)))
            or np.any(arr < 0)
            or np.any(arr != np.floor(arr))
        ):
            raise ValueError("counts must be non-negative integers")
        if int(examinees) != examinees or examinees < 0:
            raise ValueError(f"examinees must be a non-negative integer, got {examinees!r}")
        self.counts = arr.astype(np.int64).copy()
        self.examinees = int(examinees)

    def state(self) -> tuple[list[int], int]:
        """(counts as plain ints, examinees): what a caller stores."""
        return [int(v) for v in self.counts], self.examinees

    @classmethod
    def from_state(
        cls,
        counts: npt.ArrayLike,
        examinees: int,
        max_rate: float = 0.20,
        rng: np.random.Generator | None = None,
        *,
        acceleration: float = DEFAULT_ACCELERATION,
        price: float = DEFAULT_PRICE,
        price_scale: float = DEFAULT_PRICE_SCALE,
        posterior_weighted: bool = True,
        preposterior: bool = DEFAULT_PREPOSTERIOR,
    ) -> "ExposureControl":
        arr = np.asarray(counts)
        if arr.ndim != 1:
            raise ValueError(f"counts must be one-dimensional, got shape {arr.shape}")
        return cls(
            int(arr.shape[0]),
            max_rate,
            rng,
            acceleration=acceleration,
            price=price,
            price_scale=price_scale,
            posterior_weighted=posterior_weighted,
            preposterior=preposterior,
            counts=arr,
            examinees=examinees,
        )

    def rates(self) -> FloatArray:
        """Running exposure rate per item (0 before the first examinee)."""
        return self.counts / self.examinees if self.examinees else np.zeros(self.n_items)

    def end_examinee(self, administered: Iterable[int] | npt.ArrayLike) -> None:
        """Count one finished examinee who was given `administered` (indices or mask)."""
        given = ~remaining_mask(administered, self.n_items)
        self.counts[given] += 1
        self.examinees += 1

    def relevant_count(self) -> int:
        """The smallest count that can still change a pick at the current `examinees`.

        Items given fewer times are under the cap with a negligible price, so a caller
        may read them as 0 (the practice service reads only the counts at or above this).
        """
        reach = 1.0
        if self.price > 0.0:
            reach += self.price_scale * math.log(1.0 / _PRICE_NEGLIGIBLE)
        return max(0, math.floor(self.max_rate * (self.examinees + 1) - reach))

    # --- selection -----------------------------------------------------------------

    def headroom(self) -> FloatArray:
        """Examinees of room each item has under the cap after one more use (>= 0: allowed)."""
        room = self.max_rate * (self.examinees + 1) - self.counts - 1.0
        return np.asarray(room, dtype=np.float64)

    def under_cap(self) -> npt.NDArray[np.bool_]:
        """Items that may still be given without passing max_rate."""
        return self.headroom() >= -_CAP_EPS

    def restrict(self, candidates: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Candidates under the cap, or all candidates when none is (never empties)."""
        mask = np.asarray(candidates, dtype=bool)
        if mask.shape != (self.n_items,):
            raise ValueError(f"candidates has shape {mask.shape}, expected ({self.n_items},)")
        allowed = mask & self.under_cap()
        return allowed if allowed.any() else mask

    def prices(self) -> FloatArray:
        """Each item's price as a share of the bank scale S (0 with `price=0`)."""
        if self.price == 0.0:
            return np.zeros(self.n_items)
        # Over the cap (a fallback pick) costs the same as at it: all are equally scarce.
        return self.price * np.exp(-np.maximum(self.headroom(), 0.0) / self.price_scale)

    def progressive_weight(self, position: int, length: int) -> float:
        """Weight w of information against the random component at this position."""
        if position < 1 or length < 1:
            raise ValueError(f"position and length must be >= 1, got {position}, {length}")
        if self.acceleration == 0.0:
            return 1.0
        return float(min(position / length, 1.0) ** self.acceleration)

    def pick(
        self,
        theta: float,
        a: npt.ArrayLike,
        b: npt.ArrayLike,
        c: npt.ArrayLike,
        candidates: npt.ArrayLike,
        position: int,
        length: int,
        *,
        se: float | None = None,
    ) -> int:
        """The priced choice among `candidates` (bool mask), no restriction applied."""
        if not np.isfinite(theta):
            raise ValueError(f"theta must be finite, got {theta}")
        if se is not None and not (math.isfinite(se) and se >= 0.0):
            raise ValueError(f"se must be finite and >= 0, got {se}")
        aa, bb, cc = validate_item_params(a, b, c)
        if len(aa) != self.n_items:
            raise ValueError(f"the bank has {len(aa)} items, the counts {self.n_items}")
        mask = np.asarray(candidates, dtype=bool)
        if mask.shape != (self.n_items,):
            raise ValueError(f"candidates has shape {mask.shape}, expected ({self.n_items},)")
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            raise ValueError("no item remains to select")
        w = self.progressive_weight(position, length)
        # S: mean information at an item's own difficulty, a^2 (1 - c) / (4 (1 + c)).
        scale = float(np.mean(aa**2 * (1.0 - cc) / (4.0 * (1.0 + cc))))
        if self.posterior_weighted:
            if se is None:
                # About what a CAT's posterior SD is after position - 1 well-chosen items.
                se = 1.0 / math.sqrt(1.0 + (position - 1) * scale)
            valuer = preposterior_information if self.preposterior else expected_information
            value = valuer(float(theta), se, aa[idx], bb[idx], cc[idx])
        else:
            value = np.asarray(information(float(theta), aa[idx], bb[idx], cc[idx]), dtype=float)
        score = value
        if self.price > 0.0:
            score = value - scale * self.prices()[idx]
        if w < 1.0:
            random_part = self.rng.random(idx.size) * float(value.max())
            score = (1.0 - w) * random_part + w * score
        return int(idx[int(np.argmax(score))])

    def select(
        self,
        theta: float,
        a: npt.ArrayLike,
        b: npt.ArrayLike,
        c: npt.ArrayLike,
        administered: Iterable[int] | npt.ArrayLike,
        position: int,
        length: int,
        *,
        se: float | None = None,
    ) -> int:
        """Index of the next item (never one in `administered`: indices or bool mask).

        Raises ValueError when every item has been administered.
        """
        remaining = remaining_mask(administered, self.n_items)
        if not remaining.any():
            raise ValueError("no item remains to select")
        return self.pick(theta, a, b, c, self.restrict(remaining), position, length, se=se)


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
        in_type: npt.NDArray[np.bool_] = candidates & (sub_types == name)
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
    exposure: ExposureControl | None = None,
    position: int = 1,
    length: int = 1,
    se: float | None = None,
) -> int | None:
    """Index of the next item, or None when no eligible item is left.

    Order of filters (each one a preference that relaxes rather than fails):

    1. `eligible` (bool mask): the caller excludes administered items and items
       seen in the last 7 days here.  Hard constraint.
    2. Content balancing: if `target_proportions` is given, keep only the
       sub_type with the largest (target share - administered share) deficit
       that still has eligible items.
    3. Exposure restriction (with `exposure`): drop items whose running rate
       would pass the cap, unless that leaves none.  Before the window, so the
       window widens to reach an item under the cap rather than over-use one.
    4. Difficulty window: keep items with |b - theta| <= w for the first w in
       `windows` that leaves at least one item (so 0.5, 1.0, 2.0, then all).
    5. With `exposure`: its priced pick at `position` of `length`, with the
       posterior SD `se` when given (top_n is ignored).  Otherwise maximum
       information at theta; with top_n > 1 a uniform pick among the top_n most
       informative (randomesque).
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

    if exposure is not None:
        if exposure.n_items != n:
            raise ValueError(f"exposure counts cover {exposure.n_items} items, the bank {n}")
        candidates = exposure.restrict(candidates)

    # Widening window: never empty at the end because inf is appended.
    distance = np.abs(bb - theta)
    for width in (*windows, math.inf):
        in_window = candidates & (distance <= width)
        if in_window.any():
            candidates = in_window
            break

    if exposure is not None:
        return exposure.pick(theta, aa, bb, cc, candidates, position, length, se=se)
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
