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

from .em import _e_step, _pack, _score_info
from .estimate import FULL_SE_MAX_ITEMS, FULL_SE_MAX_WORK, calibrate_3pl, calibrate_answers
from .model import (
    LOG_WEIGHTS,
    N_NODES,
    NODES,
    Answers,
    BoolArray,
    CalibrationResult,
    IntArray,
    Priors,
    ProgressCallback,
    SeMethod,
    _design,
    latent_log_weights,
)
from .precision import _block_observed_se, _observed_se

__all__ = [
    "FULL_SE_MAX_ITEMS",
    "FULL_SE_MAX_WORK",
    "LOG_WEIGHTS",
    "NODES",
    "N_NODES",
    "Answers",
    "BoolArray",
    "CalibrationResult",
    "IntArray",
    "Priors",
    "ProgressCallback",
    "SeMethod",
    "_block_observed_se",
    "_design",
    "_e_step",
    "_observed_se",
    "_pack",
    "_score_info",
    "calibrate_3pl",
    "calibrate_answers",
    "latent_log_weights",
]
