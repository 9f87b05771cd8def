"""The sparse calibration (issue 16) against the dense algorithm it replaced.

`dense_calibration_reference` is a verbatim copy of the dense persons x items code; on small
random data with awkward corners the sparse engine must give the same answer to ~1e-6.
"""

import numpy as np
import pytest

from nexus_app.engine import calibration as cal
from nexus_app.engine import irt
from nexus_app.engine.calibration import estimate

from . import dense_calibration_reference as dense

FIELDS = ("a", "b", "c", "se_a", "se_b", "se_c", "infit", "outfit", "chi2", "chi2_p", "theta")


def awkward_matrix(seed: int, persons: int = 300, items: int = 12) -> np.ndarray:
    """3PL answers, 40% unseen, plus the corners the sparse code must not trip over."""
    rng = np.random.default_rng(seed)
    a = np.clip(rng.lognormal(0.0, 0.3, items), 0.5, 2.5)
    b = rng.normal(0.0, 1.0, items)
    c = rng.uniform(0.1, 0.25, items)
    theta = rng.normal(size=persons)
    p = c + (1 - c) / (1 + np.exp(-a * (theta[:, None] - b)))
    x = (rng.random(p.shape) < p).astype(float)
    x[rng.random(p.shape) < 0.4] = np.nan
    x[:, 0] = np.nan  # an item nobody answered
    x[:, 1] = np.where(np.isnan(x[:, 1]), np.nan, 1.0)  # an item everybody got right
    x[:, 2] = np.where(np.isnan(x[:, 2]), np.nan, 0.0)  # an item everybody got wrong
    x[:5] = np.nan  # people who answered nothing
    x[5:15] = np.nan
    x[5:15, 3] = 1.0  # people with a single answer
    return x


