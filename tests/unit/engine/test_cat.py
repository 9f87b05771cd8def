"""Tests for nexus_app.engine.cat: incremental EAP, item choice, stopping."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_app.engine import cat, irt


def small_bank(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.6, 2.0, n)
    b = rng.normal(0.0, 1.2, n)
    c = rng.uniform(0.1, 0.25, n)
    sub_types = [("PU", "PK", "PPU")[i % 3] for i in range(n)]
    return a, b, c, sub_types


class TestThetaPosterior:
    def test_starts_at_prior(self) -> None:
        assert cat.ThetaPosterior().estimate() == (0.0, 1.0)

    def test_matches_batch_eap(self) -> None:
        a, b, c, _ = small_bank()
        rng = np.random.default_rng(4)
        r = (rng.random(20) < 0.6).astype(int)
        post = cat.ThetaPosterior()
        for i in range(20):
            post.add(a[i], b[i], c[i], int(r[i]))
            got = post.estimate()
            want = irt.estimate_theta(r[: i + 1], a[: i + 1], b[: i + 1], c[: i + 1])
            assert got == pytest.approx(want, abs=1e-12)
        assert post.n_responses == 20

    def test_rejects_non_binary(self) -> None:
        with pytest.raises(ValueError):
            cat.ThetaPosterior().add(1.0, 0.0, 0.2, 2)

    def test_short_cat_recovers_theta(self) -> None:
        # Integration check of select + update: 120 simulees, 20 items each.
        a, b, c, _ = small_bank(300, seed=1)
        rng = np.random.default_rng(2)
        thetas = rng.normal(size=120)
        errors = []
        for true_theta in thetas:
            post = cat.ThetaPosterior()
            given_mask = np.zeros(len(a), dtype=bool)
            theta = 0.0
            for _ in range(20):
                item = irt.select_item(theta, a, b, c, given_mask)
                given_mask[item] = True
                correct = int(rng.random() < irt.probability(true_theta, a[item], b[item], c[item]))
                post.add(a[item], b[item], c[item], correct)
                theta, _ = post.estimate()
            errors.append(theta - true_theta)
        assert math.sqrt(float(np.mean(np.square(errors)))) < 0.5


class TestChooseNextItem:
    def test_plain_max_info_without_constraints(self) -> None:
        a, b, c, _ = small_bank()
        got = cat.choose_next_item(0.2, a, b, c, windows=(math.inf,))
        assert got == int(np.argmax(irt.information(0.2, a, b, c)))

    def test_none_when_nothing_eligible(self) -> None:
        a, b, c, _ = small_bank()
        assert cat.choose_next_item(0.0, a, b, c, eligible=np.zeros(len(a), bool)) is None

    def test_content_balancing_picks_largest_deficit(self) -> None:
        a, b, c, sub_types = small_bank()
        targets = {"PU": 0.4, "PK": 0.4, "PPU": 0.2}
        # Two PU given, nothing else: PK lags its 40% target the most.
        got = cat.choose_next_item(
            0.0,
            a,
            b,
            c,
            sub_types=sub_types,
            administered_sub_types=["PU", "PU"],
            target_proportions=targets,
        )
        assert got is not None and sub_types[got] == "PK"

    def test_content_balancing_first_item_follows_largest_target(self) -> None:
        a, b, c, sub_types = small_bank()
        got = cat.choose_next_item(
            0.0,
            a,
            b,
            c,
            sub_types=sub_types,
            target_proportions={"PU": 0.2, "PPU": 0.8},
        )
        assert got is not None and sub_types[got] == "PPU"

    def test_content_balancing_falls_back_when_type_exhausted(self) -> None:
        a, b, c, sub_types = small_bank()
        eligible = np.array([s != "PK" for s in sub_types])
        got = cat.choose_next_item(
            0.0,
            a,
            b,
            c,
            sub_types=sub_types,
            administered_sub_types=["PU", "PU"],
            eligible=eligible,
            target_proportions={"PU": 0.4, "PK": 0.4, "PPU": 0.2},
        )
        assert got is not None and sub_types[got] == "PPU"

    def test_content_balancing_untargeted_types_fall_back_to_all(self) -> None:
        a, b, c, sub_types = small_bank()
        eligible = np.array([s == "PPU" for s in sub_types])
        got = cat.choose_next_item(
            0.0,
            a,
            b,
            c,
            sub_types=sub_types,
            eligible=eligible,
            target_proportions={"PU": 1.0},
        )
        assert got is not None and sub_types[got] == "PPU"

    def test_proportions_balance_over_a_session(self) -> None:
        a, b, c, sub_types = small_bank(90)
        targets = {"PU": 0.5, "PK": 0.3, "PPU": 0.2}
        given_types: list[str] = []
        eligible = np.ones(len(a), dtype=bool)
        for _ in range(20):
            item = cat.choose_next_item(
                0.0,
                a,
                b,
                c,
                sub_types=sub_types,
                administered_sub_types=given_types,
                eligible=eligible,
                target_proportions=targets,
            )
            assert item is not None
            eligible[item] = False
            given_types.append(sub_types[item])
        assert given_types.count("PU") == 10
        assert given_types.count("PK") == 6
        assert given_types.count("PPU") == 4

    def test_window_prefers_items_near_theta_then_widens(self) -> None:
        a = np.array([0.3, 2.0, 1.0])
        b = np.array([0.3, 0.9, -3.0])
        c = np.zeros(3)
        # Item 1 is far more informative at theta 0, but only item 0 is
        # within the 0.5 window.
        assert irt.information(0.0, a[1], b[1], c[1]) > irt.information(0.0, a[0], b[0], c[0])
        assert cat.choose_next_item(0.0, a, b, c) == 0
        eligible = np.array([False, True, True])
        assert cat.choose_next_item(0.0, a, b, c, eligible=eligible) == 1
        eligible = np.array([False, False, True])
        assert cat.choose_next_item(0.0, a, b, c, eligible=eligible) == 2

    def test_custom_windows_always_end_with_everything(self) -> None:
        a = np.array([1.0, 1.0])
        b = np.array([3.0, -3.0])
        c = np.zeros(2)
        assert cat.choose_next_item(2.5, a, b, c, windows=(0.1,)) == 0

    def test_randomesque_spreads_exposure(self) -> None:
        a, b, c, _ = small_bank()
        rng = np.random.default_rng(9)
        picks = {
            cat.choose_next_item(0.0, a, b, c, top_n=4, rng=rng, windows=(math.inf,))
            for _ in range(200)
        }
        top4 = set(np.argsort(-irt.information(0.0, a, b, c))[:4].tolist())
        assert picks == top4

    def test_validates_shapes(self) -> None:
        a, b, c, sub_types = small_bank()
        with pytest.raises(ValueError, match="finite"):
            cat.choose_next_item(float("inf"), a, b, c)
        with pytest.raises(ValueError):
            cat.choose_next_item(0.0, a, b, c, eligible=np.ones(3, bool))
        with pytest.raises(ValueError):
            cat.choose_next_item(
                0.0, a, b, c, sub_types=sub_types[:5], target_proportions={"PU": 1.0}
            )

    @settings(max_examples=80, deadline=None)
    @given(
        st.floats(-4, 4),
        st.lists(st.booleans(), min_size=60, max_size=60),
        st.lists(st.sampled_from(["PU", "PK", "PPU"]), max_size=10),
        st.integers(1, 5),
        st.integers(0, 2**32 - 1),
    )
    def test_never_returns_ineligible(
        self, theta: float, eligible: list[bool], given_types: list[str], top_n: int, seed: int
    ) -> None:
        a, b, c, sub_types = small_bank()
        mask = np.array(eligible)
        got = cat.choose_next_item(
            theta,
            a,
            b,
            c,
            sub_types=sub_types,
            administered_sub_types=given_types,
            eligible=mask,
            target_proportions={"PU": 0.5, "PK": 0.5},
            top_n=top_n,
            rng=np.random.default_rng(seed),
        )
        if not mask.any():
            assert got is None
        else:
            assert got is not None and mask[got]


class TestShouldStop:
    def test_max_items_always_stops(self) -> None:
        assert cat.should_stop(0.9, 30, max_items=30)

    def test_min_items_blocks_stop(self) -> None:
        assert not cat.should_stop(0.1, 3, min_items=5)

    def test_se_target(self) -> None:
        assert cat.should_stop(0.29, 10)
        assert cat.should_stop(0.30, 10)
        assert not cat.should_stop(0.31, 10)
        assert cat.should_stop(0.39, 10, se_target=0.4)
