"""Tests for nexus_app.engine.readiness (score mapping, ranges, forecasts)."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_app.engine import readiness as rd

TODAY = date(2025, 3, 1)


class TestScoreMapping:
    @pytest.mark.parametrize(
        ("theta", "score"),
        [(0.0, 500.0), (1.0, 600.0), (-1.5, 350.0), (4.0, 900.0), (5.0, 900.0), (-3.5, 200.0)],
    )
    def test_theta_to_score(self, theta: float, score: float) -> None:
        assert rd.theta_to_score(theta) == pytest.approx(score)

    def test_vectorised(self) -> None:
        np.testing.assert_allclose(rd.theta_to_score(np.array([-5, 0, 5])), [200, 500, 900])

    def test_score_to_theta_clips(self) -> None:
        assert rd.score_to_theta(650) == pytest.approx(1.5)
        assert rd.score_to_theta(100) == pytest.approx(-3.0)
        assert rd.score_to_theta(1000) == pytest.approx(4.0)

    @given(st.floats(200, 900))
    def test_round_trip(self, score: float) -> None:
        assert rd.theta_to_score(rd.score_to_theta(score)) == pytest.approx(score)


class TestPredictedRange:
    def test_symmetric_interval(self) -> None:
        assert rd.predicted_range(0.0, 0.3) == (470, 530)
        assert rd.predicted_range(0.0, 0.3, z=2.0) == (440, 560)

    def test_clipped_at_scale_ends(self) -> None:
        assert rd.predicted_range(3.8, 0.5) == (830, 900)
        assert rd.predicted_range(-2.9, 0.5) == (200, 260)

    def test_zero_se(self) -> None:
        assert rd.predicted_range(0.25, 0.0) == (525, 525)

    @pytest.mark.parametrize("se", [-0.1, float("nan"), float("inf")])
    def test_bad_se(self, se: float) -> None:
        with pytest.raises(ValueError):
            rd.predicted_range(0.0, se)

    @given(st.floats(-4, 4), st.floats(0, 2), st.floats(0, 3))
    def test_ordered_and_in_range(self, theta: float, se: float, z: float) -> None:
        low, high = rd.predicted_range(theta, se, z=z)
        assert 200 <= low <= high <= 900


class TestReadinessPercentage:
    def test_exactly_at_target_is_half(self) -> None:
        assert rd.chance_of_reaching(0.5, 0.3, 550) == pytest.approx(50.0)

    def test_one_sd_above(self) -> None:
        assert rd.chance_of_reaching(0.8, 0.3, 550) == pytest.approx(84.134, abs=1e-3)

    def test_extremes(self) -> None:
        assert rd.chance_of_reaching(4.0, 0.2, 950) == 0.0
        assert rd.chance_of_reaching(-4.0, 0.2, 200) == 100.0
        assert rd.chance_of_reaching(0.6, 0.0, 550) == 100.0
        assert rd.chance_of_reaching(0.4, 0.0, 550) == 0.0

    @given(st.floats(-4, 3.9), st.floats(0.05, 1.5), st.floats(201, 899))
    def test_monotone_in_theta(self, theta: float, se: float, target: float) -> None:
        lo = rd.chance_of_reaching(theta, se, target)
        hi = rd.chance_of_reaching(theta + 0.1, se, target)
        assert 0.0 <= lo <= hi <= 100.0


class TestReadyBy:
    def history(self, start_theta: float, per_week: float, weeks: int) -> list[tuple[date, float]]:
        return [
            (TODAY - timedelta(weeks=weeks - k), start_theta + per_week * k)
            for k in range(weeks + 1)
        ]

    def test_linear_trend_forecast(self) -> None:
        # theta rises 0.1 per week, is 0.0 today; 600 (theta 1.0) is 70 days away.
        hist = self.history(-0.4, 0.1, 4)
        when, days, per_week = rd.ready_by(hist, 600, TODAY)
        assert per_week == pytest.approx(10.0)
        assert days == 70
        assert when == TODAY + timedelta(days=70)

    def test_already_ready(self) -> None:
        hist = self.history(0.8, 0.05, 4)
        assert rd.ready_by(hist, 550, TODAY) == (TODAY, 0, pytest.approx(5.0))

    def test_flat_or_falling_trend_has_no_date(self) -> None:
        assert rd.ready_by(self.history(0.0, 0.0, 5), 600, TODAY) == (None, None, 0.0)
        when, days, per_week = rd.ready_by(self.history(0.5, -0.1, 5), 600, TODAY)
        assert (when, days) == (None, None) and per_week < 0

    def test_too_little_data(self) -> None:
        assert rd.ready_by([], 600, TODAY) == (None, None, 0.0)
        two = [(TODAY - timedelta(days=7), 0.0), (TODAY, 0.2)]
        assert rd.ready_by(two, 600, TODAY) == (None, None, 0.0)
        same_day = [(TODAY, 0.0), (TODAY, 0.1), (TODAY, 0.2)]
        assert rd.ready_by(same_day, 600, TODAY) == (None, None, 0.0)

    def test_little_data_but_latest_already_above(self) -> None:
        assert rd.ready_by([(TODAY, 1.2)], 600, TODAY) == (TODAY, 0, 0.0)

    def test_unreachable_or_too_far(self) -> None:
        assert rd.ready_by(self.history(0.0, 0.1, 4), 950, TODAY)[:2] == (None, None)
        slow = self.history(-1.0, 0.001, 4)
        assert rd.ready_by(slow, 800, TODAY)[:2] == (None, None)

    def test_datetimes_and_unsorted_input(self) -> None:
        base = datetime(2025, 1, 1, 9, 30, tzinfo=UTC)
        hist = [(base + timedelta(days=14), 0.2), (base, 0.0), (base + timedelta(days=7), 0.1)]
        now = base + timedelta(days=14)
        when, days, per_week = rd.ready_by(hist, 550, now)
        assert per_week == pytest.approx(10.0)
        assert days == 21
        assert when == now.date() + timedelta(days=21)


def test_ready_only_when_the_latest_estimate_reaches_the_target() -> None:
    from datetime import date

    from nexus_app.engine.readiness import ready_by

    # A steep, noisy climb whose fitted line is above 600 today, but the latest estimate
    # (0.5 -> 550) is not: the student is not ready yet, and gets a date instead.
    history = [(date(2026, 11, d), t) for d, t in [(1, -1.0), (2, 0.9), (3, 0.2), (4, 0.5)]]
    when, days, per_week = ready_by(history, 600, date(2026, 11, 10))
    assert days is not None and days > 0 and when is not None and per_week > 0


def test_settling_answers_are_left_out_of_the_trend() -> None:
    from datetime import date

    from nexus_app.engine.readiness import ready_by

    # Convergence from the prior (0 -> 0.6 in the first answers), then flat: no growth.
    early = [(date(2026, 11, 1), 0.1 * k) for k in range(7)]
    later = [(date(2026, 11, 2 + k), 0.6) for k in range(5)]
    _, _, naive = ready_by(early + later, 700, date(2026, 11, 10))
    _, days, settled = ready_by(early + later, 700, date(2026, 11, 10), settle=7)
    assert naive > 0 and settled == 0 and days is None


def test_readiness_is_progress_toward_the_target() -> None:
    from nexus_app.engine import readiness as rd

    assert rd.readiness_percentage(0.0, 0.3, 800) == pytest.approx(50.0)  # 500 of 200..800
    assert rd.readiness_percentage(3.0, 0.3, 700) == 100.0
    assert rd.readiness_percentage(-3.5, 0.3, 700) == 0.0
    assert rd.readiness_percentage(0.0, 0.3, 200) == 100.0
    with pytest.raises(ValueError):
        rd.readiness_percentage(0.0, -1.0, 600)
