"""The load generator's figures (bench/load_practice.py): percentiles and the report."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import load_practice


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]  # 1 … 100
    assert load_practice.percentile(values, 0.5) == 50
    assert load_practice.percentile(values, 0.95) == 95
    assert load_practice.percentile(values, 0.99) == 99
    assert load_practice.percentile(values, 1.0) == 100
    assert load_practice.percentile([3.0, 1.0, 2.0], 0.5) == 2
    assert load_practice.percentile([7.0], 0.99) == 7
    assert load_practice.percentile([], 0.5) != load_practice.percentile([], 0.5)  # NaN


def test_the_report_names_every_figure_the_issue_asks_for() -> None:
    level = load_practice.Level("3 students", students=3)
    level.submit = [0.010, 0.020, 0.030]
    level.login = [0.5, 1.5]
    level.answers_total = 3
    level.steady_seconds = 10
    level.errors = Counter({"submit: gagal": 2})
    level.cpu_cores = 0.25
    level.client_cpu_cores = 0.05
    level.rss_mb = [("123 reflex run", 512.0)]
    text = load_practice.report(level)
    assert "submit p50/p95/p99     20 / 30 / 30 ms" in text
    assert "login p50/p95/max      500 / 1500 / 1500 ms" in text
    assert "errors                 2" in text and "2 × submit: gagal" in text
    assert "server CPU             0.25 cores" in text
    assert "RSS     512 MB  123 reflex run" in text


def test_usernames_must_cover_the_levels() -> None:
    with pytest.raises(SystemExit):
        load_practice.main(["--url", "ws://x", "--students", "3", "--usernames", "a,b"])
