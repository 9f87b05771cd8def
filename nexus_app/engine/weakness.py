"""Weak-area rules (the OpenClass seed's detection criteria), as pure functions.

The seed lists four criteria for flagging a topic: mastery < 0.4, high question frequency
(> 5 questions in 7 days), low complexity questions (average < 0.5) and short retention
(< 3 days between questions), without saying how they combine. Nexus reads them as three
rules; a topic is weak when ANY rule fires:

1. ``low_mastery``: mastery_level < 0.4, once the topic has at least 3 scored practice
   answers. The seed's own detection query uses mastery alone, so it is sufficient on
   its own; the 3-answer minimum keeps one unlucky first answer from labelling a topic
   weak (the default Elo starts at 0.5 and one wrong answer can cross 0.4).
2. ``frequent_simple_questions``: more than 5 tutor questions on the topic in the last 7
   days AND their average complexity < 0.5. Many questions alone is also what a keen,
   strong student does, and a few simple questions are normal; many basic questions in a
   week is the pattern of a student stuck on the basics.
3. ``short_retention``: the student came back to the topic within 3 days twice in a row
   (the two most recent gaps between consecutive questions are both < 3 days, the latest
   question is inside the 7-day window) AND the window's average complexity < 0.5. One
   quick follow-up is ordinary studying, and quick returns with hard questions are going
   deeper, not forgetting; repeatedly re-asking basic questions is what short retention
   looks like. It catches the 3-5-question case that rule 2 does not.

So low complexity never flags by itself: it is what turns the frequency and the retention
signals into evidence of weakness. This keeps false alarms (and the "needs intervention"
list teachers see) down, which matters more for a label students read than catching a
topic a day earlier; a low practice mastery still flags on its own.

The window is (now - 7 days, now], like the seed's ``created_at > NOW() - INTERVAL '7
days'``; questions after `now` are ignored. All thresholds are strict, as in the seed.

weakness_score (higher = weaker, in [0, 1]) = min(1, (1 - mastery) + 0.1 per chat rule
that fired): mastery orders topics, the chat rules lift a topic the tutor history shows
is a struggle. It is computed for every topic; `is_weak` is the flag.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

Difficulty = Literal["easy", "medium", "hard"]

# Mastery bands for choosing practice questions: easy [0, 0.3), medium [0.3, 0.6), hard [0.6, 1].
EASY_BELOW: float = 0.3
MEDIUM_BELOW: float = 0.6
DIFFICULTY_LABEL_ID: dict[str, str] = {"easy": "mudah", "medium": "sedang", "hard": "sulit"}
PRACTICE_QUESTIONS: int = 5


class Reason(StrEnum):
    LOW_MASTERY = "low_mastery"
    FREQUENT_SIMPLE_QUESTIONS = "frequent_simple_questions"
    SHORT_RETENTION = "short_retention"


@dataclass(frozen=True)
class WeakAreaRules:
    """The thresholds; defaults are the seed's (plus the 3-answer evidence minimum)."""

    mastery_below: float = 0.4
    min_answers: int = 3
    window: timedelta = timedelta(days=7)
    frequent_more_than: int = 5
    complexity_below: float = 0.5
    retention_below: timedelta = timedelta(days=3)
    retention_repeats: int = 2
    chat_reason_weight: float = 0.1


DEFAULT_RULES = WeakAreaRules()


@dataclass(frozen=True)
class TutorQuestion:
    """One tutor (chat) question on the topic: when, and how complex (0 basic .. 1 advanced)."""

    asked_at: datetime
    complexity: float


@dataclass(frozen=True)
class WeakAreaAssessment:
    topic: str
    is_weak: bool
    weakness_score: float
    reasons: tuple[Reason, ...]
    recommended_difficulty: Difficulty
    recommended_practice: str
    # The evidence, for the teacher's drill-down and the weak-area history.
    mastery_level: float
    answer_count: int
    questions_in_window: int
    avg_complexity: float | None
    recent_gaps_days: tuple[float, ...]


def _aware(when: datetime, label: str) -> datetime:
    if not isinstance(when, datetime):
        raise TypeError(f"{label} must be a datetime, got {type(when).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{label} must be timezone-aware (UTC)")
    return when


def _unit(x: float, label: str) -> float:
    v = float(x)
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise ValueError(f"{label} must lie in [0, 1], got {x!r}")
    return v


def recommended_difficulty(mastery: float) -> Difficulty:
    """Practice band for a mastery level: easy below 0.3, medium below 0.6, else hard."""
    m = _unit(mastery, "mastery")
    if m < EASY_BELOW:
        return "easy"
    if m < MEDIUM_BELOW:
        return "medium"
    return "hard"


