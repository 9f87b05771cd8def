"""3PL calibration at the platform's scale (issue 16): time, peak memory and recovery.

Run from the repo root, one size per process (peak RSS is the process's own):

    python bench/bench_calibration_scale.py                      # 100k x 1,000, 5 M, random
    python bench/bench_calibration_scale.py --design adaptive    # items near each ability
    python bench/bench_calibration_scale.py --persons 20000 --items 500 --per-person 50 \
        --out /tmp/sparse.npz
    python bench/bench_calibration_scale.py --persons 20000 --items 500 --per-person 50 \
        --engine dense --compare-with /tmp/sparse.npz            # the pre-issue-16 code

Simulated data: true a ~ lognormal(0, 0.3) clipped to [0.5, 2.5], b ~ N(0, 1),
c ~ U(0.1, 0.25), theta ~ N(0, 1) (as bench_calibration.py). Each person answers
`--per-person` distinct items: uniformly at random ("random"), or adaptively: 10 random
routing items from the first tenth of the bank, then 40 of the 80 other items whose b is
nearest an ability estimate from the routing answers ("adaptive", two-stage like a CAT;
the choice depends only on answers given, so the unseen items are ignorable).

"dense" runs the dense persons x items algorithm as it was before issue 16 (the copy kept
as the tests' oracle) on the same data; it needs minutes at 20k x 500, so compare there.
Peak RSS (resource.getrusage) includes generating the data (~0.3 GB at 5 M answers).
"""

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nexus_app.engine.calibration import Answers, calibrate_answers  # noqa: E402

CHUNK = 10_000


def simulate(
    persons: int, items: int, per_person: int, design: str, seed: int
) -> tuple[Answers, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = np.clip(rng.lognormal(0.0, 0.3, items), 0.5, 2.5)
    b = rng.normal(0.0, 1.0, items)
    c = rng.uniform(0.1, 0.25, items)
    theta = rng.normal(size=persons)

    def answer(who: np.ndarray, what: np.ndarray) -> np.ndarray:
        p = c[what] + (1.0 - c[what]) / (1.0 + np.exp(-a[what] * (theta[who] - b[what])))
        return rng.random(p.shape) < p

    def sample(n_rows: int, pool: int, k: int) -> np.ndarray:
        # The k smallest of uniform keys: a uniform sample of k of `pool` without replacement.
        keys = rng.random((n_rows, pool))
        return np.argpartition(keys, k - 1, axis=1)[:, :k]

    chosen = np.empty((persons, per_person), dtype=np.int32)
    correct = np.empty((persons, per_person), dtype=bool)
    # Adaptive: a routing stage of random items from the first tenth of the bank, then the
    # rest from the items whose b is nearest an estimate from the routing answers.  The
    # choice depends only on answers already given (as in a real CAT), so the unseen items
    # are missing at random and ignorable for marginal ML.
    route_pool, route_n = max(items // 10, per_person // 5), max(per_person // 5, 1)
    rest = np.arange(route_pool, items)
    rest_by_b = rest[np.argsort(b[rest])]
    window = min(rest.size, 2 * (per_person - route_n))
    for start in range(0, persons, CHUNK):
        stop = min(start + CHUNK, persons)
        who = np.arange(start, stop)[:, None]
        if design == "random":
            chosen[start:stop] = sample(stop - start, items, per_person)
            correct[start:stop] = answer(who, chosen[start:stop])
            continue
        first = sample(stop - start, route_pool, route_n)
        first_ok = answer(who, first)
        share = (first_ok.sum(1) + 0.5) / (route_n + 1.0)
        estimate = np.log(share / (1.0 - share))  # any function of the answers given will do
        centre = np.searchsorted(b[rest_by_b], estimate)
        low = np.clip(centre - window // 2, 0, rest.size - window)
        second = rest_by_b[low[:, None] + sample(stop - start, window, per_person - route_n)]
        chosen[start:stop] = np.concatenate([first, second], axis=1)
        correct[start:stop] = np.concatenate([first_ok, answer(who, second)], axis=1)
    person = np.repeat(np.arange(persons, dtype=np.int32), per_person)
    answers = Answers.from_arrays(
        person, chosen.ravel(), correct.ravel(), n_items=items, n_persons=persons
    )
    return answers, a, b, c


def rmse(est: np.ndarray, true: np.ndarray) -> float:
    return float(np.sqrt(np.mean((est - true) ** 2)))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--per-person", type=int, default=50)
    parser.add_argument("--design", choices=("random", "adaptive"), default="random")
    parser.add_argument("--engine", choices=("sparse", "dense"), default="sparse")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-se", action="store_true", help="skip the standard errors")
    parser.add_argument("--out", type=Path, help="save a, b, c to this .npz")
    parser.add_argument("--compare-with", type=Path, help="max |difference| to a saved .npz")
    args = parser.parse_args()

    t0 = time.perf_counter()
    answers, a, b, c = simulate(args.persons, args.items, args.per_person, args.design, args.seed)
    t_data = time.perf_counter() - t0
    print(
        f"{args.engine}, {args.design} design: {args.persons:,} persons x {args.items:,} items, "
        f"{len(answers):,} answers (data generated in {t_data:.1f} s, RSS so far "
        f"{peak_mb():.0f} MB)"
    )
    em_done: list[float] = []

    def on_iteration(iteration: int, change: float) -> None:
        em_done[:] = [time.perf_counter()]

    t0 = time.perf_counter()
    if args.engine == "sparse":
        res = calibrate_answers(answers, progress=on_iteration, compute_se=not args.no_se)
    else:
        from tests.unit.engine.dense_calibration_reference import calibrate_3pl

        x = np.full((answers.n_persons, answers.n_items), np.nan)
        x[answers.person, answers.item] = answers.correct
        res = calibrate_3pl(x, progress=on_iteration, compute_se=not args.no_se)
    total = time.perf_counter() - t0
    em = em_done[0] - t0 if em_done else float("nan")
    print(
        f"seconds: total {total:.1f} (EM {em:.1f}, then SEs + fit {total - em:.1f}); "
        f"EM iterations {res.iterations}, converged {res.converged}"
    )
    print(f"peak RSS: {peak_mb():.0f} MB")
    print(f"RMSE vs truth: a {rmse(res.a, a):.3f}, b {rmse(res.b, b):.3f}, c {rmse(res.c, c):.3f}")
    finite = np.isfinite(res.se_b)
    if finite.any():
        print(
            f"median SE: a {np.median(res.se_a[finite]):.3f}, b {np.median(res.se_b[finite]):.3f}"
            f", c {np.median(res.se_c[finite]):.3f}; misfit flagged {int(res.misfit.sum())}"
        )
    if args.out:
        np.savez(args.out, a=res.a, b=res.b, c=res.c, se_b=res.se_b)
    if args.compare_with:
        other = np.load(args.compare_with)
        diff = max(float(np.max(np.abs(getattr(res, k) - other[k]))) for k in ("a", "b", "c"))
        print(f"max |a, b, c difference| to {args.compare_with}: {diff:.2e}")


if __name__ == "__main__":
    main()
