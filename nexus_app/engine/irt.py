"""3PL item response theory core: probabilities, information, theta, selection.

Model (logistic scale D = 1.0)::

    P(correct | theta) = c + (1 - c) / (1 + exp(-a * (theta - b)))

This is the stable interface used by the rest of Nexus and by outside checks.
Only numpy, scipy and the standard library are imported here.
"""

from collections.abc import Callable, Iterable
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit

FloatArray = npt.NDArray[np.float64]
FloatOrArray = float | FloatArray
Method = Literal["eap", "map", "mle"]

# An item not yet calibrated: average discrimination and difficulty, and the guessing floor of
# five options.
DEFAULT_A: float = 1.0
DEFAULT_B: float = 0.0
DEFAULT_C: float = 0.2

THETA_MIN: float = -4.0
THETA_MAX: float = 4.0
PRIOR_MEAN: float = 0.0
PRIOR_SD: float = 1.0


def item_params(a: float | None, b: float | None, c: float | None) -> tuple[float, float, float]:
    """An item's 3PL (a, b, c) as stored, with the defaults where it has none. A zero
    discrimination counts as none (it would make the item say nothing); a zero guessing
    parameter is a real value."""
    return (
        a or DEFAULT_A,
        b if b is not None else DEFAULT_B,
        c if c is not None else DEFAULT_C,
    )


# 81 equally spaced nodes on [-4, 4] (step 0.1).  For smooth posteriors a
# uniform-grid sum is already far more accurate than the 1e-4 we need, and the
# same grid is reused by the incremental estimator in cat.py so both agree.
QUADRATURE: FloatArray = np.linspace(THETA_MIN, THETA_MAX, 81)
LOG_PRIOR: FloatArray = -0.5 * ((QUADRATURE - PRIOR_MEAN) / PRIOR_SD) ** 2

_METHODS: frozenset[str] = frozenset({"eap", "map", "mle"})


def _as_output(x: npt.ArrayLike) -> FloatOrArray:
    """Return plain floats for scalar results, arrays otherwise."""
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def probability(
    theta: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike
) -> FloatOrArray:
    """P(correct) under the 3PL model; all arguments broadcast."""
    th, aa, bb, cc = (np.asarray(v, dtype=float) for v in (theta, a, b, c))
    # expit is overflow-safe, unlike 1 / (1 + exp(-z)).
    return _as_output(cc + (1.0 - cc) * expit(aa * (th - bb)))


def information(
    theta: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike
) -> FloatOrArray:
    """Fisher information a^2 * (Q/P) * ((P-c)/(1-c))^2; broadcasts."""
    th, aa, bb, cc = (np.asarray(v, dtype=float) for v in (theta, a, b, c))
    logistic = expit(aa * (th - bb))
    p = cc + (1.0 - cc) * logistic
    # (P - c) / (1 - c) is exactly the logistic part; computing it directly
    # avoids 0/0 when c == 1 and cancellation when P is close to c.
    q = (1.0 - cc) * (1.0 - logistic)
    with np.errstate(divide="ignore", invalid="ignore"):
        info = np.where(p > 0.0, aa**2 * (q / p) * logistic**2, 0.0)
    return _as_output(info)


