"""Mastery-model benchmark: next-response AUC of BKT and per-topic Elo vs IRT-only.

Run from the repo root:  .venv/bin/python bench/bench_mastery.py [--seed 2026]
                         [--learn-tau 15] [--gain-max 1.5] [--students 400]

Simulated practice (nothing here is real student data):
  * 8 topics x 60 items; a ~ lognormal(0, 0.3) in [0.4, 2.5], b ~ N(0, 1) in [-3, 3],
    c ~ U(0.05, 0.25) (five-option items).
  * 400 students; per-topic starting skill theta0 = g + d_k - 0.6 with g ~ N(0, 1) (general
    ability) and d_k ~ N(0, 0.6) (topic offset). Skill rises with practice:
    theta = theta0 + G * (1 - exp(-n / tau)), n = earlier answers on the topic, G ~ U(0.3, 1.5)
    per student and topic, tau = 15 answers (--learn-tau, --gain-max change them); no
    forgetting.
  * 20-50 sessions per student spread over 120 days; a session works one topic (topics
    drawn from a per-student Dirichlet preference) with 5-12 random items of that topic.
  * Responses ~ Bernoulli(3PL(theta, a, b, c)) with the true parameters; the models see
    item parameters perturbed like a calibration would leave them (b + N(0, 0.2),
    a * exp(N(0, 0.1)), c + N(0, 0.02)).

Time-ordered split: answers before day 84 train (model parameters are fitted on them),
answers from day 84 on are the test. Every model runs over each history in time order and
predicts each next answer before seeing it; AUC and log-loss are over test answers only.
AUC is rank-based (Mann-Whitney, ties averaged); 95% intervals from 200 bootstrap
resamples of students.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus_app.engine.ability import update_ability, widen_for_time
from nexus_app.engine.irt import QUADRATURE, log_pq, probability
from nexus_app.engine.mastery import (
    DEFAULT_MODEL,
    MasteryModel,
    MasteryState,
    PracticeAnswer,
    fit_bkt,
    fit_elo,
    pad_sequences,
    predict_correct,
    replay_mastery,
    run_sequences,
    update_mastery,
)

N_STUDENTS = 400
N_TOPICS = 8
ITEMS_PER_TOPIC = 60
DAYS = 120
SPLIT_DAY = 84
LEARN_TAU = 15.0
GAIN_MAX = 1.5
EPOCH = datetime(2026, 1, 5, tzinfo=UTC)
PUBLISHED_IRT_ASSISTMENTS = (0.69, 0.77)
SHIPPED = "Elo 3PL, shipped DEFAULT_MODEL (not refitted)"


@dataclass
class Data:
    student: np.ndarray  # per answer, in each student's time order
    topic: np.ndarray
    day: np.ndarray  # fractional days since EPOCH
    y: np.ndarray
    a: np.ndarray  # observed (noisy) item parameters
    b: np.ndarray
    c: np.ndarray
    p_true: np.ndarray  # the generating probability (oracle)


def simulate(
    seed: int,
    n_students: int = N_STUDENTS,
    learn_tau: float = LEARN_TAU,
    gain_max: float = GAIN_MAX,
) -> Data:
    rng = np.random.default_rng(seed)
    n_items = N_TOPICS * ITEMS_PER_TOPIC
    item_topic = np.repeat(np.arange(N_TOPICS), ITEMS_PER_TOPIC)
    a_true = np.clip(rng.lognormal(0.0, 0.3, n_items), 0.4, 2.5)
    b_true = np.clip(rng.normal(0.0, 1.0, n_items), -3.0, 3.0)
    c_true = rng.uniform(0.05, 0.25, n_items)
    a_obs = a_true * np.exp(rng.normal(0.0, 0.1, n_items))
    b_obs = b_true + rng.normal(0.0, 0.2, n_items)
    c_obs = np.clip(c_true + rng.normal(0.0, 0.02, n_items), 0.0, 0.4)
    by_topic = [np.flatnonzero(item_topic == k) for k in range(N_TOPICS)]

    cols: dict[str, list[float]] = {k: [] for k in ("s", "k", "day", "y", "item", "p")}
    for s in range(n_students):
        g = rng.normal()
        theta0 = g + rng.normal(0.0, 0.6, N_TOPICS) - 0.6
        gain = rng.uniform(0.3, gain_max, N_TOPICS)
        pref = rng.dirichlet(np.ones(N_TOPICS))
        n_sessions = int(rng.integers(20, 51))
        days = np.sort(rng.uniform(0, DAYS, n_sessions))
        done = np.zeros(N_TOPICS)
        for day in days:
            k = int(rng.choice(N_TOPICS, p=pref))
            items = rng.choice(by_topic[k], size=int(rng.integers(5, 13)), replace=False)
            start = np.floor(day) + rng.uniform(15, 21) / 24  # afternoon/evening
            for j, it in enumerate(items):
                theta = theta0[k] + gain[k] * (1.0 - np.exp(-done[k] / learn_tau))
                p = float(probability(theta, a_true[it], b_true[it], c_true[it]))
                cols["s"].append(s)
                cols["k"].append(k)
                cols["day"].append(start + j * 2.0 / 1440)  # two minutes per item
                cols["y"].append(float(rng.random() < p))
                cols["item"].append(it)
                cols["p"].append(p)
                done[k] += 1
    item = np.asarray(cols["item"], dtype=int)
    return Data(
        student=np.asarray(cols["s"], dtype=int),
        topic=np.asarray(cols["k"], dtype=int),
        day=np.asarray(cols["day"]),
        y=np.asarray(cols["y"]),
        a=a_obs[item],
        b=b_obs[item],
        c=c_obs[item],
        p_true=np.asarray(cols["p"]),
    )


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve via the Mann-Whitney U statistic (ties get half credit)."""
    y = np.asarray(y, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs both classes")
    ranks = rankdata(score)  # average ranks for ties
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def _check_auc() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(300) < 0.6
    s = np.round(rng.random(300) + 0.3 * y, 1)  # rounded: plenty of ties
    pos, neg = s[y], s[~y]
    brute = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert abs(auc(y, s) - brute / (len(pos) * len(neg))) < 1e-12


# --- groupings --------------------------------------------------------------------------


def topic_sequences(d: Data, keep: np.ndarray) -> tuple[list[np.ndarray], list[tuple]]:
    """Indices of the kept answers per (student, topic), in time order."""
    order = np.lexsort((d.day, d.topic, d.student))
    order = order[keep[order]]
    key = d.student[order] * N_TOPICS + d.topic[order]
    cuts = np.flatnonzero(np.diff(key)) + 1
    groups = np.split(order, cuts)
    return groups, [(d.y[g], d.a[g], d.b[g], d.c[g]) for g in groups]


def scatter(groups: list[np.ndarray], pred: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.nan)
    for i, g in enumerate(groups):
        out[g] = pred[i, : len(g)]
    return out


def pooled_eap(d: Data) -> np.ndarray:
    """IRT-only baseline: EAP theta (N(0,1) prior, 81-node grid, the same computation as
    irt.estimate_theta) from ALL the student's earlier answers, all topics pooled, no
    learning; returns that theta before each answer."""
    order = np.lexsort((d.day, d.student))
    theta_before = np.zeros(len(d.y))
    log_prior = -0.5 * QUADRATURE**2
    for s in np.unique(d.student):
        idx = order[d.student[order] == s]
        log_p, log_q = log_pq(QUADRATURE[None, :], d.a[idx, None], d.b[idx, None], d.c[idx, None])
        contrib = np.where(d.y[idx, None] > 0.5, log_p, log_q)
        cum = np.vstack([np.zeros(len(QUADRATURE)), np.cumsum(contrib, axis=0)[:-1]])
        post = cum + log_prior
        w = np.exp(post - post.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        theta_before[idx] = w @ QUADRATURE
    return theta_before


def per_topic_eap(d: Data) -> np.ndarray:
    """Like pooled_eap but one theta per (student, topic): still no learning."""
    groups, _ = topic_sequences(d, np.ones(len(d.y), dtype=bool))
    out = np.zeros(len(d.y))
    log_prior = -0.5 * QUADRATURE**2
    for g in groups:
        log_p, log_q = log_pq(QUADRATURE[None, :], d.a[g, None], d.b[g, None], d.c[g, None])
        contrib = np.where(d.y[g, None] > 0.5, log_p, log_q)
        cum = np.vstack([np.zeros(len(QUADRATURE)), np.cumsum(contrib, axis=0)[:-1]])
        post = cum + log_prior
        w = np.exp(post - post.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        out[g] = w @ QUADRATURE
    return out


def running_ability(d: Data) -> np.ndarray:
    """The practice service's running section ability (engine/ability.py): N(mean, sd^2)
    updated per answer, widened with idle time; pooled over topics. Mean before each answer."""
    order = np.lexsort((d.day, d.student))
    out = np.zeros(len(d.y))
    last_s, mean, sd, last_day = -1, 0.0, 1.0, 0.0
    for i in order:
        if d.student[i] != last_s:
            last_s, mean, sd, last_day = d.student[i], 0.0, 1.0, d.day[i]
        sd = widen_for_time(sd, d.day[i] - last_day)
        out[i] = mean
        mean, sd = update_ability(mean, sd, d.a[i], d.b[i], d.c[i], bool(d.y[i]))
        last_day = d.day[i]
    return out


# --- evaluation -------------------------------------------------------------------------


def bootstrap_ci(
    d: Data, test: np.ndarray, preds: dict[str, np.ndarray], reps: int = 200, seed: int = 1
) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(seed)
    students = np.unique(d.student)
    rows_of = {s: np.flatnonzero(test & (d.student == s)) for s in students}
    samples: dict[str, list[float]] = {k: [] for k in preds}
    for _ in range(reps):
        pick = rng.choice(students, size=len(students), replace=True)
        idx = np.concatenate([rows_of[s] for s in pick])
        for k, p in preds.items():
            samples[k].append(auc(d.y[idx], p[idx]))
    return {
        k: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) for k, v in samples.items()
    }


def paired_differences(
    d: Data,
    test: np.ndarray,
    preds: dict[str, np.ndarray],
    pairs: tuple[tuple[str, str], ...],
    reps: int = 200,
    seed: int = 2,
) -> dict[tuple[str, str], list[float]]:
    rng = np.random.default_rng(seed)
    students = np.unique(d.student)
    rows_of = {s: np.flatnonzero(test & (d.student == s)) for s in students}
    out: dict[tuple[str, str], list[float]] = {pair: [] for pair in pairs}
    for _ in range(reps):
        idx = np.concatenate([rows_of[s] for s in rng.choice(students, len(students))])
        scores = {k: auc(d.y[idx], preds[k][idx]) for k in {n for p in pairs for n in p}}
        for left, right in pairs:
            out[(left, right)].append(scores[left] - scores[right])
    return out


def check_scalar_api(d: Data, model: MasteryModel, pred: np.ndarray, students: int = 10) -> float:
    """Max |difference| between the vectorised run and the service's scalar functions."""
    worst = 0.0
    for s in range(students):
        idx = np.flatnonzero(d.student == s)
        idx = idx[np.argsort(d.day[idx], kind="stable")]
        states: dict[int, MasteryState] = {}
        for i in idx:
            k = int(d.topic[i])
            p = predict_correct(states.get(k), d.b[i], d.a[i], d.c[i], model=model)
            worst = max(worst, abs(p - pred[i]))
            when = EPOCH + timedelta(days=float(d.day[i]))
            states[k] = update_mastery(
                states.get(k), bool(d.y[i]), d.b[i], d.a[i], d.c[i], when, model=model
            )
    return worst


def time_replay(model: MasteryModel, n_answers: int = 200, reps: int = 300) -> tuple[float, ...]:
    """ms to compute mastery for one user-subject from n answers over 8 topics."""
    rng = np.random.default_rng(5)
    answers = [
        PracticeAnswer(
            topic=f"topik-{int(rng.integers(N_TOPICS))}",
            correct=bool(rng.random() < 0.6),
            item_b=float(rng.normal()),
            item_a=float(rng.uniform(0.5, 2.0)),
            item_c=float(rng.uniform(0.05, 0.25)),
            answered_at=EPOCH + timedelta(minutes=3 * i),
        )
        for i in range(n_answers)
    ]
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        replay_mastery(answers, model=model)
        times.append((time.perf_counter() - t0) * 1000)
    one = []
    for _ in range(2000):
        t0 = time.perf_counter()
        update_mastery(None, True, 0.1, 1.2, 0.2, EPOCH, model=model)
        one.append((time.perf_counter() - t0) * 1e6)
    t = np.asarray(times)
    return float(np.median(t)), float(np.percentile(t, 95)), float(np.median(one))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--students", type=int, default=N_STUDENTS)
    parser.add_argument(
        "--learn-tau",
        type=float,
        default=LEARN_TAU,
        help="answers per topic for learning to reach 63%% of its gain",
    )
    parser.add_argument(
        "--gain-max",
        type=float,
        default=GAIN_MAX,
        help="learning gain per topic ~ U(0.3, GAIN_MAX) logits",
    )
    args = parser.parse_args()
    _check_auc()

    t0 = time.perf_counter()
    d = simulate(args.seed, args.students, args.learn_tau, args.gain_max)
    n = len(d.y)
    train = d.day < SPLIT_DAY
    test = ~train
    print(
        f"simulated {args.students} students x {N_TOPICS} topics (learning tau "
        f"{args.learn_tau:g} answers, gain U(0.3, {args.gain_max:g})): {n} answers "
        f"({train.sum()} train before day {SPLIT_DAY}, {test.sum()} test), "
        f"{time.perf_counter() - t0:.1f} s; test P(correct) = {d.y[test].mean():.3f}"
    )

    # Pooled EAP before each answer doubles as the Elo prior ("section ability so far").
    eap = pooled_eap(d)
    tr_groups, tr_seqs = topic_sequences(d, train)
    all_groups, all_seqs = topic_sequences(d, np.ones(n, dtype=bool))
    tr_prior = np.array([eap[g[0]] for g in tr_groups])
    all_prior = np.array([eap[g[0]] for g in all_groups])
    train_pad = pad_sequences(tr_seqs)
    train_pad_prior = pad_sequences(tr_seqs, prior=tr_prior)
    full_pad = pad_sequences(all_seqs)
    full_pad_prior = pad_sequences(all_seqs, prior=all_prior)

    fitted: dict[str, tuple[MasteryModel, bool]] = {}
    fit_time: dict[str, float] = {}
    for name, fit, with_prior in (
        ("BKT (fitted: grid + Nelder-Mead)", lambda: fit_bkt(train_pad), False),
        ("Elo 3PL, decaying K", lambda: fit_elo(train_pad), False),
        ("Elo 3PL, decaying K, starts at section theta", lambda: fit_elo(train_pad_prior), True),
        ("Elo 1PL (ignores a, c), decaying K", lambda: fit_elo(train_pad, use_3pl=False), False),
    ):
        t1 = time.perf_counter()
        fitted[name] = (fit(), with_prior)
        fit_time[name] = time.perf_counter() - t1

    preds: dict[str, np.ndarray] = {}
    for name, (model, with_prior) in fitted.items():
        pad = full_pad_prior if with_prior else full_pad
        preds[name] = scatter(all_groups, run_sequences(model, pad), n)
    preds[SHIPPED] = scatter(all_groups, run_sequences(DEFAULT_MODEL, full_pad), n)
    preds["IRT-only: pooled EAP theta, no learning (baseline)"] = np.asarray(
        probability(eap, d.a, d.b, d.c)
    )
    preds["IRT-only: per-topic EAP theta, no learning"] = np.asarray(
        probability(per_topic_eap(d), d.a, d.b, d.c)
    )
    preds["Running section ability (ability.py, drift)"] = np.asarray(
        probability(running_ability(d), d.a, d.b, d.c)
    )
    preds["Oracle: true theta and true item parameters"] = d.p_true

    ci = bootstrap_ci(d, test, preds)
    print(
        f"\nNext-response prediction on the test period (day >= {SPLIT_DAY}), "
        f"seed {args.seed}, n = {int(test.sum())}"
    )
    print("| model | AUC | 95% CI (students bootstrap) | log-loss |")
    print("|---|---|---|---|")
    for name, p in preds.items():
        lo, hi = ci[name]
        print(
            f"| {name} | {auc(d.y[test], p[test]):.4f} | {lo:.4f}-{hi:.4f} | "
            f"{log_loss(d.y[test], p[test]):.4f} |"
        )
    print(
        f"\nPublished IRT AUC on ASSISTments: {PUBLISHED_IRT_ASSISTMENTS[0]}-"
        f"{PUBLISHED_IRT_ASSISTMENTS[1]} (real data; not directly comparable to a simulation)."
    )

    # Paired differences on the same student resamples.
    elo_name, bkt_name = "Elo 3PL, decaying K", "BKT (fitted: grid + Nelder-Mead)"
    pairs = (
        (elo_name, bkt_name),
        (elo_name, "IRT-only: pooled EAP theta, no learning (baseline)"),
        (elo_name, "IRT-only: per-topic EAP theta, no learning"),
        ("Elo 3PL, decaying K, starts at section theta", elo_name),
        (SHIPPED, elo_name),
    )
    print("\nPaired AUC differences (same 200 student resamples)")
    print("| difference | mean | 95% CI |")
    print("|---|---|---|")
    for (left, right), deltas in paired_differences(d, test, preds, pairs).items():
        print(
            f"| {left} minus {right} | {np.mean(deltas):+.4f} | "
            f"{np.percentile(deltas, 2.5):+.4f} to {np.percentile(deltas, 97.5):+.4f} |"
        )

    print("\nFitted parameters (on the training period only)")
    print("| model | parameters | fit time |")
    print("|---|---|---|")
    for name, (model, _) in fitted.items():
        params = ", ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in vars(model).items()
        )
        print(f"| {name} | {params} | {fit_time[name]:.1f} s |")

    print(
        "\nScalar API check (update_mastery / predict_correct vs the vectorised run, 10 students):"
    )
    for name, model in ((SHIPPED, DEFAULT_MODEL), (bkt_name, fitted[bkt_name][0])):
        print(f"  {name}: max |diff| = {check_scalar_api(d, model, preds[name]):.2e}")

    print(
        "\nMastery calculation per user-subject (replay_mastery, 200 answers over 8 topics, "
        "300 runs; aim <= 10 ms)"
    )
    print("| model | median ms | p95 ms | one update_mastery, median us |")
    print("|---|---|---|---|")
    for name, model in ((SHIPPED, DEFAULT_MODEL), (bkt_name, fitted[bkt_name][0])):
        med, p95, one = time_replay(model)
        print(f"| {name} | {med:.2f} | {p95:.2f} | {one:.1f} |")
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
