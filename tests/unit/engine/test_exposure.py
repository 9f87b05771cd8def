"""Tests for nexus_app.engine.cat.ExposureControl (cap, prices, progressive selection)."""

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_app.engine import cat, irt


def bank(n: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.6, 2.0, n), rng.normal(0.0, 1.0, n), rng.uniform(0.1, 0.25, n)


def simulate(
    control: cat.ExposureControl,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    examinees: int,
    length: int,
    seed: int = 1,
    check_cap_after: int | None = None,
) -> np.ndarray:
    """Run fixed-length CATs through `control`; return how often each item was given.

    With `check_cap_after`, every examinee after that many checks that no item's running
    rate is over the cap once the examinee is counted.
    """
    rng = np.random.default_rng(seed)
    usage = np.zeros(len(a), dtype=np.int64)
    for n, true_theta in enumerate(rng.normal(size=examinees), start=1):
        posterior = cat.ThetaPosterior()
        given_items: set[int] = set()
        theta, se = 0.0, 1.0
        for position in range(1, length + 1):
            item = control.select(theta, a, b, c, given_items, position, length, se=se)
            assert item not in given_items
            given_items.add(item)
            correct = int(rng.random() < irt.probability(true_theta, a[item], b[item], c[item]))
            posterior.add(a[item], b[item], c[item], correct)
            theta, se = posterior.estimate()
        control.end_examinee(given_items)
        usage[list(given_items)] += 1
        if check_cap_after is not None and n > check_cap_after:
            assert usage.max() <= control.max_rate * n + 1e-9, (n, usage.max())
    return usage


# The controller before issue 11's re-measure: plain information, no prices.
OLD: dict[str, Any] = {"price": 0.0, "posterior_weighted": False}


class TestConstruction:
    def test_fresh_state(self) -> None:
        control = cat.ExposureControl(5)
        assert control.max_rate == 0.20
        assert control.state() == ([0, 0, 0, 0, 0], 0)
        assert control.rates().tolist() == [0.0] * 5

    @pytest.mark.parametrize("max_rate", [0.0, -0.1, 1.5, float("nan")])
    def test_rejects_bad_max_rate(self, max_rate: float) -> None:
        with pytest.raises(ValueError, match="max_rate"):
            cat.ExposureControl(3, max_rate)

    def test_rejects_bad_counts(self) -> None:
        with pytest.raises(ValueError, match="shape"):
            cat.ExposureControl(3, counts=[1, 2])
        with pytest.raises(ValueError, match="non-negative"):
            cat.ExposureControl(3, counts=[1, -1, 0])
        with pytest.raises(ValueError, match="non-negative"):
            cat.ExposureControl(3, counts=[1, 0.5, 0])
        with pytest.raises(ValueError, match="examinees"):
            cat.ExposureControl(3, counts=[1, 0, 0], examinees=-1)
        with pytest.raises(ValueError, match="one-dimensional"):
            cat.ExposureControl.from_state([[1, 2]], 3)

    def test_rejects_bad_position(self) -> None:
        a, b, c = bank(4)
        control = cat.ExposureControl(4)
        with pytest.raises(ValueError, match="position"):
            control.select(0.0, a, b, c, set(), 0, 10)
        with pytest.raises(ValueError, match="position"):
            control.select(0.0, a, b, c, set(), 1, 0)

    def test_rejects_bank_of_other_size(self) -> None:
        a, b, c = bank(4)
        with pytest.raises(ValueError, match="bank has 4 items"):
            cat.ExposureControl(5).select(0.0, a, b, c, set(), 1, 10)