def log_pq(
    theta: npt.ArrayLike, a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Return (log P, log Q) computed stably; broadcasts like `probability`."""
    th, aa, bb, cc = (np.asarray(v, dtype=float) for v in (theta, a, b, c))
    z = aa * (th - bb)
    with np.errstate(divide="ignore"):
        log_c = np.log(cc)
        log_1mc = np.log1p(-cc)
    # log(c + (1-c) L) = logaddexp(log c, log(1-c) + log L): exact for c == 0.
    log_p = np.logaddexp(log_c, log_1mc + log_expit(z))
    log_q = log_1mc + log_expit(-z)
    return np.asarray(log_p), np.asarray(log_q)


def validate_item_params(
    a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Coerce a, b, c to equal-length 1-D float arrays or raise ValueError."""
    arrays = []
    for name, value in (("a", a), ("b", b), ("c", c)):
        try:
            arr = np.atleast_1d(np.asarray(value, dtype=float))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric") from exc
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must contain only finite values")
        arrays.append(arr)
    aa, bb, cc = arrays
    if not (len(aa) == len(bb) == len(cc)):
        raise ValueError(
            f"a, b and c must have the same length (got {len(aa)}, {len(bb)}, {len(cc)})"
        )
    if np.any((cc < 0.0) | (cc >= 1.0)):
        raise ValueError("c (guessing) must lie in [0, 1)")
    return aa, bb, cc


def _validate_responses(responses: npt.ArrayLike, n_items: int) -> FloatArray:
    """Coerce responses to a 1-D float array of 0/1 of length n_items."""
    try:
        r = np.atleast_1d(np.asarray(responses, dtype=float))
    except (TypeError, ValueError) as exc:
        raise ValueError("responses must be numeric 0/1 values") from exc
    if r.ndim != 1:
        raise ValueError(f"responses must be one-dimensional, got shape {r.shape}")
    if len(r) != n_items:
        raise ValueError(f"responses has length {len(r)} but item parameters have length {n_items}")
    if not np.all((r == 0.0) | (r == 1.0)):
        raise ValueError("responses must contain only 0 and 1 (no nan or others)")
    return r


def grid_loglik(
    responses: FloatArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    grid: FloatArray = QUADRATURE,
) -> FloatArray:
    """Log-likelihood of a response vector at every grid point (no checks)."""
    log_p, log_q = log_pq(grid[None, :], a[:, None], b[:, None], c[:, None])
    return responses @ log_p + (1.0 - responses) @ log_q


def posterior_moments(log_posterior: FloatArray, grid: FloatArray) -> tuple[float, float]:
    """Mean and SD of a posterior known up to a constant on a uniform grid."""
    w = np.exp(log_posterior - log_posterior.max())
    w /= w.sum()
    mean = float(w @ grid)
    var = float(w @ (grid - mean) ** 2)
    return mean, float(np.sqrt(max(var, 0.0)))


def _refine_max(
    objective_on_grid: FloatArray,
    objective: Callable[[float], float],
    grid: FloatArray,
) -> float:
    """Maximise a 1-D objective: grid argmax, then Brent within neighbour cells.

    The grid scan protects against the rare multi-modal 3PL likelihood; the
    bounded Brent step gives full precision at negligible cost.
    """
    k = int(np.argmax(objective_on_grid))
    lo = grid[max(k - 1, 0)]
    hi = grid[min(k + 1, len(grid) - 1)]
    res = minimize_scalar(
        lambda t: -objective(t),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-7},
    )
    best = float(res.x)
    # Keep the grid point if Brent somehow did worse (it should not).
    if objective(best) < objective_on_grid[k]:
        best = float(grid[k])
    return float(np.clip(best, THETA_MIN, THETA_MAX))


def estimate_theta(
    responses: npt.ArrayLike,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    c: npt.ArrayLike,
    method: str = "eap",
) -> tuple[float, float]:
    """Estimate ability from 0/1 responses to the given items.

    Returns (theta, se), theta clipped to [-4, 4].

    * "eap": posterior mean/SD under N(0, 1) by 81-point quadrature on [-4, 4].
    * "map": posterior mode with the same prior; SE = 1/sqrt(I(theta) + 1).
    * "mle": likelihood maximum; SE = 1/sqrt(I(theta)).  Falls back to MAP while
      all answers are right or all wrong (the MLE is then infinite), and returns
      the prior mean and SD with zero responses.
    """
    if method not in _METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {sorted(_METHODS)}")
    aa, bb, cc = validate_item_params(a, b, c)
    r = _validate_responses(responses, len(aa))

    if len(r) == 0:
        return PRIOR_MEAN, PRIOR_SD
    if method == "mle" and (r.min() == r.max()):
        method = "map"

    loglik = grid_loglik(r, aa, bb, cc)
    if method == "eap":
        return posterior_moments(loglik + LOG_PRIOR, QUADRATURE)

    def loglik_at(t: float) -> float:
        log_p, log_q = log_pq(t, aa, bb, cc)
        return float(r @ log_p + (1.0 - r) @ log_q)

    if method == "map":

        def log_post(t: float) -> float:
            return loglik_at(t) - 0.5 * ((t - PRIOR_MEAN) / PRIOR_SD) ** 2

        theta = _refine_max(loglik + LOG_PRIOR, log_post, QUADRATURE)
        info = float(np.sum(information(theta, aa, bb, cc)))
        return theta, float(1.0 / np.sqrt(info + 1.0 / PRIOR_SD**2))

    theta = _refine_max(loglik, loglik_at, QUADRATURE)
    info = float(np.sum(information(theta, aa, bb, cc)))
    return theta, float(1.0 / np.sqrt(info)) if info > 0.0 else float("inf")