def recommended_practice_text(
    topic: str, difficulty: Difficulty, reasons: Sequence[Reason] = ()
) -> str:
    """A short, friendly suggestion in Bahasa Indonesia; encouraging, never shaming."""
    label = DIFFICULTY_LABEL_ID[difficulty]
    n = PRACTICE_QUESTIONS
    if difficulty == "easy":
        parts = [
            f"Topik {topic} perlu latihan lagi. Mulai dari {n} soal tingkat {label} "
            "dulu, lalu naik bertahap ke tingkat sedang."
        ]
    elif difficulty == "medium":
        parts = [
            f"Topik {topic} sudah mulai kamu kuasai, tapi masih perlu latihan lagi. "
            f"Coba {n} soal tingkat {label}."
        ]
    else:
        parts = [
            f"Pemahamanmu tentang {topic} sudah bagus. Coba {n} soal tingkat {label} "
            "supaya makin mantap."
        ]
    if Reason.FREQUENT_SIMPLE_QUESTIONS in reasons:
        parts.append(
            "Baca lagi konsep dasarnya di buku pelajaran, lalu uji pemahamanmu dengan soal latihan."
        )
    if Reason.SHORT_RETENTION in reasons:
        parts.append("Ulangi latihan singkat setiap 2-3 hari supaya materinya lebih melekat.")
    parts.append("Semangat, kamu pasti bisa!")
    return " ".join(parts)


def assess_topic(
    topic: str,
    mastery_level: float,
    answer_count: int,
    questions: Iterable[TutorQuestion],
    now: datetime,
    *,
    rules: WeakAreaRules = DEFAULT_RULES,
) -> WeakAreaAssessment:
    """Apply the weak-area rules to one topic (see the module docstring). Deterministic.

    `mastery_level` and `answer_count` are the topic_mastery row's mastery_level and
    question_count (scored practice answers); `questions` are the student's tutor
    questions on this topic (any order, any age; only what the rules need is used).
    """
    mastery = _unit(mastery_level, "mastery_level")
    if answer_count < 0:
        raise ValueError(f"answer_count must be non-negative, got {answer_count}")
    _aware(now, "now")
    past = sorted(
        (_aware(q.asked_at, "asked_at"), _unit(q.complexity, "complexity")) for q in questions
    )
    past = [q for q in past if q[0] <= now]
    in_window = [q for q in past if q[0] > now - rules.window]
    avg_cx = sum(cx for _, cx in in_window) / len(in_window) if in_window else None
    simple = avg_cx is not None and avg_cx < rules.complexity_below

    # The most recent gaps between consecutive questions, newest first.
    recent = [when for when, _ in past[-(rules.retention_repeats + 1) :]]
    gaps = [recent[i + 1] - recent[i] for i in reversed(range(len(recent) - 1))]
    short_retention = (
        bool(in_window)
        and len(gaps) >= rules.retention_repeats
        and all(g < rules.retention_below for g in gaps)
    )

    reasons: list[Reason] = []
    if answer_count >= rules.min_answers and mastery < rules.mastery_below:
        reasons.append(Reason.LOW_MASTERY)
    if simple and len(in_window) > rules.frequent_more_than:
        reasons.append(Reason.FREQUENT_SIMPLE_QUESTIONS)
    if simple and short_retention:
        reasons.append(Reason.SHORT_RETENTION)

    chat_rules = sum(r is not Reason.LOW_MASTERY for r in reasons)
    score = min(1.0, max(0.0, (1.0 - mastery) + rules.chat_reason_weight * chat_rules))
    difficulty = recommended_difficulty(mastery)
    return WeakAreaAssessment(
        topic=topic,
        is_weak=bool(reasons),
        weakness_score=score,
        reasons=tuple(reasons),
        recommended_difficulty=difficulty,
        recommended_practice=recommended_practice_text(topic, difficulty, reasons),
        mastery_level=mastery,
        answer_count=answer_count,
        questions_in_window=len(in_window),
        avg_complexity=avg_cx,
        recent_gaps_days=tuple(g.total_seconds() / 86_400.0 for g in gaps),
    )


@dataclass(frozen=True)
class TopicEvidence:
    """What the daily job gathers per (student, subject or section, topic)."""

    topic: str
    mastery_level: float
    answer_count: int
    questions: tuple[TutorQuestion, ...] = ()


def detect_weak_areas(
    topics: Iterable[TopicEvidence], now: datetime, *, rules: WeakAreaRules = DEFAULT_RULES
) -> list[WeakAreaAssessment]:
    """The weak topics only, weakest first (ties by topic name, so the order is stable)."""
    assessed = [
        assess_topic(t.topic, t.mastery_level, t.answer_count, t.questions, now, rules=rules)
        for t in topics
    ]
    weak = [a for a in assessed if a.is_weak]
    return sorted(weak, key=lambda a: (-a.weakness_score, a.topic))
