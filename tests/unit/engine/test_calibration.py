"""Tests for nexus_app.engine.calibration (MML-EM 3PL calibration)."""

import numpy as np
import pytest
from scipy import optimize, stats
from scipy.special import expit

from nexus_app.engine import calibration as cal


def simulate(
    n_persons: int,
    n_items: int,
    seed: int,
    missing: float = 0.0,
    mean: float = 0.0,
    sd: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = np.clip(rng.lognormal(0.0, 0.3, n_items), 0.5, 2.5)
    b = rng.normal(0.0, 1.0, n_items)
    c = rng.uniform(0.1, 0.25, n_items)
    theta = rng.normal(mean, sd, n_persons)
    p = c + (1 - c) / (1 + np.exp(-a * (theta[:, None] - b)))
    x = (rng.random(p.shape) < p).astype(float)
    x[rng.random(p.shape) < missing] = np.nan
    return x, a, b, c


def rmse(est: np.ndarray, true: np.ndarray) -> float:
    return float(np.sqrt(np.mean((est - true) ** 2)))


@pytest.fixture(scope="module")
def recovery() -> tuple[cal.CalibrationResult, np.ndarray, np.ndarray, np.ndarray]:
    x, a, b, c = simulate(1000, 20, seed=0)
    return cal.calibrate_3pl(x), a, b, c


class TestRecovery:
    def test_parameters_recovered_within_loose_bounds(self, recovery: tuple) -> None:
        res, a, b, c = recovery
        assert res.converged
        assert rmse(res.a, a) < 0.35
        assert rmse(res.b, b) < 0.35
        assert rmse(res.c, c) < 0.08
        assert np.corrcoef(res.b, b)[0, 1] > 0.95
        assert np.corrcoef(res.a, a)[0, 1] > 0.6

    def test_standard_errors_sane(self, recovery: tuple) -> None:
        res, _, b, _ = recovery
        for se in (res.se_a, res.se_b, res.se_c):
            assert np.all(np.isfinite(se)) and np.all(se > 0)
        # Errors should be of the size the SEs claim (loose: priors make the
        # posterior SDs conservative).
        z = (res.b - b) / res.se_b
        assert 0.3 < float(np.std(z)) < 1.6

    def test_fit_of_well_specified_items(self, recovery: tuple) -> None:
        res = recovery[0]
        assert np.all(np.abs(res.infit - 1) < 0.2)
        assert np.all(np.abs(res.outfit - 1) < 0.3)
        assert int(res.misfit.sum()) <= 2
        assert np.all((res.chi2_p >= 0) & (res.chi2_p <= 1))

    def test_person_estimates(self, recovery: tuple) -> None:
        res = recovery[0]
        assert res.theta.shape == (1000,)
        assert abs(float(res.theta.mean())) < 0.15
        assert np.all(res.theta_se > 0)

    def test_missing_responses_are_masked(self) -> None:
        x, _, b, _ = simulate(1200, 15, seed=3, missing=0.3)
        x[:50] = np.nan  # people who saw nothing must not disturb anything
        res = cal.calibrate_3pl(x, compute_se=False)
        assert res.converged
        assert rmse(res.b, b) < 0.4
        assert np.all(res.n_responses < 1200)
        assert np.all(np.isfinite(res.theta))


class TestAgainstDirectOptimisation:
    def test_em_reaches_the_marginal_posterior_mode(self) -> None:
        """EM's answer must equal a direct L-BFGS maximisation of the same
        marginal log-posterior, written here independently of the module."""
        x, _, _, _ = simulate(400, 4, seed=7, missing=0.1)
        nodes = np.linspace(-4, 4, 41)
        log_w = stats.norm.logpdf(nodes)
        log_w -= np.log(np.exp(log_w).sum())
        observed = ~np.isnan(x)
        xz = np.nan_to_num(x)
        priors = cal.Priors()

        def neg_log_posterior(flat: np.ndarray) -> float:
            alpha, b, gamma = flat.reshape(-1, 3).T
            a, c = np.exp(alpha), expit(gamma)
            p = c[None, :] + (1 - c[None, :]) * expit(a[None, :] * (nodes[:, None] - b[None, :]))
            total = 0.0
            for i in range(x.shape[0]):
                obs = observed[i]
                lik = np.where(xz[i, obs] == 1, p[:, obs], 1 - p[:, obs])
                total += np.logaddexp.reduce(np.log(lik).sum(1) + log_w)
            total += stats.norm.logpdf(alpha, 0, priors.log_a_sd).sum()
            total += stats.norm.logpdf(b, 0, priors.b_sd).sum()
            total += stats.beta.logpdf(c, priors.c_alpha, priors.c_beta).sum()
            return -total

        res = cal.calibrate_3pl(x, tol=1e-7, max_iter=5000, compute_se=False)
        start = np.column_stack([np.log(res.a), res.b, np.log(res.c / (1 - res.c))]).ravel()
        direct = optimize.minimize(
            neg_log_posterior, np.zeros(12) + [0, 0, -1.4] * 4, method="L-BFGS-B"
        )
        assert neg_log_posterior(start) <= direct.fun + 1e-4
        np.testing.assert_allclose(start, direct.x, atol=2e-3)


class TestLinking:
    def test_fixed_items_are_held_exactly(self) -> None:
        x, a, b, c = simulate(600, 12, seed=5)
        fixed = {j: (float(a[j]), float(b[j]), float(c[j])) for j in (0, 3, 7)}
        res = cal.calibrate_3pl(x, fixed=fixed)
        for j, (fa, fb, fc) in fixed.items():
            assert (res.a[j], res.b[j], res.c[j]) == (fa, fb, fc)
            assert res.fixed[j]
            assert np.isnan(res.se_a[j]) and np.isnan(res.se_b[j])
        free = ~res.fixed
        assert np.all(np.isfinite(res.se_b[free]))

    def test_new_items_join_the_anchor_scale(self) -> None:
        # A cohort 0.6 SD abler than the original scale: with anchors held and
        # the latent distribution estimated, new items keep their true b
        # instead of looking 0.6 easier.
        x, a, b, c = simulate(2000, 24, seed=11, mean=0.6, sd=1.2)
        fixed = {j: (float(a[j]), float(b[j]), float(c[j])) for j in range(8)}
        linked = cal.calibrate_3pl(x, fixed=fixed, compute_se=False)
        unlinked = cal.calibrate_3pl(x, compute_se=False)
        assert linked.latent_mean == pytest.approx(0.6, abs=0.15)
        assert linked.latent_sd == pytest.approx(1.2, abs=0.15)
        shift_linked = float(np.mean(linked.b[8:] - b[8:]))
        shift_unlinked = float(np.mean(unlinked.b[8:] - b[8:]))
        assert abs(shift_linked) < 0.15
        assert shift_unlinked < -0.3

    def test_all_items_fixed(self) -> None:
        x, a, b, c = simulate(300, 5, seed=2)
        fixed = {j: (float(a[j]), float(b[j]), float(c[j])) for j in range(5)}
        res = cal.calibrate_3pl(x, fixed=fixed, estimate_latent=False)
        np.testing.assert_array_equal(res.b, b)
        assert res.converged and res.iterations == 1


class TestFitAndOptions:
    def test_miskeyed_item_is_flagged(self) -> None:
        x, _, _, _ = simulate(1000, 15, seed=4)
        x[:, 2] = 1 - x[:, 2]
        res = cal.calibrate_3pl(x, compute_se=False)
        assert res.misfit[2]
        assert res.chi2_p[2] < 1e-6

    def test_progress_callback(self) -> None:
        x, _, _, _ = simulate(300, 6, seed=1)
        calls: list[tuple[int, float]] = []
        res = cal.calibrate_3pl(x, progress=lambda i, ch: calls.append((i, ch)), compute_se=False)
        assert [i for i, _ in calls] == list(range(1, res.iterations + 1))
        assert calls[-1][1] < 1e-4 and res.converged

    def test_max_iter_reports_not_converged(self) -> None:
        x, _, _, _ = simulate(300, 6, seed=1)
        res = cal.calibrate_3pl(x, max_iter=2, compute_se=False)
        assert res.iterations == 2 and not res.converged


class TestValidation:
    @pytest.mark.parametrize(
        "bad",
        [np.array([1.0, 0.0]), np.array([[0.0, 2.0]]), np.zeros((3, 0)), [["x"]]],
    )
    def test_rejects_bad_responses(self, bad: object) -> None:
        with pytest.raises(ValueError):
            cal.calibrate_3pl(bad)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "fixed", [{5: (1.0, 0.0, 0.2)}, {0: (-1.0, 0.0, 0.2)}, {0: (1.0, 0.0, 1.0)}]
    )
    def test_rejects_bad_fixed(self, fixed: dict[int, tuple[float, float, float]]) -> None:
        with pytest.raises(ValueError):
            cal.calibrate_3pl(np.ones((10, 3)), fixed=fixed)