def remaining_mask(
    administered: Iterable[int] | npt.ArrayLike, n_items: int
) -> npt.NDArray[np.bool_]:
    """Boolean mask of items NOT administered.

    `administered` is either a boolean mask of length n_items or a collection
    of integer indices (set, list, tuple, array).
    """
    if isinstance(administered, np.ndarray) and administered.dtype == bool:
        mask = administered
    else:
        items = list(cast("Iterable[Any]", administered))  # sets/generators: no array protocol
        arr = np.asarray(items)
        if arr.dtype == bool and len(items) > 0:
            mask = arr
        else:
            idx = np.asarray(items, dtype=np.int64) if items else np.empty(0, np.int64)
            if idx.ndim != 1:
                raise ValueError("administered must be a 1-D collection of indices")
            if np.any((idx < 0) | (idx >= n_items)):
                raise ValueError(
                    f"administered indices must be in [0, {n_items}), got {idx.tolist()}"
                )
            remaining = np.ones(n_items, dtype=bool)
            remaining[idx] = False
            return remaining
    if mask.shape != (n_items,):
        raise ValueError(f"administered mask has shape {mask.shape}, expected ({n_items},)")
    return ~mask


def pick_top(
    scores: FloatArray,
    candidates: npt.NDArray[np.bool_],
    top_n: int,
    rng: np.random.Generator | None,
) -> int:
    """Index of the best candidate, or a uniform pick among the top_n best."""
    if top_n < 1:
        raise ValueError("top_n must be >= 1")
    idx = np.flatnonzero(candidates)
    if idx.size == 0:
        raise ValueError("no item remains to select")
    vals = scores[idx]
    if top_n == 1 or idx.size == 1:
        return int(idx[np.argmax(vals)])
    k = min(top_n, idx.size)
    top = idx[np.argpartition(-vals, k - 1)[:k]]
    gen = rng if rng is not None else np.random.default_rng()
    return int(top[gen.integers(k)])


def select_item(
    theta: float,
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    c: npt.ArrayLike,
    administered: Iterable[int] | npt.ArrayLike,
    rng: np.random.Generator | None = None,
    top_n: int = 1,
) -> int:
    """Next item: maximum information at theta among items not administered.

    With top_n > 1 it picks uniformly among the top_n most informative
    remaining items (randomesque exposure control).  Raises ValueError when no
    item remains.
    """
    if not np.isfinite(theta):
        raise ValueError(f"theta must be finite, got {theta}")
    aa, bb, cc = validate_item_params(a, b, c)
    remaining = remaining_mask(administered, len(aa))
    info = np.asarray(information(float(theta), aa, bb, cc))
    return pick_top(info, remaining, top_n, rng)


def calibrate(
    responses: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Estimate 3PL (a, b, c) from a persons x items 0/1 matrix (nan = unseen).

    Thin wrapper over `calibration.calibrate_3pl` (MML-EM with priors).
    """
    # Imported lazily: calibration imports this module.
    from .calibration import calibrate_3pl

    result = calibrate_3pl(responses)
    return result.a, result.b, result.c
