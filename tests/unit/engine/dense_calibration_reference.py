"""Oracle for the tests: the dense persons x items calibration as it was before issue 16.

A verbatim copy of nexus_app/engine/calibration.py at the commit before the sparse rewrite
(only this docstring and the irt import differ). The sparse engine must reproduce it to
~1e-6; do not "fix" or speed up this file, it is the reference.

Original module docstring follows.

3PL item calibration by marginal maximum likelihood (Bock-Aitkin EM).

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
* Missing responses (nan) are masked out of both E- and M-steps.
* SEs: numerical Hessian (central differences of the exact Fisher-identity
  gradient) of the marginal log-posterior, i.e. the observed information.
* Item fit: infit/outfit mean squares and a grouped chi-square computed from
  leave-item-out posterior predictions (see `_item_fit`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import expit, logit
from scipy.stats import chi2 as chi2_dist

from nexus_app.engine.irt import FloatArray, log_pq

BoolArray = npt.NDArray[np.bool_]
ProgressCallback = Callable[[int, float], None]

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
    x1: FloatArray,
    x0: FloatArray,
    par: FloatArray,
    log_weights: FloatArray = LOG_WEIGHTS,
) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """Posterior over nodes per person and expected counts per item x node.

    Returns (r, n, posterior, marginal loglik): r = expected number correct,
    n = expected number answering, both J x Q.
    """
    log_p, log_q = _log_curves(par)
    log_post = x1 @ log_p + x0 @ log_q + log_weights
    peak = log_post.max(1, keepdims=True)
    post = np.exp(log_post - peak)
    norm = post.sum(1, keepdims=True)
    post /= norm
    loglik = float(np.sum(peak[:, 0] + np.log(norm[:, 0])))
    r = x1.T @ post
    n = r + x0.T @ post
    return r, n, post, loglik


def _start_values(x1: FloatArray, x0: FloatArray) -> FloatArray:
    """a = 1, c = 0.2, b from the guessing-corrected proportion correct."""
    n_obs = x1.sum(0) + x0.sum(0)
    p = np.where(n_obs > 0, (x1.sum(0) + 0.5) / (n_obs + 1.0), 0.6)
    p_adj = np.clip((p - 0.2) / 0.8, 0.05, 0.95)
    # Averaging over theta ~ N(0, 1) flattens the logit of the proportion by
    # about sqrt(1 + pi * a^2 / 8) ~ 1.2 for a = 1 (probit approximation).
    b = np.clip(-logit(p_adj) * 1.2, -3.0, 3.0)
    j = x1.shape[1]
    return _pack(np.ones(j), b, np.full(j, 0.2))


def _observed_se(
    x1: FloatArray,
    x0: FloatArray,
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
        r, n, _, _ = _e_step(x1, x0, p, log_weights)
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
        r, n, _, _ = _e_step(x1, x0, par, log_weights)
        _, info = _score_info(par[free_idx], r[free_idx], n[free_idx], priors)
        se[free_idx] = np.sqrt(np.diagonal(np.linalg.inv(info), axis1=1, axis2=2))
        return se, False


def _item_fit(
    x1: FloatArray,
    x0: FloatArray,
    observed: BoolArray,
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
    n_items = x1.shape[1]
    log_p, log_q = _log_curves(par)
    p_nodes = np.exp(log_p)
    out = {k: np.full(n_items, np.nan) for k in ("infit", "outfit", "chi2", "df", "p")}
    for j in range(n_items):
        rows = np.flatnonzero(observed[:, j])
        if rows.size == 0:
            continue
        own = np.where(x1[rows, j, None] > 0, log_p[j], log_q[j])
        rest = post[rows] * np.exp(-(own - own.max(1, keepdims=True)))
        rest /= rest.sum(1, keepdims=True)
        expected = rest @ p_nodes[j]
        variance = np.maximum(expected * (1.0 - expected), _PQ_FLOOR)
        resid = x1[rows, j] - expected
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
    clean: dict[int, tuple[float, float, float]] = {}
    for key, params in (fixed or {}).items():
        j = int(key)
        if not 0 <= j < x.shape[1]:
            raise ValueError(f"fixed item index {key} outside [0, {x.shape[1]})")
        a, b, c = (float(v) for v in params)
        if not (a > 0.0 and np.isfinite(b) and 0.0 <= c < 1.0):
            raise ValueError(f"fixed item {j}: need a > 0, finite b, 0 <= c < 1")
        clean[j] = (a, b, c)
    return x, clean


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
) -> CalibrationResult:
    """Calibrate 3PL items by MML-EM with priors.

    responses: persons x items array of 0/1, nan where the item was not seen.
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
    compute_se: skip the observed-information SEs (the costliest part) if False.
    """
    x, fixed_params = _validate(responses, fixed)
    priors = priors or Priors()
    observed = ~np.isnan(x)
    x1 = (observed & (x == 1.0)).astype(float)
    x0 = (observed & (x == 0.0)).astype(float)
    n_items = x.shape[1]

    par = _start_values(x1, x0)
    is_fixed = np.zeros(n_items, dtype=bool)
    for j, (a, b, c) in fixed_params.items():
        is_fixed[j] = True
        # Fixed values are stored unclipped: anchors must stay exactly as given.
        par[j] = [np.log(a), b, logit(c) if c > 0 else -np.inf]
    free = ~is_fixed

    if estimate_latent is None:
        estimate_latent = bool(is_fixed.any())
    answered = observed.any(1)  # people with no response carry no information
    latent_mean, latent_sd = 0.0, 1.0
    log_weights = LOG_WEIGHTS

    converged = False
    iteration = 0
    old = np.column_stack(_unpack(par))
    for iteration in range(1, max_iter + 1):
        r, n, post, _ = _e_step(x1, x0, par, log_weights)
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

    _, _, post, loglik = _e_step(x1, x0, par, log_weights)
    a, b, c = _unpack(par)
    # Report anchors exactly as passed (exp/log round trips drift by 1 ulp).
    for j, (fa, fb, fc) in fixed_params.items():
        a[j], b[j], c[j] = fa, fb, fc

    if compute_se:
        se_work, _ = _observed_se(x1, x0, par, free, priors, log_weights)
    else:
        se_work = np.full(par.shape, np.nan)
    se_a = a * se_work[:, 0]
    se_b = se_work[:, 1]
    se_c = c * (1.0 - c) * se_work[:, 2]

    infit, outfit, chi2, df, p = _item_fit(x1, x0, observed, par, post, fit_groups)
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
        n_responses=observed.sum(0).astype(np.int64),
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
