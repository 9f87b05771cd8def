"""The refusal rule ("the books do not cover this"), chosen on data and stored with the repo.

A retrieval result is described by a few numbers (:func:`features_of`): the blended relevance
(docs/ai.md), the best dense cosine, the IDF-weighted lexical coverage and whether BM25 and the
embedder agree on the best passage. The rule answers when every feature reaches its threshold.

The thresholds are not hand-set constants: ``python bench/bench_tutor.py --calibrate`` splits
the tutor gold set (covered questions phrased loosely, near-topic out-of-book questions) in
two, grid-searches the thresholds on one half (most out-of-book refusals with at most 3 % of
covered questions refused), reports on the other half, and writes the result to
``refusal_calibration.json`` next to this file. :func:`load_rule` reads it; without the file
the old rule (relevance >= 0.40) applies.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nexus_app.ai.retriever import RELEVANCE_THRESHOLD, RetrievalResult

CALIBRATION_PATH = Path(__file__).with_name("refusal_calibration.json")
# Highest share of covered questions the calibration may refuse.
MAX_COVERED_REFUSED = 0.03

Features = dict[str, float]


def features_of(result: RetrievalResult) -> Features:
    """The numbers the refusal rule looks at, for one search."""
    best = result.passages[0] if result.passages else None
    # Agreement: the fused best passage is among the top 3 of both BM25 and the embedder.
    agree = bool(
        best
        and best.dense_rank is not None
        and best.bm25_rank is not None
        and best.dense_rank <= 3
        and best.bm25_rank <= 3
    )
    return {
        "relevance": round(result.relevance, 4),
        "top_dense": round(result.top_dense, 4),
        "lexical": round(result.lexical_coverage, 4),
        "agree": 1.0 if agree else 0.0,
    }


@dataclass(frozen=True, slots=True)
class RefusalRule:
    """Answer when relevance, dense cosine and lexical coverage reach their thresholds.

    ``high`` splits answered questions into "tinggi" and "sedang" relevance for the student;
    below ``low`` (still answered) it is "rendah".
    """

    min_relevance: float
    min_dense: float = 0.0
    min_lexical: float = 0.0
    high: float = 0.7
    low: float = RELEVANCE_THRESHOLD

    @classmethod
    def legacy(cls) -> RefusalRule:
        return cls(min_relevance=RELEVANCE_THRESHOLD)

    def covers(self, f: Features) -> bool:
        return (
            f["relevance"] >= self.min_relevance
            and f["top_dense"] >= self.min_dense
            and f["lexical"] >= self.min_lexical
        )

    def covers_result(self, result: RetrievalResult) -> bool:
        return bool(result.passages) and self.covers(features_of(result))

    def words(self, relevance: float) -> str:
        """How well the book matches, in words a student understands."""
        if relevance >= self.high:
            return "tinggi"
        if relevance >= self.low:
            return "sedang"
        return "rendah"

    def to_json(self) -> dict[str, Any]:
        return {
            "min_relevance": self.min_relevance,
            "min_dense": self.min_dense,
            "min_lexical": self.min_lexical,
            "high": self.high,
            "low": self.low,
        }


def _frange(lo: float, hi: float, step: float) -> list[float]:
    n = round((hi - lo) / step)
    return [round(lo + i * step, 4) for i in range(n + 1)]


def _quantile(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return 0.0
    return s[min(len(s) - 1, max(0, int(q * (len(s) - 1) + 0.5)))]


def choose_rule(
    features: Sequence[Features],
    out_of_book: Sequence[bool],
    *,
    max_covered_refused: float = MAX_COVERED_REFUSED,
) -> RefusalRule:
    """Grid search: most out-of-book questions refused while at most ``max_covered_refused``
    of covered ones are; among equally good rules, the one nearest the centre of them all
    (so no threshold sits right on a calibration question)."""
    covered = [f for f, oob in zip(features, out_of_book, strict=True) if not oob]
    oob = [f for f, o in zip(features, out_of_book, strict=True) if o]
    allowed = int(max_covered_refused * len(covered))
    best_score = -1
    best: list[tuple[float, float, float]] = []
    for rel, dense, lex in itertools.product(
        _frange(0.2, 0.8, 0.02), _frange(0.78, 0.9, 0.005), _frange(0.0, 0.8, 0.05)
    ):
        rule = RefusalRule(rel, dense, lex)
        if sum(not rule.covers(f) for f in covered) > allowed:
            continue
        score = sum(not rule.covers(f) for f in oob)
        if score > best_score:
            best_score, best = score, [(rel, dense, lex)]
        elif score == best_score:
            best.append((rel, dense, lex))
    if not best:
        return RefusalRule.legacy()
    centre = [sum(b[i] for b in best) / len(best) for i in range(3)]
    spans = [max(b[i] for b in best) - min(b[i] for b in best) or 1.0 for i in range(3)]
    rel, dense, lex = min(
        best, key=lambda b: sum(((b[i] - centre[i]) / spans[i]) ** 2 for i in range(3))
    )
    # Words for the student: "tinggi" from the median covered relevance, "rendah" below the
    # level most out-of-book questions reach (their 90th percentile).
    high = round(_quantile([f["relevance"] for f in covered], 0.5), 4)
    low = round(max(rel, _quantile([f["relevance"] for f in oob], 0.9)), 4)
    return RefusalRule(rel, dense, lex, high=max(high, low), low=low)


@lru_cache(maxsize=1)
def load_rule(path: Path = CALIBRATION_PATH) -> RefusalRule:
    """The calibrated rule shipped with the code; the old constant if the file is missing."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return RefusalRule.legacy()
    if not data.get("applied", True):
        # Calibrated but not better than the old rule on the held-out half: keep the old
        # threshold, use the calibrated word bands.
        return RefusalRule(
            RELEVANCE_THRESHOLD,
            high=float(data.get("high", 0.7)),
            low=max(RELEVANCE_THRESHOLD, float(data.get("low", RELEVANCE_THRESHOLD))),
        )
    return RefusalRule(
        min_relevance=float(data["min_relevance"]),
        min_dense=float(data.get("min_dense", 0.0)),
        min_lexical=float(data.get("min_lexical", 0.0)),
        high=float(data.get("high", 0.7)),
        low=float(data.get("low", RELEVANCE_THRESHOLD)),
    )
