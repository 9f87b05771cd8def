"""Per-(student, topic) mastery in [0, 1] from practice answers and tutor questions.

Two candidate models, both kept in the four columns `topic_mastery` already has
(`mastery_level`, `question_count`, `correct_count`, `last_interaction`), so nothing
extra needs storing:

* **Elo (3PL)**, the default: a per-topic rating `theta` on the IRT scale;
  ``mastery = expit(theta)``, so `theta = logit(mastery)` is recovered from the stored
  level (theta is clipped to [-4, 4], so mastery stays in [0.018, 0.982] and the logit is
  always finite). An answer to item (a, b, c) moves theta by one stochastic-gradient step
  of the 3PL log-likelihood::

      P = c + (1 - c) L,  L = expit(a (theta - b))
      theta += K(n) * a * (y - P) * L / P           # = K * d/dtheta log-lik
      K(n) = max(k_min, k0 / (1 + k_decay * n))     # n = answers before this one

  With c = 0 and a = 1 this is the classic Elo update K (y - P). The L/P factor
  discounts a right answer to a hard item, which may be a lucky guess.
  Reading of the number: mastery is the chance of solving an item of average difficulty
  (a = 1, b = 0) without guessing.
* **BKT** (Bayesian knowledge tracing): mastery = P(known); the item parameters are
  not used (that is the model), and `prior_theta` is ignored.

bench/bench_mastery.py measured both (next-response AUC on a time-ordered split of
simulated practice data, against an IRT-only baseline); the winner, Elo, with its fitted
parameters rounded, is `DEFAULT_MODEL` (the comment there says why and how).

The step functions broadcast (numpy arrays in, arrays out, parameters included), so the
benchmark and the fitters run the very code the service calls, many sequences at once.
Only numpy, scipy and the standard library are imported here.
"""

from .fitting import Sequences, fit_bkt, fit_elo, pad_sequences, run_sequences
from .models import DEFAULT_MODEL, BKTModel, EloModel, MasteryModel
from .steps import (
    CHAT_EVIDENCE_HALF,
    CHAT_RETENTION_DAYS,
    CHAT_STEP,
    MASTERY_MAX,
    MASTERY_MIN,
    RATING_MAX,
    RATING_MIN,
    bkt_predict,
    bkt_step,
    elo_k,
    elo_predict,
    elo_step,
    mastery_to_rating,
    rating_to_mastery,
)
from .tracking import (
    MasteryState,
    PracticeAnswer,
    chat_signal_delta,
    chat_signal_update,
    initial_state,
    predict_correct,
    replay_mastery,
    update_mastery,
)

__all__ = [
    "CHAT_EVIDENCE_HALF",
    "CHAT_RETENTION_DAYS",
    "CHAT_STEP",
    "DEFAULT_MODEL",
    "MASTERY_MAX",
    "MASTERY_MIN",
    "RATING_MAX",
    "RATING_MIN",
    "BKTModel",
    "EloModel",
    "MasteryModel",
    "MasteryState",
    "PracticeAnswer",
    "Sequences",
    "bkt_predict",
    "bkt_step",
    "chat_signal_delta",
    "chat_signal_update",
    "elo_k",
    "elo_predict",
    "elo_step",
    "fit_bkt",
    "fit_elo",
    "initial_state",
    "mastery_to_rating",
    "pad_sequences",
    "predict_correct",
    "rating_to_mastery",
    "replay_mastery",
    "run_sequences",
    "update_mastery",
]
