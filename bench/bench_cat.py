"""CAT simulation benchmark: Nexus engine vs catsim 0.21 on catsim's own bank.

Run from the repo root:  python bench/bench_cat.py  (needs catsim==0.21.0).
`--only accuracy|exposure|bound|sympson-hetter` runs one part (the last only on
request); `--seeds N` and `--simulees N` size the exposure part.

Bank: catsim ItemBank.generate_item_bank(500, "3PL", seed=7).  1000 examinees
theta ~ N(0, 1) (seed 2024), fixed-length 30-item CATs starting at theta = 0.
Reported: RMSE and bias of theta after 10/20/30 items, item exposure after 30
items, and milliseconds per step (item selection + ability update) measured
around exactly those calls.

Exposure control: pure maximum information, randomesque top 5, "skip items over
the cap" (ExposureControl with acceleration 0) and progressive-restricted
(ExposureControl defaults) on the same simulees: 2000 per seed, theta seeds
2024, 1, 2, ... (the first 1000 of seed 2024 are the examinees above), 30-item
tests.  Responses use common random numbers (one uniform draw per simulee and
item), so every method sees the same "luck" on an item it shares with another.
Reported per seed: RMSE after 20 items and its change against maximum
information, the same for the RMS posterior SD after 20 items (a low-noise
measure of the same error: the prior equals the simulated population, so the
mean posterior variance is an unbiased estimate of the MSE), maximum and mean
exposure rate after 30 items, and the share of the bank used.

Bound: what the 0.20 cap costs even with every simulee's true theta known.  A
linear programme gives 600 simulees (theta seed 5) 30 items each, no item to
more than 20% of them, maximising total information at the true thetas; the
best 20 of each simulee's items are compared with the 20 most informative items
of the bank (no cap), as mean information and as the RMSE it implies for an
EAP under the N(0, 1) prior, sqrt(mean(1 / (1 + information))).
"""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus_app.engine.cat import ExposureControl, ThetaPosterior
from nexus_app.engine.irt import probability, select_item

N_EXAMINEES = 1000
TEST_LENGTH = 30
CHECKPOINTS = (10, 20, 30)
BANK_SEED = 7
THETA_SEED = 2024


def run_ours(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    thetas: np.ndarray,
    top_n: int,
    response_seed: int = 11,
) -> dict[str, Any]:
    """Incremental EAP (81-node grid) + max-information / randomesque selection."""
    rng_resp = np.random.default_rng(response_seed)
    rng_pick = np.random.default_rng(12)
    n_items = len(a)
    estimates = np.zeros((len(thetas), TEST_LENGTH + 1))
    ses = np.ones((len(thetas), TEST_LENGTH + 1))
    usage = np.zeros(n_items, dtype=np.int64)
    step_time = 0.0
    for person, true_theta in enumerate(thetas):
        posterior = ThetaPosterior()
        administered = np.zeros(n_items, dtype=bool)
        theta = 0.0
        for step in range(1, TEST_LENGTH + 1):
            t0 = time.perf_counter()
            item = select_item(theta, a, b, c, administered, rng=rng_pick, top_n=top_n)
            t1 = time.perf_counter()
            # The response is simulated outside the timed region.
            correct = int(rng_resp.random() < probability(true_theta, a[item], b[item], c[item]))
            t2 = time.perf_counter()
            posterior.add(a[item], b[item], c[item], correct)
            theta, se = posterior.estimate()
            step_time += (t1 - t0) + (time.perf_counter() - t2)
            administered[item] = True
            usage[item] += 1
            estimates[person, step] = theta
            ses[person, step] = se
    return {
        "estimates": estimates,
        "ses": ses,
        "usage": usage,
        "ms_per_step": _ms(step_time),
    }


def _ms(total_seconds: float) -> float:
    return 1000.0 * total_seconds / (N_EXAMINEES * TEST_LENGTH)


