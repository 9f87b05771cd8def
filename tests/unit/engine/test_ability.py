"""The running per-section ability update."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate

from nexus_app.engine.ability import MAX_SD, update_ability, widen_for_time
from nexus_app.engine.irt import probability


def _brute_force(mean: float, sd: float, a: float, b: float, c: float, correct: bool):
    def density(t: float) -> float:
        p = float(probability(t, a, b, c))
        like = p if correct else 1 - p
        return like * math.exp(-0.5 * ((t - mean) / sd) ** 2)

    lo, hi = mean - 8 * sd, mean + 8 * sd
    z = integrate.quad(density, lo, hi)[0]
    m = integrate.quad(lambda t: t * density(t), lo, hi)[0] / z
    v = integrate.quad(lambda t: (t - m) ** 2 * density(t), lo, hi)[0] / z
    return m, math.sqrt(v)


@pytest.mark.parametrize("correct", [True, False])
@pytest.mark.parametrize(("mean", "sd"), [(0.0, 1.0), (1.2, 0.3), (-0.5, 0.12)])
def test_matches_numerical_integration(mean: float, sd: float, correct: bool) -> None:
    got = update_ability(mean, sd, 1.3, 0.4, 0.2, correct)
    want = _brute_force(mean, sd, 1.3, 0.4, 0.2, correct)
    assert got == pytest.approx(want, abs=2e-3)


@given(
    mean=st.floats(-3, 3),
    sd=st.floats(0.1, 1.0),
    a=st.floats(0.3, 2.5),
    b=st.floats(-3, 3),
    c=st.floats(0.0, 0.35),
)
def test_a_right_answer_never_ends_below_a_wrong_one(mean, sd, a, b, c) -> None:
    up, _ = update_ability(mean, sd, a, b, c, True)
    down, _ = update_ability(mean, sd, a, b, c, False)
    assert up >= down - 1e-9


@given(
    mean=st.floats(-1, 1),
    sd=st.floats(0.1, 0.5),
    a=st.floats(0.3, 2.5),
    b=st.floats(-3, 3),
    c=st.floats(0.0, 0.35),
)
def test_right_moves_up_and_wrong_moves_down(mean, sd, a, b, c) -> None:
    # Away from the [-4, 4] bounds, where the prior is not truncated.
    up, _ = update_ability(mean, sd, a, b, c, True)
    down, _ = update_ability(mean, sd, a, b, c, False)
    assert up >= mean - 1e-9 >= down - 2e-9


@given(
    mean=st.floats(-1, 1),
    sd=st.floats(0.1, 0.5),
    a=st.floats(0.3, 2.5),
    b=st.floats(-3, 3),
    c=st.floats(0.0, 0.35),
)
def test_an_answer_narrows_the_belief_on_average(mean, sd, a, b, c) -> None:
    # One answer can widen the belief (a surprise), but not in expectation.
    _, sd_up = update_ability(mean, sd, a, b, c, True)
    _, sd_down = update_ability(mean, sd, a, b, c, False)
    grid = np.linspace(mean - 6 * sd, mean + 6 * sd, 2001)
    weights = np.exp(-0.5 * ((grid - mean) / sd) ** 2)
    p_right = float(np.sum(weights * probability(grid, a, b, c)) / np.sum(weights))
    expected_variance = p_right * sd_up**2 + (1 - p_right) * sd_down**2
    assert expected_variance <= sd**2 * (1 + 1e-3)


def test_widening_is_capped_and_grows_with_idle_days() -> None:
    assert widen_for_time(0.2, 0) == pytest.approx(0.2)
    assert widen_for_time(0.2, 10) > widen_for_time(0.2, 1) > 0.2
    assert widen_for_time(0.9, 1000) == MAX_SD
    with pytest.raises(ValueError):
        widen_for_time(0.0, 1)


def test_many_answers_recover_a_true_ability() -> None:
    rng = np.random.default_rng(3)
    true_theta, mean, sd = 1.0, 0.0, 1.0
    for _ in range(60):
        b = mean + rng.normal(0, 0.3)
        correct = rng.random() < float(probability(true_theta, 1.5, b, 0.2))
        mean, sd = update_ability(mean, sd, 1.5, b, 0.2, bool(correct))
    assert abs(mean - true_theta) < 0.45 and sd < 0.3
