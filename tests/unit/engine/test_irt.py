"""Numerical and property tests for nexus_app.engine.irt."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize

from nexus_app.engine import irt

# A small, varied 3PL bank reused across tests.
A = np.array([0.8, 1.2, 1.7, 0.6, 1.0, 2.0, 1.4, 0.9])
B = np.array([-1.5, -0.5, 0.0, 0.4, 1.0, 1.3, -2.0, 2.2])
C = np.array([0.2, 0.25, 0.1, 0.0, 0.2, 0.15, 0.3, 0.2])
MIXED = np.array([1, 1, 0, 1, 0, 0, 1, 0], dtype=float)

finite_params = st.tuples(
    st.floats(-4, 4), st.floats(0.2, 3.0), st.floats(-4, 4), st.floats(0.0, 0.5)
)


def p_reference(theta: float, a: float, b: float, c: float) -> float:
    return c + (1.0 - c) / (1.0 + math.exp(-a * (theta - b)))


def brute_log_lik(
    theta: float, r: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> float:
    total = 0.0
    for ri, ai, bi, ci in zip(r, a, b, c, strict=True):
        p = p_reference(theta, ai, bi, ci)
        total += math.log(p) if ri == 1 else math.log(1.0 - p)
    return total


class TestProbability:
    def test_matches_formula_on_grid(self) -> None:
        thetas = np.linspace(-4, 4, 17)
        got = irt.probability(thetas[:, None], A, B, C)
        want = np.array(
            [[p_reference(t, a, b, c) for a, b, c in zip(A, B, C, strict=True)] for t in thetas]
        )
        np.testing.assert_allclose(got, want, rtol=1e-12)

    def test_scalar_returns_float(self) -> None:
        p = irt.probability(0.0, 1.0, 0.0, 0.2)
        assert isinstance(p, float)
        assert p == pytest.approx(0.6)

    def test_limits(self) -> None:
        assert irt.probability(-50.0, 1.5, 0.0, 0.2) == pytest.approx(0.2)
        assert irt.probability(50.0, 1.5, 0.0, 0.2) == pytest.approx(1.0)

    @given(finite_params)
    def test_between_c_and_one(self, params: tuple[float, float, float, float]) -> None:
        theta, a, b, c = params
        p = irt.probability(theta, a, b, c)
        assert c <= p <= 1.0


class TestInformation:
    def test_equals_squared_slope_over_pq(self) -> None:
        # I = P'(theta)^2 / (P Q) with P' by central differences: independent
        # of the closed form used in the module.
        thetas = np.linspace(-3.5, 3.5, 29)
        h = 1e-5
        for a, b, c in zip(A, B, C, strict=True):
            p = irt.probability(thetas, a, b, c)
            dp = (irt.probability(thetas + h, a, b, c) - irt.probability(thetas - h, a, b, c)) / (
                2 * h
            )
            np.testing.assert_allclose(
                irt.information(thetas, a, b, c), dp**2 / (p * (1 - p)), rtol=1e-6
            )

    def test_2pl_special_case(self) -> None:
        p = irt.probability(0.3, 1.3, -0.2, 0.0)
        assert irt.information(0.3, 1.3, -0.2, 0.0) == pytest.approx(1.3**2 * p * (1 - p))

    def test_broadcasts(self) -> None:
        info = irt.information(np.zeros((3, 1)), A, B, C)
        assert info.shape == (3, len(A))

    @given(finite_params)
    def test_positive(self, params: tuple[float, float, float, float]) -> None:
        theta, a, b, c = params
        assert irt.information(theta, a, b, c) > 0.0


class TestEstimateTheta:
    def test_eap_matches_quad_integration(self) -> None:
        def post(t: float) -> float:
            return math.exp(brute_log_lik(t, MIXED, A, B, C) - 0.5 * t * t)

        z = integrate.quad(post, -4, 4, epsabs=1e-13)[0]
        mean = integrate.quad(lambda t: t * post(t), -4, 4, epsabs=1e-13)[0] / z
        second = integrate.quad(lambda t: t * t * post(t), -4, 4, epsabs=1e-13)[0] / z
        theta, se = irt.estimate_theta(MIXED, A, B, C, method="eap")
        assert theta == pytest.approx(mean, abs=1e-5)
        assert se == pytest.approx(math.sqrt(second - mean**2), abs=1e-5)

    def test_eap_matches_quad_long_test(self) -> None:
        rng = np.random.default_rng(3)
        a = rng.uniform(0.8, 2.0, 40)
        b = rng.normal(0.5, 1, 40)
        c = rng.uniform(0.1, 0.25, 40)
        r = (rng.random(40) < irt.probability(0.7, a, b, c)).astype(float)

        def post(t: float) -> float:
            return math.exp(brute_log_lik(t, r, a, b, c) - 0.5 * t * t)

        z = integrate.quad(post, -4, 4, epsabs=0, epsrel=1e-12, limit=200)[0]
        mean = (
            integrate.quad(lambda t: t * post(t), -4, 4, epsabs=0, epsrel=1e-12, limit=200)[0] / z
        )
        assert irt.estimate_theta(r, a, b, c)[0] == pytest.approx(mean, abs=1e-4)

    def test_map_matches_scipy_optimize(self) -> None:
        res = optimize.minimize_scalar(
            lambda t: -(brute_log_lik(t, MIXED, A, B, C) - 0.5 * t * t),
            bounds=(-4, 4),
            method="bounded",
            options={"xatol": 1e-10},
        )
        theta, se = irt.estimate_theta(MIXED, A, B, C, method="map")
        assert theta == pytest.approx(res.x, abs=1e-5)
        info = float(np.sum(irt.information(theta, A, B, C)))
        assert se == pytest.approx(1 / math.sqrt(info + 1.0))

    def test_mle_matches_scipy_optimize(self) -> None:
        res = optimize.minimize_scalar(
            lambda t: -brute_log_lik(t, MIXED, A, B, C),
            bounds=(-4, 4),
            method="bounded",
            options={"xatol": 1e-10},
        )
        theta, se = irt.estimate_theta(MIXED, A, B, C, method="mle")
        assert theta == pytest.approx(res.x, abs=1e-5)
        info = float(np.sum(irt.information(theta, A, B, C)))
        assert se == pytest.approx(1 / math.sqrt(info))

    @pytest.mark.parametrize("value", [0.0, 1.0])
    def test_mle_falls_back_to_map_for_constant_patterns(self, value: float) -> None:
        r = np.full(len(A), value)
        assert irt.estimate_theta(r, A, B, C, "mle") == irt.estimate_theta(r, A, B, C, "map")

    @pytest.mark.parametrize("method", ["eap", "map", "mle"])
    def test_no_responses_returns_prior(self, method: str) -> None:
        assert irt.estimate_theta([], [], [], [], method) == (0.0, 1.0)

    def test_mle_clipped_to_range(self) -> None:
        # Right on five very hard items, wrong only on an even harder one:
        # the likelihood peaks near theta = 5, so the estimate is clipped.
        a = np.full(6, 1.5)
        b = np.array([3.5, 3.5, 3.5, 3.5, 3.5, 5.5])
        c = np.zeros(6)
        r = np.array([1, 1, 1, 1, 1, 0])
        theta, _ = irt.estimate_theta(r, a, b, c, "mle")
        assert theta == 4.0

    def test_accepts_bools_and_lists(self) -> None:
        got = irt.estimate_theta([True, False], [1.0, 1.0], [0.0, 0.5], [0.2, 0.2])
        want = irt.estimate_theta(np.array([1.0, 0.0]), [1.0, 1.0], [0.0, 0.5], [0.2, 0.2])
        assert got == want

    @pytest.mark.parametrize(
        ("responses", "a", "message"),
        [
            ([1, 0], [1.0, 1.0, 1.0], "responses has length 2"),
            ([1, 0, 1], [1.0, 1.0, 1.0], None),
            ([1, 2, 0], [1.0, 1.0, 1.0], "only 0 and 1"),
            ([1, float("nan"), 0], [1.0, 1.0, 1.0], "only 0 and 1"),
            ([1, 0], [1.0, 1.0], "same length"),
        ],
    )
    def test_validation(self, responses: list[float], a: list[float], message: str | None) -> None:
        b = [0.0] * 3
        c = [0.2] * 3
        if message is None:
            irt.estimate_theta(responses, a, b, c)
            return
        with pytest.raises(ValueError, match=message):
            irt.estimate_theta(responses, a, b, c)

    def test_unknown_method(self) -> None:
        with pytest.raises(ValueError, match="unknown method"):
            irt.estimate_theta([1], [1.0], [0.0], [0.2], method="wle")

    def test_bad_guessing(self) -> None:
        with pytest.raises(ValueError, match="guessing"):
            irt.estimate_theta([1], [1.0], [0.0], [1.0])

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.tuples(st.floats(0.3, 2.5), st.floats(-3, 3), st.floats(0, 0.35), st.booleans()),
            max_size=12,
        ),
        st.tuples(st.floats(0.3, 2.5), st.floats(-3, 3), st.floats(0, 0.35)),
    )
    def test_eap_moves_with_answer(
        self, history: list[tuple[float, float, float, bool]], item: tuple[float, float, float]
    ) -> None:
        a = np.array([h[0] for h in history])
        b = np.array([h[1] for h in history])
        c = np.array([h[2] for h in history])
        r = np.array([float(h[3]) for h in history])
        before, _ = irt.estimate_theta(r, a, b, c)
        a2, b2, c2 = np.append(a, item[0]), np.append(b, item[1]), np.append(c, item[2])
        right, _ = irt.estimate_theta(np.append(r, 1.0), a2, b2, c2)
        wrong, _ = irt.estimate_theta(np.append(r, 0.0), a2, b2, c2)
        assert right >= before - 1e-12
        assert wrong <= before + 1e-12
        assert right > wrong

    @settings(max_examples=40, deadline=None)
    @given(
        st.lists(st.booleans(), min_size=1, max_size=len(A)), st.sampled_from(["eap", "map", "mle"])
    )
    def test_estimates_within_range(self, answers: list[bool], method: str) -> None:
        n = len(answers)
        theta, se = irt.estimate_theta(answers, A[:n], B[:n], C[:n], method)
        assert -4.0 <= theta <= 4.0
        assert se > 0.0


class TestSelectItem:
    def test_max_information(self) -> None:
        info = irt.information(0.3, A, B, C)
        assert irt.select_item(0.3, A, B, C, []) == int(np.argmax(info))

    def test_skips_administered_in_all_forms(self) -> None:
        best = irt.select_item(0.3, A, B, C, set())
        mask = np.zeros(len(A), dtype=bool)
        mask[best] = True
        for administered in ({best}, [best], (best,), np.array([best]), mask, list(mask)):
            assert irt.select_item(0.3, A, B, C, administered) != best

    def test_randomesque_stays_in_top_n(self) -> None:
        info = irt.information(0.0, A, B, C)
        top3 = set(np.argsort(-info)[:3].tolist())
        rng = np.random.default_rng(0)
        picks = {irt.select_item(0.0, A, B, C, [], rng=rng, top_n=3) for _ in range(200)}
        assert picks == top3

    def test_top_n_larger_than_remaining(self) -> None:
        picked = irt.select_item(0.0, A, B, C, list(range(len(A) - 1)), top_n=50)
        assert picked == len(A) - 1

    def test_raises_when_nothing_left(self) -> None:
        with pytest.raises(ValueError, match="no item remains"):
            irt.select_item(0.0, A, B, C, list(range(len(A))))

    def test_rejects_bad_inputs(self) -> None:
        with pytest.raises(ValueError):
            irt.select_item(0.0, A, B, C, [len(A)])
        with pytest.raises(ValueError):
            irt.select_item(0.0, A, B, C, np.zeros(3, dtype=bool))
        with pytest.raises(ValueError):
            irt.select_item(0.0, A, B[:-1], C, [])
        with pytest.raises(ValueError):
            irt.select_item(0.0, A, B, C, [], top_n=0)
        with pytest.raises(ValueError, match="finite"):
            irt.select_item(float("nan"), A, B, C, [])

    @settings(max_examples=100, deadline=None)
    @given(
        st.floats(-4, 4),
        st.sets(st.integers(0, len(A) - 1), max_size=len(A) - 1),
        st.integers(1, 6),
        st.integers(0, 2**32 - 1),
    )
    def test_never_returns_administered(
        self, theta: float, administered: set[int], top_n: int, seed: int
    ) -> None:
        rng = np.random.default_rng(seed)
        picked = irt.select_item(theta, A, B, C, administered, rng=rng, top_n=top_n)
        assert isinstance(picked, int)
        assert picked not in administered
        assert 0 <= picked < len(A)


def test_calibrate_returns_plain_tuple() -> None:
    rng = np.random.default_rng(1)
    x = (rng.random((200, 5)) < 0.6).astype(float)
    out = irt.calibrate(x)
    assert isinstance(out, tuple) and len(out) == 3
    for arr in out:
        assert isinstance(arr, np.ndarray) and arr.shape == (5,)


def test_item_params_fill_in_only_what_an_item_lacks() -> None:
    assert irt.item_params(None, None, None) == (irt.DEFAULT_A, irt.DEFAULT_B, irt.DEFAULT_C)
    # A calibrated guessing parameter of zero is a value, not a gap.
    assert irt.item_params(1.4, -0.5, 0.0) == (1.4, -0.5, 0.0)
    assert irt.item_params(0.0, 0.0, None) == (irt.DEFAULT_A, 0.0, irt.DEFAULT_C)