class TestState:
    def test_end_examinee_counts_set_and_mask(self) -> None:
        control = cat.ExposureControl(4)
        control.end_examinee({0, 2})
        control.end_examinee(np.array([False, False, True, True]))
        control.end_examinee([])
        assert control.state() == ([1, 0, 2, 1], 3)
        assert control.rates() == pytest.approx([1 / 3, 0.0, 2 / 3, 1 / 3])

    def test_round_trip(self) -> None:
        a, b, c = bank(40)
        control = cat.ExposureControl(40, 0.3, np.random.default_rng(5))
        simulate(control, a, b, c, examinees=15, length=6)
        counts, examinees = control.state()
        assert all(type(v) is int for v in counts) and type(examinees) is int
        again = cat.ExposureControl.from_state(counts, examinees, 0.3, np.random.default_rng(9))
        control.rng = np.random.default_rng(9)
        assert again.state() == (counts, examinees)
        picks = [control.select(0.3, a, b, c, {1, 2}, p, 6) for p in range(1, 7)]
        assert [again.select(0.3, a, b, c, {1, 2}, p, 6) for p in range(1, 7)] == picks

    def test_state_is_a_copy(self) -> None:
        counts = np.array([1, 2, 3])
        control = cat.ExposureControl(3, counts=counts, examinees=5)
        counts[0] = 99
        assert control.state() == ([1, 2, 3], 5)


