"""Standard errors (full observed information or per-item blocks) and item fit."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2 as chi2_dist

from ..irt import FloatArray
from .em import _e_step, _item_curves, _log_curves, _score_info
from .model import _PQ_FLOOR, LOG_WEIGHTS, NODES, Answers, BoolArray, Priors, _Design

# Answers per chunk in the per-answer passes (SE blocks): bounds their scratch memory
# (chunk x 41 nodes x 3 parameters x 8 bytes, about 100 MB).
_CHUNK: int = 100_000


def _observed_se(
    design: _Design,
    par: FloatArray,
    free: BoolArray,
    priors: Priors,
    log_weights: FloatArray = LOG_WEIGHTS,
) -> tuple[FloatArray, bool]:
    """SEs (J x 3, working scale) from the numerical observed information.

    When the latent mean/SD were estimated (linking) they are held at their
    estimates here, which understates item SEs slightly.

    The gradient of the marginal log-posterior is exact via Fisher's
    identity (E-step counts plugged into the item score), so central
    differences of it give the Hessian with only 2 E-steps per parameter.
    Returns (se, ok); ok is False when the Hessian was not negative
    definite and the block-diagonal Fisher information was used instead.
    """
    free_idx = np.flatnonzero(free)
    k = 3 * len(free_idx)
    se = np.full(par.shape, np.nan)
    if k == 0:
        return se, True

    def gradient(p: FloatArray) -> FloatArray:
        r, n, _, _ = _e_step(design, p, log_weights)
        g, _ = _score_info(p[free_idx], r[free_idx], n[free_idx], priors)
        return g.ravel()

    h = 1e-4
    hess = np.empty((k, k))
    for col in range(k):
        item, param = free_idx[col // 3], col % 3
        up, down = par.copy(), par.copy()
        up[item, param] += h
        down[item, param] -= h
        hess[:, col] = (gradient(up) - gradient(down)) / (2.0 * h)
    hess = 0.5 * (hess + hess.T)
    try:
        chol = np.linalg.cholesky(-hess)
        cov = np.linalg.inv(chol).T @ np.linalg.inv(chol)
        se[free_idx] = np.sqrt(np.diag(cov)).reshape(-1, 3)
        return se, True
    except np.linalg.LinAlgError:
        r, n, _, _ = _e_step(design, par, log_weights)
        _, info = _score_info(par[free_idx], r[free_idx], n[free_idx], priors)
        se[free_idx] = np.sqrt(np.diagonal(np.linalg.inv(info), axis1=1, axis2=2))
        return se, False


def _block_observed_se(
    design: _Design,
    par: FloatArray,
    free: BoolArray,
    priors: Priors,
    log_weights: FloatArray = LOG_WEIGHTS,
) -> tuple[FloatArray, bool]:
    """SEs (J x 3, working scale) from the item-diagonal blocks of the observed information.

    Louis's identity per item j: -H_jj = -(Hessian of the M-step objective, counts held)
    - sum_q [r s1 s1' + (n - r) s0 s0'] + sum_i m_ij m_ij', where s1 = dlog P, s0 = dlog Q
    at the nodes and m_ij is person i's posterior mean of the score of their answer to j.
    These are exactly the diagonal blocks of the Hessian `_observed_se` differentiates
    numerically, for one E-step and one pass over the answers; leaving out the small
    cross-item blocks makes the SEs slightly optimistic.  Items whose block is not
    positive definite get their Fisher-information SEs; ok is False then.
    """
    se = np.full(par.shape, np.nan)
    free_idx = np.flatnonzero(free)
    if free_idx.size == 0:
        return se, True
    r, n, post, _ = _e_step(design, par, log_weights)
    pf, rf, nf = par[free_idx], r[free_idx], n[free_idx]
    # Hessian of the (separable) M-step objective: central differences of its exact
    # gradient, one working parameter of every item at a time.
    h = 1e-4
    hess = np.empty((free_idx.size, 3, 3))
    for k in range(3):
        up, down = pf.copy(), pf.copy()
        up[:, k] += h
        down[:, k] -= h
        hess[:, :, k] = (
            _score_info(up, rf, nf, priors)[0] - _score_info(down, rf, nf, priors)[0]
        ) / (2.0 * h)
    hess = 0.5 * (hess + hess.transpose(0, 2, 1))
    p_nodes, d_p = _item_curves(par)
    s1 = d_p / np.maximum(p_nodes, _PQ_FLOOR)  # 3 x J x Q
    s0 = -d_p / np.maximum(1.0 - p_nodes, _PQ_FLOOR)
    info = -hess
    info -= np.einsum("jq,kjq,ljq->jkl", rf, s1[:, free_idx], s1[:, free_idx])
    info -= np.einsum("jq,kjq,ljq->jkl", nf - rf, s0[:, free_idx], s0[:, free_idx])
    # sum_i m m' per item, in chunks of answers (each needs its person's posterior).
    answers = design.answers
    scores = np.stack([s0, s1], axis=2)  # 3 x J x 2 x Q
    outer = np.zeros((answers.n_items, 3, 3))
    for start in range(0, len(answers), _CHUNK):
        stop = start + _CHUNK
        person, item = answers.person[start:stop], answers.item[start:stop]
        right = answers.correct[start:stop].astype(np.intp)
        m = np.einsum("aq,kaq->ak", post[person], scores[:, item, right])
        for k in range(3):
            for ll in range(k, 3):
                outer[:, k, ll] += np.bincount(
                    item, weights=m[:, k] * m[:, ll], minlength=answers.n_items
                )
    outer = np.triu(outer) + np.triu(outer, 1).transpose(0, 2, 1)
    info += outer[free_idx]
    ok = np.ones(free_idx.size, dtype=bool)
    block_se = np.full((free_idx.size, 3), np.nan)
    for row in range(free_idx.size):
        try:
            chol = np.linalg.cholesky(info[row])
        except np.linalg.LinAlgError:
            ok[row] = False
            continue
        inv_chol = np.linalg.inv(chol)
        block_se[row] = np.sqrt(np.diag(inv_chol.T @ inv_chol))
    if not ok.all():
        _, fisher = _score_info(pf[~ok], rf[~ok], nf[~ok], priors)
        block_se[~ok] = np.sqrt(np.diagonal(np.linalg.inv(fisher), axis1=1, axis2=2))
    se[free_idx] = block_se
    return se, bool(ok.all())


def _item_fit(
    answers: Answers,
    par: FloatArray,
    post: FloatArray,
    n_groups: int,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Leave-item-out posterior-predictive fit statistics per item.

    For item j and person i the prediction is E_i = sum_q post_i^(-j)(q) P_j(q)
    where post^(-j) is the person's posterior with item j's own response
    removed.  E_i is then an honest predictive probability for x_ij, so the
    standardised residuals have mean 0 and variance 1 under the model (plain
    EAP-plug-in residuals are biased towards fitting).  From them:

    * outfit = mean z^2, infit = sum (x-E)^2 / sum E(1-E)   (both ~1);
    * chi2 = sum over groups of (O_g - E_g)^2 / V_g with persons grouped by
      their leave-item-out EAP (n_groups quantile groups), df = groups - 3
      (three estimated parameters, in the spirit of Yen's Q1).
    """
    n_items = answers.n_items
    log_p, log_q = _log_curves(par)
    p_nodes = np.exp(log_p)
    out = {k: np.full(n_items, np.nan) for k in ("infit", "outfit", "chi2", "df", "p")}
    # Answers grouped by item; stable, so each item's answerers stay in person order.
    by_item = np.argsort(answers.item, kind="stable")
    bounds = np.searchsorted(answers.item[by_item], np.arange(n_items + 1))
    for j in range(n_items):
        mine = by_item[bounds[j] : bounds[j + 1]]
        if mine.size == 0:
            continue
        rows = answers.person[mine]
        right = answers.correct[mine]
        own = np.where(right[:, None], log_p[j], log_q[j])
        rest = post[rows] * np.exp(-(own - own.max(1, keepdims=True)))
        rest /= rest.sum(1, keepdims=True)
        expected = rest @ p_nodes[j]
        variance = np.maximum(expected * (1.0 - expected), _PQ_FLOOR)
        resid = right - expected
        out["outfit"][j] = float(np.mean(resid**2 / variance))
        out["infit"][j] = float(np.sum(resid**2) / np.sum(variance))
        groups = min(n_groups, rows.size // 20)
        if groups >= 4:
            order = np.argsort(rest @ NODES, kind="stable")
            stat = 0.0
            for g in np.array_split(order, groups):
                stat += float(resid[g].sum() ** 2 / variance[g].sum())
            out["chi2"][j] = stat
            out["df"][j] = groups - 3
            out["p"][j] = float(chi2_dist.sf(stat, groups - 3))
    return out["infit"], out["outfit"], out["chi2"], out["df"], out["p"]