def _timed(fn: Callable[..., Any], box: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        box[0] += time.perf_counter() - t0
        return out

    return wrapper


def run_catsim(bank: Any, thetas: np.ndarray) -> dict[str, Any]:
    """catsim's default MLE-based estimator (bounded Brent + Dodd) + MaxInfoSelector."""
    from catsim.estimation import NumericalSearchEstimator
    from catsim.initialization import FixedPointInitializer
    from catsim.selection import MaxInfoSelector
    from catsim.simulation import Simulator
    from catsim.stopping import TestLengthStopper

    selector = MaxInfoSelector()
    estimator = NumericalSearchEstimator()
    box = [0.0]
    # Instance attributes shadow the bound methods, so the simulator's calls
    # are timed without touching catsim's code.
    selector.select = _timed(selector.select, box)  # type: ignore[method-assign]
    estimator.estimate = _timed(estimator.estimate, box)  # type: ignore[method-assign]
    sim = Simulator(bank, thetas, seed=13)
    sim.simulate(
        FixedPointInitializer(0.0), selector, estimator, TestLengthStopper(max_items=TEST_LENGTH)
    )
    estimates = np.array([e[: TEST_LENGTH + 1] for e in sim.estimations], dtype=float)
    usage = np.zeros(bank.n_items, dtype=np.int64)
    for items in sim.administered_items:
        usage[items] += 1
    return {"estimates": estimates, "usage": usage, "ms_per_step": _ms(box[0])}


def report(name: str, result: dict[str, Any], thetas: np.ndarray, clip: bool = False) -> str:
    est = result["estimates"]
    if clip:
        est = np.clip(est, -4.0, 4.0)
    cells = []
    for k in CHECKPOINTS:
        err = est[:, k] - thetas
        cells.append(f"{np.sqrt(np.mean(err**2)):.3f} / {np.mean(err):+.3f}")
    exposure = result["usage"] / len(thetas)
    never = float(np.mean(result["usage"] == 0))
    return (
        f"| {name} | " + " | ".join(cells) + f" | {exposure.max():.3f} | {never:.1%} | "
        f"{result['ms_per_step']:.3f} |"
    )


Selector = Callable[[float, np.ndarray, int], int]


def run_exposure(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    thetas: np.ndarray,
    uniforms: np.ndarray,
    make: Callable[[], tuple[Selector, Callable[[np.ndarray], None]]],
) -> dict[str, float]:
    """One fixed-length CAT per simulee; `make()` gives (select, end_examinee)."""
    select, end = make()
    n_items = len(a)
    usage = np.zeros(n_items, dtype=np.int64)
    est20 = np.zeros(len(thetas))
    sd20 = np.zeros(len(thetas))
    for person, true_theta in enumerate(thetas):
        posterior = ThetaPosterior()
        administered = np.zeros(n_items, dtype=bool)
        theta = 0.0
        for position in range(1, TEST_LENGTH + 1):
            item = select(theta, administered, position)
            p = probability(true_theta, a[item], b[item], c[item])
            posterior.add(a[item], b[item], c[item], int(uniforms[person, item] < p))
            theta, se = posterior.estimate()
            administered[item] = True
            if position == 20:
                est20[person], sd20[person] = theta, se
        end(administered)
        usage += administered
    exposure = usage / len(thetas)
    return {
        "rmse20": float(np.sqrt(np.mean((est20 - thetas) ** 2))),
        "psd20": float(np.sqrt(np.mean(sd20**2))),
        "max_exposure": float(exposure.max()),
        "mean_exposure": float(exposure.mean()),
        "bank_used": float(np.mean(usage > 0)),
    }


def exposure_methods(
    a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> dict[str, Callable[[], tuple[Selector, Callable[[np.ndarray], None]]]]:
    def top(n: int) -> Callable[[], tuple[Selector, Callable[[np.ndarray], None]]]:
        def make() -> tuple[Selector, Callable[[np.ndarray], None]]:
            rng = np.random.default_rng(12)

            def select(theta: float, administered: np.ndarray, position: int) -> int:
                return select_item(theta, a, b, c, administered, rng=rng, top_n=n)

            return select, lambda administered: None

        return make

    def controlled(**kwargs: float) -> Callable[[], tuple[Selector, Callable[[np.ndarray], None]]]:
        def make() -> tuple[Selector, Callable[[np.ndarray], None]]:
            control = ExposureControl(len(a), 0.20, np.random.default_rng(12), **kwargs)

            def select(theta: float, administered: np.ndarray, position: int) -> int:
                return control.select(theta, a, b, c, administered, position, TEST_LENGTH)

            return select, control.end_examinee

        return make

    return {
        "max info (top_n=1)": top(1),
        "randomesque top 5": top(5),
        "skip items over the cap (acceleration 0)": controlled(acceleration=0.0),
        "progressive-restricted (defaults)": controlled(),
    }


def exposure_report(a: np.ndarray, b: np.ndarray, c: np.ndarray, seeds: int, n: int) -> None:
    methods = exposure_methods(a, b, c)
    theta_seeds = [THETA_SEED, *range(1, seeds)]
    print(
        f"Exposure control: {n} simulees per seed, {TEST_LENGTH}-item tests, cap 0.20, "
        f"theta seeds {theta_seeds} (response seed = theta seed + 100)"
    )
    print()
    print(
        "| seed | method | RMSE @20 | vs max info | RMS post. SD @20 | vs max info "
        "| max exposure | mean exposure | bank used |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    summary: dict[str, list[dict[str, float]]] = {name: [] for name in methods}
    for seed in theta_seeds:
        thetas = np.random.default_rng(seed).normal(size=n)
        uniforms = np.random.default_rng(seed + 100).random((n, len(a)))
        base: dict[str, float] = {}
        for name, make in methods.items():
            r = run_exposure(a, b, c, thetas, uniforms, make)
            base = base or r
            r["d_rmse"] = r["rmse20"] / base["rmse20"] - 1.0
            r["d_psd"] = r["psd20"] / base["psd20"] - 1.0
            summary[name].append(r)
            print(
                f"| {seed} | {name} | {r['rmse20']:.4f} | {r['d_rmse']:+.1%} | "
                f"{r['psd20']:.4f} | {r['d_psd']:+.1%} | {r['max_exposure']:.3f} | "
                f"{r['mean_exposure']:.3f} | {r['bank_used']:.1%} |",
                flush=True,
            )
    print()
    print(
        "| method (mean over seeds) | RMSE @20 vs max info | post. SD vs max info "
        "| worst max exposure | fewest bank used |"
    )
    print("|---|---|---|---|---|")
    for name, rows in summary.items():
        print(
            f"| {name} | {np.mean([r['d_rmse'] for r in rows]):+.2%} "
            f"(min {min(r['d_rmse'] for r in rows):+.1%}, "
            f"max {max(r['d_rmse'] for r in rows):+.1%}) | "
            f"{np.mean([r['d_psd'] for r in rows]):+.2%} | "
            f"{max(r['max_exposure'] for r in rows):.3f} | "
            f"{min(r['bank_used'] for r in rows):.1%} |"
        )


def cap_bound(a: np.ndarray, b: np.ndarray, c: np.ndarray, n: int = 600) -> None:
    from scipy import sparse
    from scipy.optimize import linprog

    from nexus_app.engine.irt import information

    thetas = np.random.default_rng(5).normal(size=n)
    info = np.asarray(information(thetas[:, None], a, b, c))
    keep = 200  # each simulee's 200 best items: the rest never enter an optimal choice
    top = np.argsort(-info, axis=1)[:, :keep]
    rows = np.repeat(np.arange(n), keep)
    cols = top.ravel()
    values = info[rows, cols]
    var = np.arange(values.size)
    ones = np.ones(values.size)
    per_person = sparse.csr_matrix((ones, (rows, var)), shape=(n, values.size))
    per_item = sparse.csr_matrix((ones, (cols, var)), shape=(len(a), values.size))
    result = linprog(
        -values,
        A_ub=per_item,
        b_ub=np.full(len(a), 0.20 * n),
        A_eq=per_person,
        b_eq=np.full(n, TEST_LENGTH),
        bounds=(0, 1),
        method="highs",
    )
    chosen = (result.x.reshape(n, keep) > 0.5) * values.reshape(n, keep)
    capped = np.sort(chosen, axis=1)[:, ::-1][:, :20].sum(axis=1)
    free = np.sort(info, axis=1)[:, ::-1][:, :20].sum(axis=1)
    proxy_free = float(np.sqrt(np.mean(1.0 / (1.0 + free))))
    proxy_capped = float(np.sqrt(np.mean(1.0 / (1.0 + capped))))
    print(
        f"Bound with true thetas known ({n} simulees, {TEST_LENGTH} items each, cap 0.20): "
        f"information of the best 20 items {free.mean():.3f} without cap, "
        f"{capped.mean():.3f} with ({capped.mean() / free.mean() - 1:+.1%}); implied RMSE "
        f"{proxy_free:.4f} -> {proxy_capped:.4f} ({proxy_capped / proxy_free - 1:+.1%})"
    )


def sympson_hetter(a: np.ndarray, b: np.ndarray, c: np.ndarray, rounds: int = 8) -> None:
    """Unconditional Sympson-Hetter on maximum information, for comparison only.

    K is tuned in `rounds` simulations of 1000 simulees (theta seed 5) towards
    r = 0.19, K_i = min(1, r / P(selected)), then run on theta seeds 2024 and 1
    (2000 simulees each) beside maximum information.
    """
    from nexus_app.engine.irt import information

    target = 0.19

    def make_sh(
        k: np.ndarray, selected: np.ndarray
    ) -> Callable[[], tuple[Selector, Callable[[np.ndarray], None]]]:
        def make() -> tuple[Selector, Callable[[np.ndarray], None]]:
            rng = np.random.default_rng(12)
            blocked = np.zeros(len(a), dtype=bool)

            def select(theta: float, administered: np.ndarray, position: int) -> int:
                if position == 1:
                    blocked[:] = False
                info = np.asarray(information(theta, a, b, c), dtype=float)
                info[administered | blocked] = -1.0
                while True:
                    item = int(np.argmax(info))
                    selected[item] += 1
                    if rng.random() < k[item]:
                        return item
                    # Passed over: not offered again to this examinee.
                    blocked[item] = True
                    info[item] = -1.0

            return select, lambda administered: None

        return make

    k = np.ones(len(a))
    thetas = np.random.default_rng(5).normal(size=1000)
    uniforms = np.random.default_rng(105).random((1000, len(a)))
    for rnd in range(rounds):
        selected = np.zeros(len(a), dtype=np.int64)
        r = run_exposure(a, b, c, thetas, uniforms, make_sh(k, selected))
        p_selected = selected / len(thetas)
        k = np.where(p_selected > target, target / np.maximum(p_selected, 1e-12), 1.0)
        print(
            f"SH tuning round {rnd}: max exposure {r['max_exposure']:.3f}, "
            f"bank used {r['bank_used']:.1%}"
        )
    max_info = exposure_methods(a, b, c)["max info (top_n=1)"]
    for seed in (THETA_SEED, 1):
        thetas = np.random.default_rng(seed).normal(size=2000)
        uniforms = np.random.default_rng(seed + 100).random((2000, len(a)))
        base = run_exposure(a, b, c, thetas, uniforms, max_info)
        r = run_exposure(a, b, c, thetas, uniforms, make_sh(k, np.zeros(len(a), dtype=np.int64)))
        print(
            f"SH seed {seed}: RMSE @20 {r['rmse20']:.4f} "
            f"({r['rmse20'] / base['rmse20'] - 1:+.1%}), "
            f"post. SD {r['psd20']:.4f} ({r['psd20'] / base['psd20'] - 1:+.1%}), "
            f"max exposure {r['max_exposure']:.3f}, mean {r['mean_exposure']:.3f}, "
            f"bank used {r['bank_used']:.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("accuracy", "exposure", "bound", "sympson-hetter"))
    parser.add_argument("--seeds", type=int, default=3, help="exposure part: theta seeds")
    parser.add_argument("--simulees", type=int, default=2000, help="exposure part: per seed")
    args = parser.parse_args()

    from catsim.item_bank import ItemBank

    bank = ItemBank.generate_item_bank(500, "3PL", seed=BANK_SEED)
    a, b, c = (np.ascontiguousarray(bank.items[:, k]) for k in range(3))
    if args.only in (None, "accuracy"):
        accuracy_report(bank, a, b, c)
        print()
    if args.only in (None, "exposure"):
        exposure_report(a, b, c, args.seeds, args.simulees)
        print()
    if args.only in (None, "bound"):
        cap_bound(a, b, c)
    if args.only == "sympson-hetter":
        sympson_hetter(a, b, c)


def accuracy_report(bank: Any, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    thetas = np.random.default_rng(THETA_SEED).normal(size=N_EXAMINEES)

    ours = run_ours(a, b, c, thetas, top_n=1)
    ours5 = run_ours(a, b, c, thetas, top_n=5)
    theirs = run_catsim(bank, thetas)

    print(
        f"bank: catsim 3PL, 500 items (seed {BANK_SEED}); {N_EXAMINEES} examinees "
        f"theta~N(0,1) (seed {THETA_SEED}); {TEST_LENGTH} items each; start theta 0"
    )
    print()
    print(
        "| method | RMSE / bias @10 | RMSE / bias @20 | RMSE / bias @30 "
        "| max exposure | items never used | ms per step |"
    )
    print("|---|---|---|---|---|---|---|")
    print(report("Nexus EAP + max info", ours, thetas))
    print(report("Nexus EAP + randomesque top 5", ours5, thetas))
    print(report("catsim MLE (bounded, Dodd) + MaxInfoSelector", theirs, thetas))
    print(report("same catsim run, estimates clipped to [-4, 4]", theirs, thetas, clip=True))

    # Sampling noise and calibration of our SEs: the same CAT with 5 other
    # response seeds, and the mean reported posterior SD (an EAP under the
    # true N(0, 1) population is Bayes-optimal, so RMSE ~ RMS posterior SD).
    rmse20 = []
    for seed in range(21, 26):
        run = run_ours(a, b, c, thetas, top_n=1, response_seed=seed)
        rmse20.append(float(np.sqrt(np.mean((run["estimates"][:, 20] - thetas) ** 2))))
    rms_sd = [float(np.sqrt(np.mean(ours["ses"][:, k] ** 2))) for k in CHECKPOINTS]
    print()
    print(
        "Nexus EAP + max info, RMSE @20 over 5 other response seeds: "
        f"mean {np.mean(rmse20):.3f}, min {min(rmse20):.3f}, max {max(rmse20):.3f}"
    )
    print(
        "Nexus EAP + max info, RMS of reported posterior SD @10/@20/@30: "
        + " / ".join(f"{v:.3f}" for v in rms_sd)
    )


if __name__ == "__main__":
    main()