class TestSelect:
    def test_fresh_bank_with_acceleration_zero_is_max_info(self) -> None:
        # No examinee yet: nothing passes the cap, so the restriction steps aside.
        a, b, c = bank()
        control = cat.ExposureControl(len(a), acceleration=0.0, **OLD)
        for theta in (-1.5, 0.0, 0.7):
            want = irt.select_item(theta, a, b, c, {3, 4})
            assert control.select(theta, a, b, c, {3, 4}, 1, 20) == want

    def test_set_and_mask_agree(self) -> None:
        a, b, c = bank()
        given_items = {0, 5, 17, 42}
        mask = np.zeros(len(a), dtype=bool)
        mask[list(given_items)] = True
        counts = np.random.default_rng(3).integers(0, 30, len(a))
        picks = []
        for administered in (given_items, mask, sorted(given_items)):
            control = cat.ExposureControl(
                len(a), rng=np.random.default_rng(7), counts=counts, examinees=100
            )
            picks.append([control.select(0.2, a, b, c, administered, p, 10) for p in (1, 4, 10)])
        assert picks[0] == picks[1] == picks[2]

    def test_skips_items_over_the_cap(self) -> None:
        a, b, c = bank()
        best = irt.select_item(0.0, a, b, c, set())
        counts = np.zeros(len(a), dtype=np.int64)
        counts[best] = 20  # 20 of 100: one more would make 21 of 101 > 0.20
        control = cat.ExposureControl(len(a), acceleration=0.0, counts=counts, examinees=100, **OLD)
        pick = control.select(0.0, a, b, c, set(), 5, 10)
        assert pick != best
        assert pick == irt.select_item(0.0, a, b, c, {best})
        # At 19 of 100 it may be given once more (20 of 101 <= 0.20).
        counts[best] = 19
        control.load(counts, 100)
        assert control.select(0.0, a, b, c, set(), 5, 10) == best

    def test_all_over_the_cap_still_returns_an_item(self) -> None:
        a, b, c = bank(10)
        control = cat.ExposureControl(10, counts=np.full(10, 50), examinees=50)
        pick = control.select(0.0, a, b, c, {0, 1, 2}, 3, 10, se=0.5)
        assert pick not in {0, 1, 2}
        # Every item over the cap costs the same price: the most valuable one is taken.
        value = cat.expected_information(0.0, 0.5, a, b, c)
        value[[0, 1, 2]] = -1.0
        assert pick == int(np.argmax(value))

    def test_one_item_left(self) -> None:
        a, b, c = bank(6)
        control = cat.ExposureControl(6, counts=np.full(6, 9), examinees=10)
        assert control.select(1.0, a, b, c, {0, 1, 2, 4, 5}, 1, 20) == 3

    def test_nothing_left_raises(self) -> None:
        a, b, c = bank(3)
        with pytest.raises(ValueError, match="no item remains"):
            cat.ExposureControl(3).select(0.0, a, b, c, {0, 1, 2}, 1, 5)

    def test_progressive_weight(self) -> None:
        control = cat.ExposureControl(3, acceleration=0.5)
        assert control.progressive_weight(1, 4) == pytest.approx(0.5)
        assert control.progressive_weight(4, 4) == 1.0
        assert control.progressive_weight(9, 4) == 1.0  # open-ended practice past its length
        assert cat.ExposureControl(3, acceleration=0.0).progressive_weight(1, 30) == 1.0

    def test_random_component_spreads_first_items(self) -> None:
        a, b, c = bank(200)
        strong = cat.ExposureControl(200, rng=np.random.default_rng(1), acceleration=2.0, **OLD)
        firsts = {strong.select(0.0, a, b, c, set(), 1, 30) for _ in range(50)}
        assert len(firsts) > 10
        # At the end of the test the random part is gone: maximum information.
        assert strong.select(0.0, a, b, c, set(), 30, 30) == irt.select_item(0.0, a, b, c, set())

    @settings(max_examples=120, deadline=None)
    @given(
        theta=st.floats(-4, 4),
        se=st.one_of(st.none(), st.floats(0, 3)),
        given_items=st.sets(st.integers(0, 24), max_size=24),
        counts=st.lists(st.integers(0, 60), min_size=25, max_size=25),
        examinees=st.integers(0, 60),
        position=st.integers(1, 40),
        length=st.integers(1, 30),
        acceleration=st.sampled_from([0.0, 0.1, 1.0, 3.0]),
        price=st.sampled_from([0.0, 0.25, 1.0, 5.0]),
        price_scale=st.sampled_from([0.5, 3.0, 20.0]),
        posterior_weighted=st.booleans(),
        preposterior=st.booleans(),
        as_mask=st.booleans(),
        seed=st.integers(0, 2**32 - 1),
    )
    def test_never_returns_administered(
        self,
        theta: float,
        se: float | None,
        given_items: set[int],
        counts: list[int],
        examinees: int,
        position: int,
        length: int,
        acceleration: float,
        price: float,
        price_scale: float,
        posterior_weighted: bool,
        preposterior: bool,
        as_mask: bool,
        seed: int,
    ) -> None:
        a, b, c = bank(25, seed=seed % 1000)
        control = cat.ExposureControl(
            25,
            rng=np.random.default_rng(seed),
            acceleration=acceleration,
            price=price,
            price_scale=price_scale,
            posterior_weighted=posterior_weighted,
            preposterior=preposterior,
            counts=counts,
            examinees=examinees,
        )
        administered: set[int] | np.ndarray = given_items
        if as_mask:
            administered = np.isin(np.arange(25), list(given_items))
        item = control.select(theta, a, b, c, administered, position, length, se=se)
        assert 0 <= item < 25 and item not in given_items
        under = {i for i in range(25) if i not in given_items and control.under_cap()[i]}
        if under:
            assert item in under

    @settings(max_examples=10, deadline=None)
    @given(
        seed=st.integers(0, 10_000),
        max_rate=st.sampled_from([0.15, 0.20, 0.30]),
        acceleration=st.sampled_from([0.0, 0.1, 1.0]),
        price=st.sampled_from([0.0, 0.25, 1.0]),
        posterior_weighted=st.booleans(),
        preposterior=st.booleans(),
    )
    def test_long_run_respects_max_rate(
        self,
        seed: int,
        max_rate: float,
        acceleration: float,
        price: float,
        posterior_weighted: bool,
        preposterior: bool,
    ) -> None:
        a, b, c = bank(80, seed=seed)
        control = cat.ExposureControl(
            80,
            max_rate,
            np.random.default_rng(seed),
            acceleration=acceleration,
            price=price,
            posterior_weighted=posterior_weighted,
            preposterior=preposterior,
        )
        # The first examinees of a fresh bank cannot all be under the cap (fallback picks
        # reach at most ceil(1 / max_rate) per item); from then on, after every examinee.
        warm_up = math.ceil(1 / max_rate) ** 2
        usage = simulate(
            control, a, b, c, examinees=250, length=8, seed=seed, check_cap_after=warm_up
        )
        assert control.state() == (usage.tolist(), 250)
        assert usage.max() / 250 <= max_rate + 1e-9
        assert usage.sum() == 2000

    @pytest.mark.parametrize("preposterior", [False, True])
    def test_defaults_hold_the_cap_over_many_examinees(self, preposterior: bool) -> None:
        # A bank and test shaped like a practice section: 150 items, 20-item tests.
        a, b, c = bank(150, seed=11)
        control = cat.ExposureControl(150, rng=np.random.default_rng(3), preposterior=preposterior)
        usage = simulate(control, a, b, c, examinees=400, length=20, seed=4, check_cap_after=25)
        assert usage.max() <= 0.20 * 400 + 1e-9
        # A 20-item test needs at least 100 items at 0.20; prices spread the load wider.
        assert np.count_nonzero(usage) > 100


