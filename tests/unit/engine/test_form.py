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


@settings(max_examples=150, deadline=None)
@given(
    topics=st.integers(1, 4),
    per_form=st.integers(1, 5),
    rounds_per_bank=st.integers(1, 5),
    repeats=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_exposure_uses_the_bank_round_by_round(
    topics: int, per_form: int, rounds_per_bank: int, repeats: int, seed: int, data: st.DataObject
) -> None:
    """Forms drawn one after another with the usage so far: every item of the bank is used
    once before any is used twice, so after `repeats` passes each is used exactly that often
    (each topic holds per_form * rounds_per_bank items of any difficulties; the shares are
    exact, so the strata stay the same from form to form)."""
    size = per_form * rounds_per_bank
    pool = [
        form.PoolItem(
            t * size + i + 1,
            data.draw(st.floats(-3, 3, allow_nan=False), label="b"),
            f"topic{t}",
        )
        for t in range(topics)
        for i in range(size)
    ]
    rng = np.random.default_rng(seed)
    usage: Counter[int] = Counter()
    for n in range(rounds_per_bank * repeats):
        drawn = form.draw_form(pool, topics * per_form, rng, usage)
        assert len(drawn) == len(set(drawn)) == topics * per_form
        usage.update(drawn)
        # Never more than one use apart at any moment.
        counts = [usage[item.item_id] for item in pool]
        assert max(counts) - min(counts) <= 1, n
    assert all(usage[item.item_id] == repeats for item in pool)


@settings(max_examples=100, deadline=None)
@given(
    sizes=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(1, 12), min_size=1),
    length=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
    forms=st.integers(2, 12),
)
def test_exposure_control_keeps_the_blueprint_and_never_exposes_more_than_random(
    sizes: dict[str, int], length: int, seed: int, forms: int
) -> None:
    """With usage the form keeps its length, balance and no repeats, and the most-used item
    is never used more often than the stratum sizes force."""
    pool = _pool(sizes)
    rng = np.random.default_rng(seed)
    usage: Counter[int] = Counter()
    for _ in range(forms):
        drawn = form.draw_form(pool, length, rng, usage)
        assert len(drawn) == len(set(drawn)) == min(length, len(pool))
        usage.update(drawn)
    # A topic of n items gives k or k+1 per form: strata hold at least n // (k + 1) items,
    # and within a stratum uses never differ by more than one round.
    topic_of = {item.item_id: item.sub_type for item in pool}
    per_topic = Counter(topic_of[i] for i in usage.elements()) if usage else Counter()
    for topic, n in sizes.items():
        most = max((usage[i.item_id] for i in pool if i.sub_type == topic), default=0)
        share = -(-per_topic[topic] // forms)  # the largest share it can have had
        smallest_stratum = max(n // max(share, 1), 1)
        assert most <= -(-forms // smallest_stratum) + 1


def test_the_least_used_items_of_a_stratum_are_drawn() -> None:
    pool = _pool({"a": 8})
    # Two strata (b < 0 and b >= 0); in each, all but one item already used once.
    usage = {item.item_id: 1 for item in pool if item.item_id not in (3, 6)}
    for seed in range(20):
        assert sorted(form.draw_form(pool, 2, np.random.default_rng(seed), usage)) == [3, 6]
