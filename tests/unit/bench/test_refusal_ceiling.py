"""The refusal ceiling's figures (bench/refusal_ceiling.py): the AUC and the report."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import refusal_ceiling

from nexus_app.ai.rag.calibration import MODEL_FEATURES_V2


def test_auc_counts_pairs_and_ties() -> None:
    assert refusal_ceiling.auc([3.0, 4.0], [1.0, 2.0]) == 1.0
    assert refusal_ceiling.auc([1.0], [2.0]) == 0.0
    assert refusal_ceiling.auc([2.0, 1.0], [2.0]) == 0.25  # one tie (half), one loss
    assert refusal_ceiling.auc([], [1.0]) != refusal_ceiling.auc([], [1.0])  # NaN


def _row(batch: int, category: str, signal: float) -> dict[str, object]:
    names = (*MODEL_FEATURES_V2, "top_dense", "lexical", "agree")
    features = dict.fromkeys(names, signal)
    features["missing"] = 1.0 - signal
    return {"batch": batch, "category": category, "features": features}


def test_report_on_separable_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(12)
    rows = [
        _row(batch, category, (0.7 if category == "covered_loose" else 0.2) + rng.random() * 0.2)
        for batch in range(6)
        for category in ("covered_loose", "out_of_book")
        for _ in range(10)
    ]
    path = tmp_path / "rows.json"
    path.write_text(json.dumps({"quote_first": {"rows": rows}}), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["refusal_ceiling.py", str(path)])
    refusal_ceiling.main()
    out = capsys.readouterr().out
    # Features that separate the categories: every held-out fit ranks them perfectly, and a
    # cut refusing 95 % of out-of-book questions refuses no covered one.
    assert "pooled 1.000" in out
    assert "refusing 95% of out-of-book questions: covered refused 0/30" in out
    assert "| 3 | refitted, 10% budget |" in out
