"""3PL item calibration by marginal maximum likelihood (Bock-Aitkin EM).

* Latent distribution fixed at N(0, 1) on 41 quadrature nodes in [-4, 4];
  fixing it is what identifies the scale (and what lets fixed items link new
  items onto the existing scale).
* Priors like mirt's defaults for 3PL work: log a ~ N(0, 0.5),
  b ~ N(0, 2), c ~ Beta(5, 17) (mean ~0.23, fits 5-option items).  Estimates
  are therefore posterior modes (MAP / "Bayes modal"), which keeps c and a
  sane for items few people answered.
* M-step: Fisher scoring in (log a, b, logit c), all free items at once with
  batched 3x3 solves, with per-item step halving so the expected complete-data
  log-posterior never decreases (a generalised EM, so EM's monotonicity holds).
* Sparse: the data are the answers actually given (`Answers`: person, item,
  correct), never a persons x items matrix, so the cost grows with the answers
  (issue 16: 100,000 students x 1,000 items with 5 M answers).  The E-step's
  sums over a person's answers and over an item's answerers are sparse x dense
  products on the quadrature nodes.  `calibrate_3pl` takes the old dense
  matrix (nan = unseen) and converts it, so both give the same estimates.
* SEs: numerical Hessian (central differences of the exact Fisher-identity
  gradient) of the marginal log-posterior, i.e. the observed information;
  for large banks the item-diagonal blocks of the same observed information
  (Louis's identity), which costs one pass instead of 2 E-steps per parameter.
* Item fit: infit/outfit mean squares and a grouped chi-square computed from
  leave-item-out posterior predictions (see `_item_fit`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.special import expit, logit
from scipy.stats import chi2 as chi2_dist

from .irt import FloatArray, log_pq

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int32]
ProgressCallback = Callable[[int, float], None]
SeMethod = Literal["auto", "full", "block"]

N_NODES: int = 41
NODES: FloatArray = np.linspace(-4.0, 4.0, N_NODES)


def latent_log_weights(mean: float = 0.0, sd: float = 1.0) -> FloatArray:
    """Normalised log quadrature weights of N(mean, sd^2) on NODES."""
    log_w = -0.5 * ((NODES - mean) / sd) ** 2
    return log_w - np.log(np.exp(log_w - log_w.max()).sum()) - log_w.max()


LOG_WEIGHTS: FloatArray = latent_log_weights()

# Parameter box in the working scale (log a, b, logit c): keeps Newton steps
# away from degenerate corners (a -> 0, c -> 1) that no real item occupies.
_ALPHA_BOUNDS = (np.log(0.05), np.log(6.0))
_B_BOUNDS = (-8.0, 8.0)
_GAMMA_BOUNDS = (float(logit(1e-4)), float(logit(0.6)))
_LOWER = np.array([_ALPHA_BOUNDS[0], _B_BOUNDS[0], _GAMMA_BOUNDS[0]])
_UPPER = np.array([_ALPHA_BOUNDS[1], _B_BOUNDS[1], _GAMMA_BOUNDS[1]])
_PQ_FLOOR = 1e-12
# "auto" SEs: the full numerical Hessian costs 2 E-steps per free parameter (600 for 100
# items), each a pass over all answers, so above this many free items, or this many
# (answers x free items), the per-item blocks are used instead.  The second limit keeps
# the full SEs under ~10 s here (40 items x 5,000 persons = 6.4 M; 100 x 2,000 x 20 = 8 M).
FULL_SE_MAX_ITEMS: int = 100
FULL_SE_MAX_WORK: int = 20_000_000
# Answers per chunk in the per-answer passes (SE blocks): bounds their scratch memory
# (chunk x 41 nodes x 3 parameters x 8 bytes, about 100 MB).
_CHUNK: int = 100_000


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
    ) -> "Answers":
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
    def from_matrix(cls, responses: npt.ArrayLike) -> "Answers":
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
    index = np.int32 if len(answers) < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(answers.n_persons + 1, dtype=index)
    np.cumsum(np.bincount(answers.person, minlength=answers.n_persons), out=indptr[1:])
    x = sp.csr_array(
        (np.ones(len(answers)), column.astype(index), indptr),
        shape=(answers.n_persons, 2 * answers.n_items),
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


def _unpack(par: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    return np.exp(par[:, 0]), par[:, 1].copy(), expit(par[:, 2])


def _pack(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    par = np.column_stack([np.log(a), b, logit(c)])
    return np.clip(par, _LOWER, _UPPER)


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
    return (r * log_p).sum(1) + ((n - r) * log_q).sum(1) + _log_prior(par, priors)


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


def _full_se_affordable(answers: Answers, free: BoolArray) -> bool:
    n_free = int(free.sum())
    return n_free <= FULL_SE_MAX_ITEMS and len(answers) * n_free <= FULL_SE_MAX_WORK


def calibrate_3pl(
    responses: npt.ArrayLike,
    *,
    fixed: Mapping[int, tuple[float, float, float]] | None = None,
    max_iter: int = 500,
    tol: float = 1e-4,
    priors: Priors | None = None,
    progress: ProgressCallback | None = None,
    estimate_latent: bool | None = None,
    compute_se: bool = True,
    fit_groups: int = 10,
    fit_alpha: float = 0.01,
    se_method: SeMethod = "auto",
) -> CalibrationResult:
    """Calibrate 3PL items by MML-EM with priors from a dense response matrix.

    responses: persons x items array of 0/1, nan where the item was not seen.
    Converted to `Answers` and passed to `calibrate_answers` (see there for the
    options); large data should be given as `Answers` directly.
    """
    x, fixed_params = _validate(responses, fixed)
    return calibrate_answers(
        Answers.from_matrix(x),
        fixed=fixed_params,
        max_iter=max_iter,
        tol=tol,
        priors=priors,
        progress=progress,
        estimate_latent=estimate_latent,
        compute_se=compute_se,
        fit_groups=fit_groups,
        fit_alpha=fit_alpha,
        se_method=se_method,
    )


def calibrate_answers(
    answers: Answers,
    *,
    fixed: Mapping[int, tuple[float, float, float]] | None = None,
    max_iter: int = 500,
    tol: float = 1e-4,
    priors: Priors | None = None,
    progress: ProgressCallback | None = None,
    estimate_latent: bool | None = None,
    compute_se: bool = True,
    fit_groups: int = 10,
    fit_alpha: float = 0.01,
    se_method: SeMethod = "auto",
) -> CalibrationResult:
    """Calibrate 3PL items by MML-EM with priors from the answers given.

    answers: one record per (person, item) answered (`Answers`).
    fixed: item index -> (a, b, c) held at those values (anchor items), so
      free items are estimated on the anchors' scale.
    tol: stop when no free a, b or c moved by more than tol in an iteration.
    progress: called as progress(iteration, max_change) after each iteration.
    estimate_latent: also estimate the mean and SD of the (normal) ability
      distribution each EM cycle.  Default: True when there are fixed items
      (they identify the scale, so a new cohort that is abler or weaker than
      the calibration cohort shows up as a shifted distribution instead of
      shifted item difficulties; Kim's 2006 multiple-weights-updating FPC),
      False otherwise (N(0, 1) identifies the scale).
    compute_se: skip the observed-information SEs if False.
    se_method: "full" = inverse of the numerical observed-information Hessian
      over all free parameters (2 E-steps per parameter); "block" = its
      per-item 3x3 blocks (one pass, for large banks); "auto" = full up to
      FULL_SE_MAX_ITEMS free items and FULL_SE_MAX_WORK answers x free items,
      block above.
    """
    if not isinstance(answers, Answers):
        raise ValueError("answers must be an Answers (see Answers.from_arrays)")
    if se_method not in ("auto", "full", "block"):
        raise ValueError(f"unknown se_method {se_method!r}")
    fixed_params = _validate_fixed(fixed, answers.n_items)
    priors = priors or Priors()
    design = _design(answers)
    n_items = answers.n_items

    par = _start_values(answers)
    is_fixed = np.zeros(n_items, dtype=bool)
    for j, (a, b, c) in fixed_params.items():
        is_fixed[j] = True
        # Fixed values are stored unclipped: anchors must stay exactly as given.
        par[j] = [np.log(a), b, logit(c) if c > 0 else -np.inf]
    free = ~is_fixed

    if estimate_latent is None:
        estimate_latent = bool(is_fixed.any())
    # People with no response carry no information.
    answered = np.bincount(answers.person, minlength=answers.n_persons) > 0
    latent_mean, latent_sd = 0.0, 1.0
    log_weights = LOG_WEIGHTS

    converged = False
    iteration = 0
    old = np.column_stack(_unpack(par))
    for iteration in range(1, max_iter + 1):
        r, n, post, _ = _e_step(design, par, log_weights)
        if free.any():
            par[free] = _m_step(par[free], r[free], n[free], priors)
        new = np.column_stack(_unpack(par))
        change = float(np.abs(new[free] - old[free]).max()) if free.any() else 0.0
        old = new
        if estimate_latent and answered.any():
            # Normal latent distribution with moments from the posteriors;
            # bounded so the [-4, 4] node grid still covers +-3 SD.
            eap = post[answered] @ NODES
            second = post[answered] @ NODES**2
            new_mean = float(np.clip(eap.mean(), -1.5, 1.5))
            new_sd = float(np.clip(np.sqrt(max(second.mean() - new_mean**2, 0.0)), 0.3, 2.0))
            change = max(change, abs(new_mean - latent_mean), abs(new_sd - latent_sd))
            latent_mean, latent_sd = new_mean, new_sd
            log_weights = latent_log_weights(latent_mean, latent_sd)
        if progress is not None:
            progress(iteration, change)
        if change < tol:
            converged = True
            break

    _, _, post, loglik = _e_step(design, par, log_weights)
    a, b, c = _unpack(par)
    # Report anchors exactly as passed (exp/log round trips drift by 1 ulp).
    for j, (fa, fb, fc) in fixed_params.items():
        a[j], b[j], c[j] = fa, fb, fc

    if not compute_se:
        se_work = np.full(par.shape, np.nan)
    elif se_method == "full" or (se_method == "auto" and _full_se_affordable(answers, free)):
        se_work, _ = _observed_se(design, par, free, priors, log_weights)
    else:
        se_work, _ = _block_observed_se(design, par, free, priors, log_weights)
    se_a = a * se_work[:, 0]
    se_b = se_work[:, 1]
    se_c = c * (1.0 - c) * se_work[:, 2]

    infit, outfit, chi2, df, p = _item_fit(answers, par, post, fit_groups)
    with np.errstate(invalid="ignore"):
        misfit = (p < fit_alpha) | (infit > 1.2) | (infit < 0.8) | (outfit > 1.5)
    theta = post @ NODES
    theta_se = np.sqrt(np.maximum(post @ NODES**2 - theta**2, 0.0))

    return CalibrationResult(
        a=a,
        b=b,
        c=c,
        se_a=se_a,
        se_b=se_b,
        se_c=se_c,
        infit=infit,
        outfit=outfit,
        chi2=chi2,
        chi2_df=df,
        chi2_p=p,
        misfit=misfit,
        n_responses=np.bincount(answers.item, minlength=n_items).astype(np.int64),
        fixed=is_fixed,
        iterations=iteration,
        converged=converged,
        loglik=loglik,
        priors=priors,
        latent_mean=latent_mean,
        latent_sd=latent_sd,
        theta=theta,
        theta_se=theta_se,
    )