class TestPrices:
    def test_price_at_the_cap_and_far_under_it(self) -> None:
        # 20 examinees: cap 0.2 * 21 = 4.2 showings; item 0 at 3 has 0.2 examinee of room.
        control = cat.ExposureControl(3, counts=[3, 0, 9], examinees=20, price=0.5, price_scale=2)
        assert control.headroom() == pytest.approx([0.2, 3.2, -5.8])
        assert control.prices() == pytest.approx(
            [0.5 * np.exp(-0.1), 0.5 * np.exp(-1.6), 0.5]  # over the cap: priced as at it
        )
        assert cat.ExposureControl(3, price=0.0).prices().tolist() == [0.0, 0.0, 0.0]

    def test_a_scarce_item_waits_for_a_larger_gain(self) -> None:
        # Two items alike but for their counts: the one with room is taken.
        a, b, c = np.array([1.5, 1.5]), np.array([0.0, 0.0]), np.array([0.2, 0.2])
        # 19 of 100: one more use is allowed (20 of 101), with 0.2 examinee of room left.
        control = cat.ExposureControl(2, counts=[19, 0], examinees=100)
        assert control.select(0.0, a, b, c, set(), 1, 20, se=1.0) == 1
        # Without prices the tie goes to the first index.
        plain = cat.ExposureControl(2, counts=[19, 0], examinees=100, price=0.0)
        assert plain.select(0.0, a, b, c, set(), 1, 20, se=1.0) == 0

    def test_expected_information_narrows_to_fisher_information(self) -> None:
        a, b, c = bank(30, seed=2)
        assert cat.expected_information(0.4, 0.0, a, b, c) == pytest.approx(
            irt.information(0.4, a, b, c)
        )
        # Wide posterior: the average over the grid's normal weights.
        grid = np.linspace(-8, 8, 4001)
        w = np.exp(-0.5 * ((grid - 0.4) / 1.2) ** 2)
        want = (w / w.sum()) @ np.asarray(irt.information(grid[:, None], a, b, c))
        assert cat.expected_information(0.4, 1.2, a, b, c) == pytest.approx(want, rel=1e-2)

    def test_preposterior_information_narrows_to_fisher_information(self) -> None:
        a, b, c = bank(30, seed=3)
        fisher = irt.information(0.4, a, b, c)
        assert cat.preposterior_information(0.4, 0.0, a, b, c) == pytest.approx(fisher)
        assert cat.preposterior_information(0.4, 1e-3, a, b, c) == pytest.approx(fisher, rel=1e-3)

    @pytest.mark.parametrize(("theta", "sd"), [(0.0, 1.0), (0.7, 0.6), (-1.5, 0.3)])
    def test_preposterior_information_is_the_expected_variance_drop(
        self, theta: float, sd: float
    ) -> None:
        # Brute force on a fine grid: for each item, the posterior variance after each
        # answer, weighted by its predictive probability; d / (v (v - d)) in information units.
        a, b, c = bank(30, seed=4)
        grid = np.linspace(theta - 8 * sd, theta + 8 * sd, 8001)
        w = np.exp(-0.5 * ((grid - theta) / sd) ** 2)
        w /= w.sum()
        v = w @ grid**2 - (w @ grid) ** 2
        p = np.asarray(irt.probability(grid[:, None], a, b, c))
        expected = np.zeros(30)
        for like in (p, 1.0 - p):
            joint = w[:, None] * like
            mass = joint.sum(axis=0)
            mean = (grid @ joint) / mass
            expected += (grid**2 @ joint) - mass * mean**2
        want = (v - expected) / (v * expected)
        got = cat.preposterior_information(theta, sd, a, b, c)
        assert got == pytest.approx(want, rel=2e-2)
        # So, prices off, it picks the item of least expected posterior variance.
        control = cat.ExposureControl(30, price=0.0, preposterior=True)
        assert control.select(theta, a, b, c, set(), 2, 20, se=sd) == int(np.argmin(expected))

    @settings(max_examples=60, deadline=None)
    @given(
        counts=st.lists(st.integers(0, 400), min_size=30, max_size=30),
        examinees=st.integers(0, 2000),
        theta=st.floats(-3, 3),
        position=st.integers(1, 25),
        seed=st.integers(0, 1000),
    )
    def test_counts_under_relevant_count_read_as_zero_change_nothing(
        self, counts: list[int], examinees: int, theta: float, position: int, seed: int
    ) -> None:
        # What the practice service does: it reads only counts >= relevant_count().
        a, b, c = bank(30, seed=seed)
        full = cat.ExposureControl(30, counts=counts, examinees=examinees)
        floor = full.relevant_count()
        cut = [n if n >= floor else 0 for n in counts]
        partial = cat.ExposureControl(30, counts=cut, examinees=examinees)
        assert np.array_equal(full.under_cap(), partial.under_cap())
        picks = [
            ctl.select(theta, a, b, c, {0, 1}, position, 20, se=0.5) for ctl in (full, partial)
        ]
        if picks[0] != picks[1]:
            # Only a price below the negligible share can tip the pick.
            gap = full.prices() - partial.prices()
            assert np.abs(gap).max() <= 1e-3 * full.price + 1e-12

    def test_rejects_bad_price_options(self) -> None:
        with pytest.raises(ValueError, match="price must"):
            cat.ExposureControl(3, price=-1.0)
        with pytest.raises(ValueError, match="price_scale"):
            cat.ExposureControl(3, price_scale=0.0)
        a, b, c = bank(3)
        with pytest.raises(ValueError, match="se must"):
            cat.ExposureControl(3).select(0.0, a, b, c, set(), 1, 5, se=float("nan"))