def assert_same(sparse: cal.CalibrationResult, ref: dense.CalibrationResult) -> None:
    for name in FIELDS:
        np.testing.assert_allclose(
            getattr(sparse, name), getattr(ref, name), rtol=1e-6, atol=1e-6, err_msg=name
        )
    np.testing.assert_array_equal(sparse.misfit, ref.misfit)
    np.testing.assert_array_equal(sparse.n_responses, ref.n_responses)
    np.testing.assert_array_equal(sparse.chi2_df, ref.chi2_df)
    assert sparse.iterations == ref.iterations and sparse.converged == ref.converged
    assert sparse.loglik == pytest.approx(ref.loglik, rel=1e-9)
    assert sparse.latent_mean == pytest.approx(ref.latent_mean, abs=1e-9)
    assert sparse.latent_sd == pytest.approx(ref.latent_sd, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_equals_dense_on_awkward_data(seed: int) -> None:
    x = awkward_matrix(seed)
    assert_same(cal.calibrate_3pl(x, se_method="full"), dense.calibrate_3pl(x))


def test_sparse_equals_dense_with_anchors_and_latent_estimation() -> None:
    x = awkward_matrix(4, persons=500)
    fixed = {3: (1.2, -0.4, 0.18), 7: (0.9, 0.8, 0.2)}
    assert_same(cal.calibrate_3pl(x, fixed=fixed), dense.calibrate_3pl(x, fixed=fixed))


def test_answers_in_any_order_give_the_same_result() -> None:
    x = awkward_matrix(5)
    person, item = np.nonzero(~np.isnan(x))
    order = np.random.default_rng(0).permutation(person.size)
    answers = cal.Answers.from_arrays(
        person[order],
        item[order],
        x[person, item][order],
        n_items=x.shape[1],
        n_persons=x.shape[0],
    )
    assert np.all(np.diff(answers.person) >= 0)
    assert_same(cal.calibrate_answers(answers), dense.calibrate_3pl(x))


def test_irt_calibrate_wrapper_unchanged() -> None:
    x = awkward_matrix(6)
    ref = dense.calibrate_3pl(x)
    a, b, c = irt.calibrate(x)
    np.testing.assert_allclose(np.column_stack([a, b, c]), np.column_stack([ref.a, ref.b, ref.c]))


def test_block_standard_errors_match_the_full_hessian_blocks() -> None:
    """The large-bank SEs invert the item-diagonal blocks of the observed information; they
    must equal the inverted diagonal blocks of the numerical full Hessian."""
    rng = np.random.default_rng(9)
    persons, items = 2000, 10
    a = rng.uniform(0.8, 2.0, items)
    b = rng.normal(0, 1, items)
    theta = rng.normal(size=persons)
    p = 0.2 + 0.8 / (1 + np.exp(-a * (theta[:, None] - b)))
    x = (rng.random(p.shape) < p).astype(float)
    x[rng.random(p.shape) < 0.3] = np.nan
    res = cal.calibrate_3pl(x, compute_se=False)
    design = cal._design(cal.Answers.from_matrix(x))
    par = cal._pack(res.a, res.b, res.c)
    free = np.ones(items, dtype=bool)
    block, ok = cal._block_observed_se(design, par, free, res.priors)
    assert ok
    # The full Hessian, numerically, and its diagonal blocks inverted one by one.
    k = 3 * items
    hess = np.empty((k, k))
    h = 1e-4

    def gradient(q: np.ndarray) -> np.ndarray:
        r, n, _, _ = cal._e_step(design, q)
        return cal._score_info(q, r, n, res.priors)[0].ravel()

    for col in range(k):
        up, down = par.copy(), par.copy()
        up[col // 3, col % 3] += h
        down[col // 3, col % 3] -= h
        hess[:, col] = (gradient(up) - gradient(down)) / (2 * h)
    hess = 0.5 * (hess + hess.T)
    expected = np.array(
        [
            np.sqrt(np.diag(np.linalg.inv(-hess[3 * j : 3 * j + 3, 3 * j : 3 * j + 3])))
            for j in range(items)
        ]
    )
    np.testing.assert_allclose(block, expected, rtol=1e-4)
    # And they are close to (slightly below) the full-inverse SEs.
    full, _ = cal._observed_se(design, par, free, res.priors)
    assert np.all(block <= full * 1.001)
    assert np.all(block >= full * 0.8)


def test_auto_uses_blocks_above_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    x = awkward_matrix(7)
    monkeypatch.setattr(estimate, "FULL_SE_MAX_ITEMS", 3)
    auto = cal.calibrate_3pl(x)
    block = cal.calibrate_3pl(x, se_method="block")
    full = cal.calibrate_3pl(x, se_method="full")
    np.testing.assert_array_equal(auto.se_b, block.se_b)
    assert not np.allclose(block.se_b[3:], full.se_b[3:], rtol=1e-9, equal_nan=True)
    monkeypatch.setattr(estimate, "FULL_SE_MAX_ITEMS", 100)
    np.testing.assert_array_equal(cal.calibrate_3pl(x).se_b, full.se_b)
    monkeypatch.setattr(estimate, "FULL_SE_MAX_WORK", 1000)  # answers x free items over the budget
    np.testing.assert_array_equal(cal.calibrate_3pl(x).se_b, block.se_b)


class TestAnswersValidation:
    def test_duplicate_pair_rejected(self) -> None:
        with pytest.raises(ValueError, match="more than once"):
            cal.Answers.from_arrays([0, 1, 0], [2, 2, 2], [1, 0, 0], n_items=3)

    @pytest.mark.parametrize(
        ("person", "item", "correct"),
        [
            ([0, 1], [0], [1, 0]),  # lengths differ
            ([0, -1], [0, 1], [1, 0]),  # negative person
            ([0, 1], [0, 3], [1, 0]),  # item out of range
            ([0, 1], [0, 1], [1, 2]),  # not 0/1
            ([0, 1.5], [0, 1], [1, 0]),  # not an index
            ([["x"]], [0], [1]),
        ],
    )
    def test_bad_arrays_rejected(self, person: object, item: object, correct: object) -> None:
        with pytest.raises(ValueError):
            cal.Answers.from_arrays(person, item, correct, n_items=3)  # type: ignore[arg-type]

    def test_bad_options_rejected(self) -> None:
        answers = cal.Answers.from_arrays([0, 1], [0, 1], [1, 0], n_items=2)
        with pytest.raises(ValueError):
            cal.calibrate_answers(answers, se_method="exact")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            cal.calibrate_answers(answers, fixed={2: (1.0, 0.0, 0.2)})
        with pytest.raises(ValueError):
            cal.calibrate_answers(np.ones((2, 2)))  # type: ignore[arg-type]

    def test_no_answers_at_all(self) -> None:
        answers = cal.Answers.from_arrays([], [], [], n_items=4, n_persons=3)
        res = cal.calibrate_answers(answers, compute_se=False)
        assert res.theta.shape == (3,) and np.all(res.n_responses == 0)
