"""The 3PL model data: quadrature, parameter box, sparse answers and checks, priors, results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import logit

from ..irt import FloatArray

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int32]
ProgressCallback = Callable[[int, float], None]
SeMethod = Literal["auto", "full", "block"]

N_NODES: int = 41
NODES: FloatArray = np.linspace(-4.0, 4.0, N_NODES)


def latent_log_weights(mean: float = 0.0, sd: float = 1.0) -> FloatArray:
    """Normalised log quadrature weights of N(mean, sd^2) on NODES."""
    log_w = -0.5 * ((NODES - mean) / sd) ** 2
    weights: FloatArray = log_w - np.log(np.exp(log_w - log_w.max()).sum()) - log_w.max()
    return weights


LOG_WEIGHTS: FloatArray = latent_log_weights()

# Parameter box in the working scale (log a, b, logit c): keeps Newton steps
# away from degenerate corners (a -> 0, c -> 1) that no real item occupies.
_ALPHA_BOUNDS = (np.log(0.05), np.log(6.0))
_B_BOUNDS = (-8.0, 8.0)
_GAMMA_BOUNDS = (float(logit(1e-4)), float(logit(0.6)))
_LOWER = np.array([_ALPHA_BOUNDS[0], _B_BOUNDS[0], _GAMMA_BOUNDS[0]])
_UPPER = np.array([_ALPHA_BOUNDS[1], _B_BOUNDS[1], _GAMMA_BOUNDS[1]])
_PQ_FLOOR = 1e-12


@dataclass(frozen=True)
class Answers:
    """The answers given, one per (person, item): the sparse form of the response matrix.

    Sorted by person, then item; no (person, item) pair twice.  Persons and items are
    0-based indices; n_persons may include people with no answer (they carry no
    information but get a theta, the prior's).  Build it with `from_arrays` or
    `from_matrix`, which check and sort.
    """

    person: IntArray
    item: IntArray
    correct: BoolArray
    n_persons: int
    n_items: int

    def __len__(self) -> int:
        return int(self.person.size)

    @classmethod
    def from_arrays(
        cls,
        person: npt.ArrayLike,
        item: npt.ArrayLike,
        correct: npt.ArrayLike,
        *,
        n_items: int,
        n_persons: int | None = None,
    ) -> Answers:
        """Check and sort parallel arrays of person index, item index and 0/1 correct."""
        arrays = []
        for name, value in (("person", person), ("item", item), ("correct", correct)):
            try:
                arr = np.asarray(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be a 1-D numeric array") from exc
            if arr.ndim != 1 or not (arr.dtype.kind in "biuf" or arr.size == 0):
                raise ValueError(f"{name} must be a 1-D numeric array")
            arrays.append(arr)
        pers, items, ok = arrays
        if not pers.size == items.size == ok.size:
            raise ValueError("person, item and correct must have the same length")
        if n_items < 1:
            raise ValueError("n_items must be at least 1")
        if pers.size and (np.any(pers != np.floor(pers)) or np.any(items != np.floor(items))):
            raise ValueError("person and item must be integer indices")
        if not np.all((ok == 0) | (ok == 1)):
            raise ValueError("correct must contain only 0 or 1")
        pers = pers.astype(np.int64, copy=False)
        items = items.astype(np.int64, copy=False)
        if n_persons is None:
            n_persons = int(pers.max()) + 1 if pers.size else 0
        if pers.size and (pers.min() < 0 or pers.max() >= n_persons):
            raise ValueError(f"person index outside [0, {n_persons})")
        if items.size and (items.min() < 0 or items.max() >= n_items):
            raise ValueError(f"item index outside [0, {n_items})")
        key = pers * n_items + items
        if key.size > 1 and not np.all(key[1:] > key[:-1]):
            order = np.argsort(key, kind="stable")
            key = key[order]
            pers, items, ok = pers[order], items[order], ok[order]
            if np.any(key[1:] == key[:-1]):
                raise ValueError("a (person, item) pair is answered more than once")
        return cls(
            person=pers.astype(np.int32),
            item=items.astype(np.int32),
            correct=ok.astype(bool),
            n_persons=int(n_persons),
            n_items=int(n_items),
        )

    @classmethod
    def from_matrix(cls, responses: npt.ArrayLike) -> Answers:
        """From a persons x items matrix of 0/1 with nan where the item was not seen."""
        x, _ = _validate(responses, None)
        person, item = np.nonzero(~np.isnan(x))  # row-major: sorted by person, item
        return cls(
            person=person.astype(np.int32),
            item=item.astype(np.int32),
            correct=x[person, item] == 1.0,
            n_persons=int(x.shape[0]),
            n_items=int(x.shape[1]),
        )


@dataclass(frozen=True)
class _Design:
    """Answers as a persons x (2 items) 0/1 matrix: column 2j = wrong on j, 2j+1 = right.

    One sparse x dense product with the (2J x nodes) table of log Q / log P gives every
    person's log-likelihood at every node; its transpose times the posteriors gives the
    expected wrong/right counts per item and node.  Both are segment sums over the
    answers done in C, with no (answers x nodes) intermediate.
    """

    x: sp.csr_array
    answers: Answers


def _design(answers: Answers) -> _Design:
    column = 2 * answers.item.astype(np.int64) + answers.correct
    # 32-bit indices while they fit: half the memory of the index arrays at 5 M answers.
    index = np.int32 if len(answers) < np.iinfo(np.int32).max else np.int64
    indptr: npt.NDArray[np.integer[Any]] = np.zeros(answers.n_persons + 1, dtype=index)
    np.cumsum(np.bincount(answers.person, minlength=answers.n_persons), out=indptr[1:])
    data: npt.NDArray[np.float64] = np.ones(len(answers), dtype=np.float64)
    indices: npt.NDArray[np.integer[Any]] = column.astype(index)
    x: sp.csr_array[np.float64] = sp.csr_array(
        (data, indices, indptr), shape=(answers.n_persons, 2 * answers.n_items)
    )
    return _Design(x, answers)


@dataclass(frozen=True)
class Priors:
    """Item parameter priors (defaults mirror common mirt 3PL practice)."""

    log_a_mean: float = 0.0
    log_a_sd: float = 0.5
    b_mean: float = 0.0
    b_sd: float = 2.0
    c_alpha: float = 5.0
    c_beta: float = 17.0


@dataclass(frozen=True)
class CalibrationResult:
    """Output of `calibrate_3pl`; arrays are per item unless stated."""

    a: FloatArray
    b: FloatArray
    c: FloatArray
    se_a: FloatArray  # nan for fixed items
    se_b: FloatArray
    se_c: FloatArray
    infit: FloatArray  # information-weighted mean square, ~1 when the item fits
    outfit: FloatArray  # unweighted mean square, ~1 when the item fits
    chi2: FloatArray  # grouped posterior-predictive chi-square
    chi2_df: FloatArray
    chi2_p: FloatArray
    misfit: BoolArray  # True when chi2_p < fit_alpha or infit/outfit far from 1
    n_responses: npt.NDArray[np.int64]
    fixed: BoolArray
    iterations: int
    converged: bool
    loglik: float  # marginal log-likelihood (no priors) at the estimates
    priors: Priors
    latent_mean: float  # 0 and 1 unless the latent distribution was estimated
    latent_sd: float
    theta: FloatArray  # per person EAP under the final parameters
    theta_se: FloatArray  # per person posterior SD


def _validate(
    responses: npt.ArrayLike, fixed: Mapping[int, tuple[float, float, float]] | None
) -> tuple[FloatArray, dict[int, tuple[float, float, float]]]:
    try:
        x = np.asarray(responses, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError("responses must be a numeric persons x items array") from exc
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"responses must be persons x items (2-D), got shape {x.shape}")
    seen = ~np.isnan(x)
    if not np.all((x[seen] == 0.0) | (x[seen] == 1.0)):
        raise ValueError("responses must contain only 0, 1 or nan")
    return x, _validate_fixed(fixed, x.shape[1])


def _validate_fixed(
    fixed: Mapping[int, tuple[float, float, float]] | None, n_items: int
) -> dict[int, tuple[float, float, float]]:
    clean: dict[int, tuple[float, float, float]] = {}
    for key, params in (fixed or {}).items():
        j = int(key)
        if not 0 <= j < n_items:
            raise ValueError(f"fixed item index {key} outside [0, {n_items})")
        a, b, c = (float(v) for v in params)
        if not (a > 0.0 and np.isfinite(b) and 0.0 <= c < 1.0):
            raise ValueError(f"fixed item {j}: need a > 0, finite b, 0 <= c < 1")
        clean[j] = (a, b, c)
    return clean
