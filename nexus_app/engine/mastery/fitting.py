"""Fitting a model on answer sequences (grid search, then Nelder-Mead refinement)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from ..irt import FloatArray
from .models import BKTModel, EloModel, MasteryModel
from .steps import (
    MASTERY_MAX,
    MASTERY_MIN,
    bkt_predict,
    bkt_step,
    elo_predict,
    elo_step,
    rating_to_mastery,
)

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
    loss: FloatArray = -(weights * (y * np.log(p) + (1.0 - y) * np.log1p(-p))).sum(axis=-1)
    return loss


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
    valid: Callable[[FloatArray], bool] | None = None,
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

    def valid(x: FloatArray) -> bool:
        return all(lo <= v <= hi for v, (lo, hi) in zip(x, bounds, strict=True))

    def loss(pi: FloatArray, pl: FloatArray, pg: FloatArray, ps: FloatArray) -> FloatArray:
        return _bkt_losses(seqs, pi, pl, pg, ps)

    x, _ = _grid_then_refine(loss, axes, bounds, valid=valid)
    return BKTModel(
        p_init=float(x[0]), p_learn=float(x[1]), p_guess=float(x[2]), p_slip=float(x[3])
    )
