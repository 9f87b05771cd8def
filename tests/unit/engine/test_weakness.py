"""Weak-area rules on crafted histories: each rule at its boundary, score, bands, text."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus_app.engine.weakness import (
    Reason,
    TopicEvidence,
    TutorQuestion,
    assess_topic,
    detect_weak_areas,
    recommended_difficulty,
    recommended_practice_text,
)

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
SHAMING = ("gagal", "bodoh", "buruk", "lemah", "malas", "jelek", "payah")


def questions(ages: list[timedelta], complexity: float = 0.3) -> list[TutorQuestion]:
    return [TutorQuestion(NOW - age, complexity) for age in ages]


def spread(n: int, complexity: float = 0.3) -> list[TutorQuestion]:
    """n questions inside the window, 1 day apart (newest 1 hour ago)."""
    return questions([timedelta(hours=1) + i * DAY for i in range(n)], complexity)


def assess(mastery: float = 0.7, answers: int = 10, qs: list[TutorQuestion] | None = None):
    return assess_topic("Pythagoras", mastery, answers, qs or [], NOW)


# --- rule 1: low mastery ---------------------------------------------------------------


def test_low_mastery_fires_strictly_below_0_4() -> None:
    assert assess(0.3999).reasons == (Reason.LOW_MASTERY,)
    assert assess(0.3999).is_weak
    assert not assess(0.4).is_weak


def test_low_mastery_needs_three_scored_answers() -> None:
    assert assess(0.2, answers=3).is_weak
    assert not assess(0.2, answers=2).is_weak


# --- rule 2: more than 5 questions in 7 days with average complexity < 0.5 -------------


def test_frequent_simple_fires_above_five_questions() -> None:
    # (Six questions in a week cannot all be 3 days apart, so short retention fires too.)
    six = questions([i * timedelta(days=1.2) for i in range(6)], 0.3)
    five = six[:5]
    assert Reason.FREQUENT_SIMPLE_QUESTIONS in assess(qs=six).reasons
    assert Reason.FREQUENT_SIMPLE_QUESTIONS not in assess(qs=five).reasons


def test_frequent_simple_needs_average_complexity_below_half() -> None:
    simple = [TutorQuestion(NOW - i * 3 * DAY / 7, cx) for i, cx in enumerate([0.49] * 6)]
    exactly_half = [TutorQuestion(q.asked_at, 0.5) for q in simple]
    mixed = [TutorQuestion(q.asked_at, cx) for q, cx in zip(simple, [0.2, 0.8] * 3, strict=True)]
    assert Reason.FREQUENT_SIMPLE_QUESTIONS in assess(qs=simple).reasons
    assert not assess(qs=exactly_half).is_weak  # 0.5 is not low
    assert not assess(qs=mixed).is_weak  # average 0.5
    # Many hard questions: an engaged student, not a weak topic.
    assert not assess(qs=spread(10, 0.9)).is_weak


def test_window_is_the_last_seven_days_exclusive_of_its_start() -> None:
    recent = questions([timedelta(hours=h) for h in (1, 30, 60, 90, 120)], 0.3)
    inside = [*recent, TutorQuestion(NOW - 7 * DAY + SECOND, 0.3)]
    edge = [*recent, TutorQuestion(NOW - 7 * DAY, 0.3)]
    got_inside = assess(qs=inside)
    got_edge = assess(qs=edge)
    assert got_inside.questions_in_window == 6
    assert Reason.FREQUENT_SIMPLE_QUESTIONS in got_inside.reasons
    assert got_edge.questions_in_window == 5
    assert Reason.FREQUENT_SIMPLE_QUESTIONS not in got_edge.reasons


def test_questions_after_now_are_ignored() -> None:
    qs = [*spread(5), TutorQuestion(NOW + DAY, 0.1)]
    assert assess(qs=qs).questions_in_window == 5


# --- rule 3: short retention (two quick returns in a row) with simple questions --------


def test_short_retention_fires_below_three_days() -> None:
    gap = 3 * DAY - SECOND
    qs = questions([timedelta(hours=1), timedelta(hours=1) + gap, timedelta(hours=1) + 2 * gap])
    got = assess(qs=qs)
    assert got.reasons == (Reason.SHORT_RETENTION,)
    assert got.recent_gaps_days == pytest.approx((gap / DAY, gap / DAY))


def test_short_retention_does_not_fire_at_three_days() -> None:
    qs = questions(
        [timedelta(hours=1), timedelta(hours=1) + 3 * DAY, timedelta(hours=1) + 3 * DAY + DAY]
    )
    assert not assess(qs=qs).is_weak  # newest gap is exactly 3 days


def test_one_quick_follow_up_is_not_short_retention() -> None:
    assert not assess(qs=questions([timedelta(hours=1), timedelta(hours=5)])).is_weak


def test_short_retention_needs_simple_questions_and_a_recent_one() -> None:
    quick = [timedelta(hours=1), DAY, 2 * DAY]
    assert not assess(qs=questions(quick, 0.7)).is_weak
    old = [age + 7 * DAY for age in quick]  # same pattern, but all before the window
    assert not assess(qs=questions(old, 0.2)).is_weak


# --- combination, score, determinism ---------------------------------------------------


def test_rules_combine_with_or_and_chat_rules_raise_the_score() -> None:
    only_mastery = assess(0.3)
    everything = assess(0.3, qs=spread(7, 0.2))
    assert set(everything.reasons) == set(Reason)
    assert only_mastery.weakness_score == pytest.approx(0.7)
    assert everything.weakness_score == pytest.approx(0.9)
    chat_only = assess(0.7, answers=0, qs=spread(7, 0.2))
    assert chat_only.is_weak and Reason.LOW_MASTERY not in chat_only.reasons
    assert chat_only.weakness_score == pytest.approx(0.5)


def test_nothing_flags_without_evidence() -> None:
    got = assess(0.5, answers=0)
    assert not got.is_weak and got.reasons == ()
    assert got.avg_complexity is None and got.recent_gaps_days == ()


@given(
    mastery=st.floats(0, 1),
    answers=st.integers(0, 50),
    qs=st.lists(
        st.tuples(st.floats(0, 20), st.floats(0, 1)).map(
            lambda t: TutorQuestion(NOW - timedelta(days=t[0]), t[1])
        ),
        max_size=15,
    ),
    seed=st.integers(0, 1000),
)
def test_score_in_range_order_free_and_monotone(
    mastery: float, answers: int, qs: list[TutorQuestion], seed: int
) -> None:
    got = assess_topic("T", mastery, answers, qs, NOW)
    assert 0.0 <= got.weakness_score <= 1.0
    assert got.is_weak == bool(got.reasons)
    shuffled = qs[:]
    random.Random(seed).shuffle(shuffled)
    assert assess_topic("T", mastery, answers, shuffled, NOW) == got
    lower = assess_topic("T", mastery / 2, answers, qs, NOW)
    assert lower.weakness_score >= got.weakness_score
    assert lower.is_weak or not got.is_weak


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        assess(1.5)
    with pytest.raises(ValueError):
        assess(0.5, answers=-1)
    with pytest.raises(ValueError, match="complexity"):
        assess(qs=[TutorQuestion(NOW, 1.2)])
    with pytest.raises(ValueError, match="timezone"):
        assess_topic("T", 0.5, 0, [], datetime(2026, 3, 9))


def test_detect_weak_areas_lists_weak_topics_weakest_first() -> None:
    got = detect_weak_areas(
        [
            TopicEvidence("Aljabar", 0.35, 5),
            TopicEvidence("Peluang", 0.8, 9),
            TopicEvidence("Geometri", 0.2, 4),
            TopicEvidence("Statistika", 0.35, 5),
        ],
        NOW,
    )
    assert [a.topic for a in got] == ["Geometri", "Aljabar", "Statistika"]


# --- difficulty bands and the practice text --------------------------------------------


@pytest.mark.parametrize(
    ("mastery", "band"),
    [
        (0.0, "easy"),
        (0.2999, "easy"),
        (0.3, "medium"),
        (0.5999, "medium"),
        (0.6, "hard"),
        (1.0, "hard"),
    ],
)
def test_difficulty_bands(mastery: float, band: str) -> None:
    assert recommended_difficulty(mastery) == band


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan")])
def test_difficulty_rejects_out_of_range(bad: float) -> None:
    with pytest.raises(ValueError):
        recommended_difficulty(bad)


def test_practice_text_is_friendly_indonesian() -> None:
    got = assess(0.2, qs=spread(7, 0.2))
    text = got.recommended_practice
    assert got.recommended_difficulty == "easy"
    assert "Pythagoras" in text and "perlu latihan lagi" in text and "mudah" in text
    assert "konsep dasar" in text and "2-3 hari" in text


@pytest.mark.parametrize("band", ["easy", "medium", "hard"])
@pytest.mark.parametrize("reasons", [(), tuple(Reason)])
def test_practice_text_never_shames(band: str, reasons: tuple[Reason, ...]) -> None:
    text = recommended_practice_text("Barisan", band, reasons).lower()  # type: ignore[arg-type]
    assert not any(word in text for word in SHAMING)
    assert text.endswith("kamu pasti bisa!")
