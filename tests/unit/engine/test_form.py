"""Tryout form assembly: never repeats an item, keeps the length, balances topics, spreads
difficulty, and orders items differently per student."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_app.engine import form


def _pool(sizes: dict[str, int]) -> list[form.PoolItem]:
    items = []
    next_id = 1
    for topic, n in sizes.items():
        for i in range(n):
            items.append(form.PoolItem(next_id, -3 + 6 * i / max(n - 1, 1), topic))
            next_id += 1
    return items


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.dictionaries(
        st.sampled_from(["a", "b", "c", "d", ""]), st.integers(0, 15), min_size=1, max_size=5
    ),
    length=st.integers(0, 40),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_form_never_repeats_and_respects_the_blueprint(
    sizes: dict[str, int], length: int, seed: int
) -> None:
    pool = _pool(sizes)
    drawn = form.draw_form(pool, length, np.random.default_rng(seed))
    assert len(drawn) == len(set(drawn))
    assert len(drawn) == min(length, len(pool))
    assert set(drawn) <= {item.item_id for item in pool}
    # Balanced: a topic gets fewer than another only when it has run out of items.
    topic_of = {item.item_id: item.sub_type for item in pool}
    counts = Counter(topic_of[i] for i in drawn)
    for topic, n in sizes.items():
        got = counts.get(topic, 0)
        if got < n:  # the topic had room left
            assert all(counts.get(other, 0) <= got + 1 for other in sizes)


def test_difficulty_is_spread_within_a_topic() -> None:
    pool = _pool({"a": 40})
    drawn = form.draw_form(pool, 4, np.random.default_rng(1))
    b_of = {item.item_id: item.b for item in pool}
    bs = sorted(b_of[i] for i in drawn)
    # One item from each quarter of the difficulty range.
    assert bs[0] < -1.5 and -1.5 <= bs[1] < 0 and 0 <= bs[2] < 1.5 and bs[3] >= 1.5


def test_two_students_get_different_orders() -> None:
    pool = _pool({"a": 5, "b": 5})
    first = form.draw_form(pool, 10, np.random.default_rng(11))
    second = form.draw_form(pool, 10, np.random.default_rng(12))
    assert sorted(first) == sorted(second)  # the whole pool, so the same items...
    assert first != second  # ...in another order
    assert form.draw_form(pool, 10, np.random.default_rng(11)) == first  # seeded: redrawable


def test_allocation_fills_from_topics_with_room() -> None:
    shares = form.allocate({"a": 1, "b": 10, "c": 10}, 9, np.random.default_rng(0))
    assert shares["a"] == 1 and shares["b"] + shares["c"] == 8
    assert abs(shares["b"] - shares["c"]) <= 1
    with pytest.raises(ValueError):
        form.allocate({"a": 1}, -1, np.random.default_rng(0))


def test_scores_rise_with_right_answers_and_percentile_counts_ties_half() -> None:
    items = [(1.2, b, 0.2) for b in np.linspace(-2, 2, 10)]
    low, _ = form.score_form([(a, b, c, False) for a, b, c in items])
    high, se = form.score_form([(a, b, c, True) for a, b, c in items])
    assert low < 0 < high and 0 < se < 1
    assert form.percentile(500, [400, 500, 600, 700]) == pytest.approx(37.5)
    assert form.percentile(500, []) == 100.0


def test_estimated_cutoff_rises_with_selectivity_and_chance_with_score() -> None:
    from nexus_app.engine import admission

    assert admission.estimated_cutoff(50, 100) == pytest.approx(500, abs=0.5)
    assert admission.estimated_cutoff(5, 100) == pytest.approx(664.5, abs=0.5)
    assert admission.estimated_cutoff(100, 50) == 200  # more seats than applicants
    assert admission.estimated_cutoff(1, 10**7) == 900  # bounded to the scale
    assert admission.chance(600, 30, 600, 40) == pytest.approx(0.5)
    assert admission.chance(700, 30, 600, 40) > 0.9 > 0.1 > admission.chance(500, 30, 600, 40)
    assert admission.chance(601, 0, 600, 0) == 1.0
    with pytest.raises(ValueError):
        admission.estimated_cutoff(0, 10)