class TestChooseNextItemWithExposure:
    def test_restriction_comes_before_the_window(self) -> None:
        # Item 0 sits at theta but is over the cap; item 1 is far away and under it.
        a, b, c = np.array([1.5, 1.0]), np.array([0.0, 2.5]), np.array([0.2, 0.2])
        control = cat.ExposureControl(2, counts=[30, 0], examinees=100)
        assert cat.choose_next_item(0.0, a, b, c, exposure=control, position=5, length=10) == 1

    def test_content_balancing_outranks_exposure(self) -> None:
        a, b, c = np.full(3, 1.2), np.array([0.0, 0.1, 0.2]), np.full(3, 0.2)
        sub_types = ["PU", "PK", "PK"]
        control = cat.ExposureControl(3, counts=[90, 0, 0], examinees=100)
        got = cat.choose_next_item(
            0.0,
            a,
            b,
            c,
            sub_types=sub_types,
            administered_sub_types=["PK", "PK"],
            target_proportions={"PU": 1.0, "PK": 1.0},
            exposure=control,
            position=3,
            length=10,
        )
        assert got == 0  # the only PU item, although over the cap

    def test_respects_eligible_and_bank_size(self) -> None:
        a, b, c = bank(10)
        control = cat.ExposureControl(10)
        eligible = np.zeros(10, dtype=bool)
        eligible[7] = True
        assert cat.choose_next_item(0.0, a, b, c, eligible=eligible, exposure=control) == 7
        with pytest.raises(ValueError, match="exposure counts cover 9"):
            cat.choose_next_item(0.0, a, b, c, exposure=cat.ExposureControl(9))
