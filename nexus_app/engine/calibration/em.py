"""The EM steps: item curves, priors, Fisher-scoring M-step, sparse E-step, start values."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from ..irt import FloatArray, log_pq
from .model import _LOWER, _PQ_FLOOR, _UPPER, LOG_WEIGHTS, N_NODES, NODES, Answers, Priors, _Design


def _unpack(par: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    return np.exp(par[:, 0]), par[:, 1].copy(), expit(par[:, 2])


def _pack(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    par = np.column_stack([np.log(a), b, logit(c)])
    packed: FloatArray = np.clip(par, _LOWER, _UPPER)
    return packed


def _item_curves(par: FloatArray) -> tuple[FloatArray, FloatArray]:
    """P (J x Q) and dP/d(log a, b, logit c) (3 x J x Q) at the nodes."""
    a, b, c = _unpack(par)
    dist = NODES[None, :] - b[:, None]
    logistic = expit(a[:, None] * dist)
    p = c[:, None] + (1.0 - c[:, None]) * logistic
    slope = (a * (1.0 - c))[:, None] * logistic * (1.0 - logistic)
    d_p = np.stack([slope * dist, -slope, (c * (1.0 - c))[:, None] * (1.0 - logistic)])
    return p, d_p


def _log_curves(par: FloatArray) -> tuple[FloatArray, FloatArray]:
    a, b, c = _unpack(par)
    return log_pq(NODES[None, :], a[:, None], b[:, None], c[:, None])


def _log_prior(par: FloatArray, priors: Priors) -> FloatArray:
    c = expit(par[:, 2])
    return (
        -0.5 * ((par[:, 0] - priors.log_a_mean) / priors.log_a_sd) ** 2
        - 0.5 * ((par[:, 1] - priors.b_mean) / priors.b_sd) ** 2
        + (priors.c_alpha - 1.0) * np.log(c)
        + (priors.c_beta - 1.0) * np.log1p(-c)
    )


def _objective(par: FloatArray, r: FloatArray, n: FloatArray, priors: Priors) -> FloatArray:
    """Per item expected complete-data log-posterior (the M-step target)."""
    log_p, log_q = _log_curves(par)
    value: FloatArray = (r * log_p).sum(1) + ((n - r) * log_q).sum(1) + _log_prior(par, priors)
    return value


def _score_info(
    par: FloatArray, r: FloatArray, n: FloatArray, priors: Priors
) -> tuple[FloatArray, FloatArray]:
    """Gradient (J x 3) and Fisher information (J x 3 x 3) incl. priors."""
    p, d_p = _item_curves(par)
    pq = np.maximum(p * (1.0 - p), _PQ_FLOOR)
    grad = np.einsum("kjq,jq->jk", d_p, (r - n * p) / pq)
    info = np.einsum("kjq,ljq,jq->jkl", d_p, d_p, n / pq)
    c = expit(par[:, 2])
    grad[:, 0] -= (par[:, 0] - priors.log_a_mean) / priors.log_a_sd**2
    grad[:, 1] -= (par[:, 1] - priors.b_mean) / priors.b_sd**2
    grad[:, 2] += (priors.c_alpha - 1.0) * (1.0 - c) - (priors.c_beta - 1.0) * c
    info[:, 0, 0] += 1.0 / priors.log_a_sd**2
    info[:, 1, 1] += 1.0 / priors.b_sd**2
    info[:, 2, 2] += (priors.c_alpha + priors.c_beta - 2.0) * c * (1.0 - c)
    return grad, info


def _m_step(
    par: FloatArray, r: FloatArray, n: FloatArray, priors: Priors, n_steps: int = 3
) -> FloatArray:
    """A few Fisher-scoring steps for all (free) items jointly."""
    par = par.copy()
    obj = _objective(par, r, n, priors)
    for _ in range(n_steps):
        grad, info = _score_info(par, r, n, priors)
        step = np.linalg.solve(info, grad[..., None])[..., 0]
        # Trust region of 1 unit per working parameter: early EM posteriors
        # are poor and a full scoring step can overshoot badly.
        step /= np.maximum(1.0, np.abs(step).max(1))[:, None]
        accepted = np.zeros(len(par), dtype=bool)
        for _halving in range(8):
            todo = ~accepted
            trial = par.copy()
            trial[todo] = np.clip(par[todo] + step[todo], _LOWER, _UPPER)
            new_obj = _objective(trial, r, n, priors)
            ok = todo & (new_obj >= obj - 1e-10)
            par[ok] = trial[ok]
            obj[ok] = new_obj[ok]
            accepted |= ok
            if accepted.all():
                break
            step[~accepted] *= 0.5
        if np.abs(step).max() < 1e-7:
            break
    return par


def _e_step(
    design: _Design,
    par: FloatArray,
    log_weights: FloatArray = LOG_WEIGHTS,
) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """Posterior over nodes per person and expected counts per item x node.

    Returns (r, n, posterior, marginal loglik): r = expected number correct,
    n = expected number answering, both J x Q.
    """
    log_p, log_q = _log_curves(par)
    table = np.empty((2 * len(par), N_NODES))
    table[0::2], table[1::2] = log_q, log_p
    log_post = design.x @ table + log_weights
    peak = log_post.max(1, keepdims=True)
    post = np.exp(log_post - peak)
    norm = post.sum(1, keepdims=True)
    post /= norm
    loglik = float(np.sum(peak[:, 0] + np.log(norm[:, 0])))
    # x.T is the CSC view of the same arrays: it walks persons in order and scatters
    # into the small 2J x Q result (a CSR transpose would gather from all of post).
    counts = design.x.T @ post
    r = counts[1::2]
    n = r + counts[0::2]
    return r, n, post, loglik


def _start_values(answers: Answers) -> FloatArray:
    """a = 1, c = 0.2, b from the guessing-corrected proportion correct."""
    n_obs = np.bincount(answers.item, minlength=answers.n_items).astype(float)
    n_right = np.bincount(answers.item, weights=answers.correct, minlength=answers.n_items)
    p = np.where(n_obs > 0, (n_right + 0.5) / (n_obs + 1.0), 0.6)
    p_adj = np.clip((p - 0.2) / 0.8, 0.05, 0.95)
    # Averaging over theta ~ N(0, 1) flattens the logit of the proportion by
    # about sqrt(1 + pi * a^2 / 8) ~ 1.2 for a = 1 (probit approximation).
    b = np.clip(-logit(p_adj) * 1.2, -3.0, 3.0)
    j = answers.n_items
    return _pack(np.ones(j), b, np.full(j, 0.2))
