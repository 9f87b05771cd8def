"""The two entry points: `calibrate_3pl` (dense matrix) and `calibrate_answers` (sparse)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import logit

from ..irt import FloatArray
from .em import _e_step, _m_step, _start_values, _unpack
from .model import (
    LOG_WEIGHTS,
    NODES,
    Answers,
    BoolArray,
    CalibrationResult,
    Priors,
    ProgressCallback,
    SeMethod,
    _Design,
    _design,
    _validate,
    _validate_fixed,
    latent_log_weights,
)
from .precision import _block_observed_se, _item_fit, _observed_se

# "auto" SEs: the full numerical Hessian costs 2 E-steps per free parameter (600 for 100
# items), each a pass over all answers, so above this many free items, or this many
# (answers x free items), the per-item blocks are used instead.  The second limit keeps
# the full SEs under ~10 s here (40 items x 5,000 persons = 6.4 M; 100 x 2,000 x 20 = 8 M).
FULL_SE_MAX_ITEMS: int = 100
FULL_SE_MAX_WORK: int = 20_000_000


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


def _anchored_start(
    answers: Answers, fixed_params: Mapping[int, tuple[float, float, float]]
) -> tuple[FloatArray, BoolArray]:
    """Start values in the working scale, anchors set to their given values."""
    par = _start_values(answers)
    is_fixed = np.zeros(answers.n_items, dtype=bool)
    for j, (a, b, c) in fixed_params.items():
        is_fixed[j] = True
        # Fixed values are stored unclipped: anchors must stay exactly as given.
        par[j] = [np.log(a), b, logit(c) if c > 0 else -np.inf]
    return par, is_fixed


def _latent_moments(post: FloatArray) -> tuple[float, float]:
    """Mean and SD of a normal latent distribution from the posteriors of those who answered;
    bounded so the [-4, 4] node grid still covers +-3 SD."""
    eap = post @ NODES
    second = post @ NODES**2
    mean = float(np.clip(eap.mean(), -1.5, 1.5))
    sd = float(np.clip(np.sqrt(max(second.mean() - mean**2, 0.0)), 0.3, 2.0))
    return mean, sd


@dataclass(frozen=True)
class _EmOutcome:
    iterations: int
    converged: bool
    latent_mean: float
    latent_sd: float
    log_weights: FloatArray


def _em_cycles(
    design: _Design,
    par: FloatArray,
    free: BoolArray,
    priors: Priors,
    answered: BoolArray | None,
    max_iter: int,
    tol: float,
    progress: ProgressCallback | None,
) -> _EmOutcome:
    """EM cycles until no free parameter (nor the latent moments, when `answered` says whose
    posteriors estimate them) moves by tol. Updates `par` in place."""
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
        if answered is not None and answered.any():
            new_mean, new_sd = _latent_moments(post[answered])
            change = max(change, abs(new_mean - latent_mean), abs(new_sd - latent_sd))
            latent_mean, latent_sd = new_mean, new_sd
            log_weights = latent_log_weights(latent_mean, latent_sd)
        if progress is not None:
            progress(iteration, change)
        if change < tol:
            converged = True
            break
    return _EmOutcome(iteration, converged, latent_mean, latent_sd, log_weights)


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

    par, is_fixed = _anchored_start(answers, fixed_params)
    free = ~is_fixed

    if estimate_latent is None:
        estimate_latent = bool(is_fixed.any())
    # People with no response carry no information.
    answered = np.bincount(answers.person, minlength=answers.n_persons) > 0
    em = _em_cycles(
        design, par, free, priors, answered if estimate_latent else None, max_iter, tol, progress
    )
    iteration, converged = em.iterations, em.converged
    latent_mean, latent_sd, log_weights = em.latent_mean, em.latent_sd, em.log_weights

    _, _, post, loglik = _e_step(design, par, log_weights)
    a, b, c = _unpack(par)
    # Report anchors exactly as passed (exp/log round trips drift by 1 ulp).
    for j, (fa, fb, fc) in fixed_params.items():
        a[j], b[j], c[j] = fa, fb, fc

    if not compute_se:
        se_work = np.full(par.shape, np.nan)
    else:
        full = se_method == "full" or (se_method == "auto" and _full_se_affordable(answers, free))
        se_of = _observed_se if full else _block_observed_se
        se_work, _ = se_of(design, par, free, priors, log_weights)
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
