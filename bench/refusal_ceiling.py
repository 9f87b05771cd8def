"""How far the refusal's features can go on questions nobody tuned on (issue 12).

Reads the rows that ``bench_tutor.py --json F`` wrote (each with its refusal features, its
category and its gold-set batch) and, for each batch written apart (3, 4, 5), fits the
logistic refusal rule on all the other rows, then reports on the left-out batch:

- the shipped rule and the refitted one at several covered-refusal budgets: covered
  questions refused, out-of-book questions refused;
- the AUC of the refitted score (how often a covered question scores above an out-of-book
  one), per batch and pooled;
- the best any cut on the pooled held-out scores could do: the share of covered questions
  refused when the cut refuses 75, 90 or 95 % of the out-of-book ones (chosen on the held-out
  rows themselves, so an upper bound for these features).

    python bench/bench_tutor.py --answers extractive --json /tmp/tutor.json
    python bench/refusal_ceiling.py /tmp/tutor.json [--features a,b,c]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_tutor import fit_rule, held_out_figures  # noqa: E402

from nexus_app.ai.rag.calibration import MODEL_FEATURES_V2, load_rule  # noqa: E402

HELD_OUT_BATCHES = (3, 4, 5)
BUDGETS = (0.03, 0.05, 0.08, 0.10)
OUT_OF_BOOK_SHARES = (0.75, 0.90, 0.95)


def auc(covered: Sequence[float], out_of_book: Sequence[float]) -> float:
    """P(a covered question scores above an out-of-book one), ties counting half."""
    if not covered or not out_of_book:
        return float("nan")
    wins = sum((c > o) + 0.5 * (c == o) for c in covered for o in out_of_book)
    return wins / (len(covered) * len(out_of_book))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=Path, help="the JSON bench_tutor.py --json wrote")
    parser.add_argument("--features", default=",".join(MODEL_FEATURES_V2))
    args = parser.parse_args()
    data = json.loads(args.rows.read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = next(iter(data.values()))["rows"]
    names = tuple(args.features.split(","))
    shipped = load_rule()
    print(f"{len(rows)} rows; features {', '.join(names)}")
    print("\n| left out | rule | covered refused | out-of-book refused |")
    print("|---|---|---|---|")
    totals: dict[str, list[int]] = {}
    pooled: list[tuple[float, bool]] = []
    aucs: list[str] = []
    for batch in HELD_OUT_BATCHES:
        test = [r for r in rows if r["batch"] == batch]
        train = [r for r in rows if r["batch"] != batch]
        if not test:
            continue
        rules = {"shipped": shipped} | {
            f"refitted, {budget:.0%} budget": fit_rule(train, names, budget) for budget in BUDGETS
        }
        for label, rule in rules.items():
            figures = held_out_figures(test, rule)
            cov, n_cov = (
                int(figures["covered_loose"]["refused_n"]),
                int(figures["covered_loose"]["n"]),
            )
            oob, n_oob = int(figures["out_of_book"]["refused_n"]), int(figures["out_of_book"]["n"])
            print(f"| {batch} | {label} | {cov}/{n_cov} | {oob}/{n_oob} |")
            total = totals.setdefault(label, [0, 0, 0, 0])
            for i, v in enumerate((cov, n_cov, oob, n_oob)):
                total[i] += v
        scorer = rules[f"refitted, {BUDGETS[-1]:.0%} budget"]
        scored = [(scorer.score(r["features"]), r["category"] == "covered_loose") for r in test]
        pooled += scored
        aucs.append(
            f"{batch}: {auc([s for s, c in scored if c], [s for s, c in scored if not c]):.3f}"
        )
    print("\n| rule | covered refused | out-of-book refused |  (all left-out batches)")
    print("|---|---|---|")
    for label, (cov, n_cov, oob, n_oob) in totals.items():
        print(
            f"| {label} | {cov}/{n_cov} ({cov / n_cov:.1%}) | {oob}/{n_oob} ({oob / n_oob:.1%}) |"
        )
    covered = [s for s, c in pooled if c]
    out_of_book = sorted(s for s, c in pooled if not c)
    print(f"\nAUC of the refitted score: {'; '.join(aucs)}; pooled {auc(covered, out_of_book):.3f}")
    for share in OUT_OF_BOOK_SHARES:
        # The cut that refuses this share of out-of-book questions: everything at or below it.
        cut = out_of_book[min(len(out_of_book) - 1, round(share * len(out_of_book)) - 1)]
        lost = sum(s <= cut for s in covered)
        print(
            f"best cut refusing {share:.0%} of out-of-book questions: covered refused "
            f"{lost}/{len(covered)} ({lost / len(covered):.1%})"
        )


if __name__ == "__main__":
    main()
