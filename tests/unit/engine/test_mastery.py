"""Topic mastery: Elo (default) and BKT updates, chat nudges, replay and fitting."""

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit

from nexus_app.engine.irt import probability
from nexus_app.engine.mastery import (
    CHAT_STEP,
    DEFAULT_MODEL,
    MASTERY_MAX,
    MASTERY_MIN,
    BKTModel,
    EloModel,
    MasteryState,
    PracticeAnswer,
    bkt_step,
    chat_signal_delta,
    chat_signal_update,
    elo_k,
    elo_step,
    fit_bkt,
    fit_elo,
    initial_state,
    mastery_to_rating,
    pad_sequences,
    predict_correct,
    replay_mastery,
    run_sequences,
    update_mastery,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BKT = BKTModel(p_init=0.3, p_learn=0.1, p_guess=0.2, p_slip=0.1)

items = st.tuples(
    st.floats(-3, 3),  # b
    st.floats(0.3, 2.5),  # a
    st.floats(0.0, 0.35),  # c
)
levels = st.floats(0.0, 1.0)
counts = st.integers(0, 300)


def test_default_model_is_elo_and_starts_neutral() -> None:
    assert isinstance(DEFAULT_MODEL, EloModel)
    state = initial_state()
    assert state == MasteryState(0.5, 0, 0, None)
    assert initial_state(prior_theta=1.0).mastery_level == pytest.approx(float(expit(1.0)))
    # BKT ignores the ability prior: it has no ability scale.
    assert initial_state(model=BKT, prior_theta=2.0).mastery_level == pytest.approx(0.3)


def test_right_answer_raises_wrong_lowers_and_counts() -> None:
    up = update_mastery(None, True, 0.0, 1.0, 0.2, T0)
    down = update_mastery(None, False, 0.0, 1.0, 0.2, T0)
    assert up.mastery_level > 0.5 > down.mastery_level
    assert (up.question_count, up.correct_count, up.last_interaction) == (1, 1, T0)
    assert (down.question_count, down.correct_count) == (1, 0)


def test_elo_is_classic_elo_without_guessing() -> None:
    # a = 1, c = 0: theta += K * (y - expit(theta - b)).
    k = float(elo_k(0, 0.7, 0.05, 0.1))
    got = float(elo_step(0.3, 0, 1.0, 1.0, -0.2, 0.0, 0.7, 0.05, 0.1))
    assert got == pytest.approx(0.3 + k * (1 - float(expit(0.5))))


@pytest.mark.parametrize("y", [0.0, 1.0])
@pytest.mark.parametrize(("theta", "a", "b", "c"), [(0.2, 1.3, 0.5, 0.2), (-1.0, 0.7, 1.5, 0.25)])
def test_elo_step_is_a_gradient_step_on_the_3pl_loglik(
    y: float, theta: float, a: float, b: float, c: float
) -> None:
    def loglik(t: float) -> float:
        p = float(probability(t, a, b, c))
        return y * math.log(p) + (1 - y) * math.log(1 - p)

    h = 1e-6
    grad = (loglik(theta + h) - loglik(theta - h)) / (2 * h)
    k = 0.5
    assert float(elo_step(theta, 0, y, a, b, c, k, 0.0, 0.0)) == pytest.approx(
        theta + k * grad, abs=1e-7
    )


def test_k_decays_to_its_floor() -> None:
    assert float(elo_k(0, 0.7, 0.05, 0.1)) == pytest.approx(0.7)
    assert float(elo_k(20, 0.7, 0.05, 0.1)) == pytest.approx(0.35)
    assert float(elo_k(10_000, 0.7, 0.05, 0.1)) == pytest.approx(0.1)
    # Later answers move the rating less.
    first = update_mastery(None, True, 0.0, 1.0, 0.2, T0)
    late = MasteryState(0.5, 100, 60, T0)
    later = update_mastery(late, True, 0.0, 1.0, 0.2, T0)
    assert later.mastery_level - 0.5 < first.mastery_level - 0.5


def test_predict_correct_is_the_3pl_at_the_topic_rating() -> None:
    state = MasteryState(0.7, 4, 3, T0)
    want = float(probability(float(logit(0.7)), 1.2, 0.4, 0.2))
    assert predict_correct(state, 0.4, 1.2, 0.2) == pytest.approx(want)
    assert predict_correct(None, 0.0, 1.0, 0.0) == pytest.approx(0.5)


def test_table_default_mastery_zero_is_usable() -> None:
    # topic_mastery.mastery_level defaults to 0.0; its logit would be -inf.
    state = MasteryState(0.0, 0, 0, None)
    nxt = update_mastery(state, True, 0.0, 1.0, 0.2, T0)
    assert MASTERY_MIN < nxt.mastery_level < 0.5
    assert math.isfinite(predict_correct(state, 0.0, 1.0, 0.2))


def test_out_of_order_answers_keep_the_latest_time() -> None:
    s = update_mastery(None, True, 0.0, 1.0, 0.2, T0)
    s = update_mastery(s, True, 0.0, 1.0, 0.2, T0 - timedelta(hours=1))
    assert s.last_interaction == T0


@given(level=levels, count=counts, item=items, correct=st.booleans())
def test_elo_direction_and_bounds(level: float, count: int, item: tuple, correct: bool) -> None:
    b, a, c = item
    state = MasteryState(level, count, 0, None)
    new = update_mastery(state, correct, b, a, c, T0).mastery_level
    assert MASTERY_MIN <= new <= MASTERY_MAX
    start = min(max(level, MASTERY_MIN), MASTERY_MAX)
    if correct:
        assert new >= start - 1e-12
    else:
        assert new <= start + 1e-12


@given(level=levels, item=items, correct=st.booleans())
def test_bkt_bounds_and_right_beats_wrong(level: float, item: tuple, correct: bool) -> None:
    b, a, c = item
    state = MasteryState(level, 0, 0, None)
    right = update_mastery(state, True, b, a, c, T0, model=BKT).mastery_level
    wrong = update_mastery(state, False, b, a, c, T0, model=BKT).mastery_level
    assert MASTERY_MIN <= wrong <= right <= MASTERY_MAX


@given(level=st.floats(0.05, 0.95))
def test_bkt_without_learning_moves_with_the_answer(level: float) -> None:
    # With p_learn > 0 a wrong answer may still raise P(known) (BKT's transition);
    # without learning, Bayes alone must move it the answer's way.
    no_learn = dict(p_learn=0.0, p_guess=0.2, p_slip=0.1)
    assert float(bkt_step(level, 1.0, **no_learn)) > level
    assert float(bkt_step(level, 0.0, **no_learn)) < level


@settings(max_examples=50)
@given(
    answers=st.lists(st.tuples(st.booleans(), items), min_size=1, max_size=40),
    model=st.sampled_from([DEFAULT_MODEL, BKT]),
)
def test_any_sequence_stays_in_range_and_is_deterministic(answers: list, model) -> None:
    def run() -> MasteryState | None:
        state = None
        for i, (correct, (b, a, c)) in enumerate(answers):
            state = update_mastery(state, correct, b, a, c, T0 + timedelta(minutes=i), model=model)
        return state

    first, second = run(), run()
    assert first == second
    assert first is not None
    assert 0.0 <= first.mastery_level <= 1.0
    assert first.question_count == len(answers)
    assert first.correct_count == sum(c for c, _ in answers)


def test_state_round_trips_through_stored_floats() -> None:
    # The service stores mastery_level (a double) and rebuilds the state: same next step.
    s = update_mastery(None, True, 0.3, 1.4, 0.2, T0)
    stored = MasteryState(
        float(repr(s.mastery_level)) * 1.0, s.question_count, s.correct_count, s.last_interaction
    )
    assert update_mastery(stored, False, 0.1, 1.0, 0.2, T0) == update_mastery(
        s, False, 0.1, 1.0, 0.2, T0
    )
    assert float(expit(mastery_to_rating(s.mastery_level))) == pytest.approx(s.mastery_level)


def test_many_right_answers_approach_but_never_exceed_the_top() -> None:
    s = None
    for i in range(200):
        s = update_mastery(s, True, 1.0, 1.5, 0.2, T0 + timedelta(minutes=i))
    assert s is not None and 0.9 < s.mastery_level <= MASTERY_MAX


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(item_a=0.0), "discrimination"),
        (dict(item_c=1.0), "guessing"),
        (dict(item_b=math.nan), "finite"),
        (dict(when=datetime(2026, 1, 1)), "timezone-aware"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, message: str) -> None:
    args = dict(state=None, correct=True, item_b=0.0, item_a=1.0, item_c=0.2, when=T0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        update_mastery(**args)


def test_invalid_states_and_models_are_refused() -> None:
    with pytest.raises(ValueError):
        MasteryState(1.2)
    with pytest.raises(ValueError):
        MasteryState(0.5, question_count=1, correct_count=2)
    with pytest.raises(ValueError):
        BKTModel(p_guess=0.6, p_slip=0.5)


# --- chat signals ----------------------------------------------------------------------


def test_many_quick_simple_questions_nudge_down_a_little() -> None:
    s = initial_state()
    prev = None
    for i in range(10):
        when = T0 + timedelta(minutes=5 * i)
        s = chat_signal_update(s, 0.1, when, previous_question_at=prev)
        prev = when
    # Documented size: ten simple questions minutes apart take 0.50 to about 0.39.
    assert 0.36 < s.mastery_level < 0.40
    assert (s.question_count, s.correct_count) == (0, 0)
    assert s.last_interaction == prev


def test_complex_question_after_a_long_gap_nudges_up() -> None:
    s = chat_signal_update(initial_state(), 0.9, T0, previous_question_at=T0 - timedelta(days=10))
    assert s.mastery_level > 0.5


def test_retention_boundary_is_three_days() -> None:
    assert chat_signal_delta(0.5, 3.0, 0) == 0.0
    assert chat_signal_delta(0.5, 2.9, 0) < 0.0
    assert chat_signal_delta(0.5, 3.1, 0) > 0.0
    assert chat_signal_delta(0.5, None, 0) == 0.0


def test_practice_evidence_damps_chat_nudges() -> None:
    assert chat_signal_delta(0.0, 0.0, 10) == pytest.approx(chat_signal_delta(0.0, 0.0, 0) / 2)


@given(cx=st.floats(0, 1), gap=st.one_of(st.none(), st.floats(0, 365)), n=counts)
def test_chat_delta_is_small(cx: float, gap: float | None, n: int) -> None:
    assert abs(chat_signal_delta(cx, gap, n)) <= CHAT_STEP + 1e-15


def test_chat_rejects_bad_complexity() -> None:
    with pytest.raises(ValueError, match="complexity"):
        chat_signal_update(None, 1.5, T0)


# --- replay and fitting ----------------------------------------------------------------


def _answers(n: int, seed: int) -> list[PracticeAnswer]:
    rng = random.Random(seed)
    return [
        PracticeAnswer(
            f"t{rng.randrange(8)}",
            rng.random() < 0.6,
            rng.gauss(0, 1),
            rng.uniform(0.5, 2),
            rng.uniform(0.05, 0.25),
            T0 + timedelta(minutes=i),
        )
        for i in range(n)
    ]


def test_replay_equals_folding_update_mastery_in_time_order() -> None:
    answers = _answers(120, 3)
    want: dict[str, MasteryState] = {}
    for x in answers:
        want[x.topic] = update_mastery(
            want.get(x.topic), x.correct, x.item_b, x.item_a, x.item_c, x.answered_at
        )
    shuffled = answers[:]
    random.Random(4).shuffle(shuffled)
    assert replay_mastery(shuffled) == want
    assert sum(s.question_count for s in want.values()) == 120


def test_vectorised_run_matches_the_scalar_api() -> None:
    answers = [x for x in _answers(60, 5) if x.topic == "t1"]
    seqs = pad_sequences(
        [
            (
                [float(x.correct) for x in answers],
                [x.item_a for x in answers],
                [x.item_b for x in answers],
                [x.item_c for x in answers],
            )
        ]
    )
    for model in (DEFAULT_MODEL, BKT):
        pred = run_sequences(model, seqs)[0]
        state = None
        for i, x in enumerate(answers):
            assert predict_correct(state, x.item_b, x.item_a, x.item_c, model=model) == pred[i]
            state = update_mastery(
                state, x.correct, x.item_b, x.item_a, x.item_c, x.answered_at, model=model
            )


def test_fit_bkt_recovers_generating_parameters() -> None:
    rng = np.random.default_rng(0)
    true = BKTModel(p_init=0.2, p_learn=0.15, p_guess=0.25, p_slip=0.1)
    seqs = []
    for _ in range(400):
        known = rng.random() < true.p_init
        ys = []
        for _ in range(15):
            ys.append(float(rng.random() < ((1 - true.p_slip) if known else true.p_guess)))
            known = known or rng.random() < true.p_learn
        seqs.append((ys, np.ones(15), np.zeros(15), np.zeros(15)))
    fit = fit_bkt(pad_sequences(seqs))
    assert fit.p_init == pytest.approx(0.2, abs=0.08)
    assert fit.p_learn == pytest.approx(0.15, abs=0.06)
    assert fit.p_guess == pytest.approx(0.25, abs=0.06)
    assert fit.p_slip == pytest.approx(0.1, abs=0.06)


def test_fit_elo_tracks_a_learning_student_better_than_a_static_rating() -> None:
    rng = np.random.default_rng(1)
    seqs = []
    for _ in range(150):
        theta = rng.normal(-0.5, 1.0)
        a, b, c = rng.uniform(0.6, 2, 25), rng.normal(0, 1, 25), np.full(25, 0.2)
        ys = []
        for t in range(25):
            p = float(probability(theta + 0.06 * t, a[t], b[t], c[t]))
            ys.append(float(rng.random() < p))
        seqs.append((ys, a, b, c))
    pad = pad_sequences(seqs)
    fit = fit_elo(pad)
    assert fit.k0 > 0.05

    def loss(model: EloModel) -> float:
        p = run_sequences(model, pad)[pad.mask]
        y = pad.correct[pad.mask]
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    assert loss(fit) < loss(EloModel(k0=0.0, k_decay=0.0, k_min=0.0))


def test_pad_sequences_checks_lengths() -> None:
    with pytest.raises(ValueError, match="differ"):
        pad_sequences([([1, 0], [1], [0, 0], [0, 0])])
    with pytest.raises(ValueError, match="at least one"):
        pad_sequences([])
