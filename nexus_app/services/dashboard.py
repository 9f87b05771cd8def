"""The student's dashboard: readiness per section, ability over time, weak areas, recent
feedback, study sessions and today's plan."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from nexus_app import formatting
from nexus_app.db import unit_of_work
from nexus_app.engine import readiness
from nexus_app.models import UserStudySession, WeakArea, utcnow
from nexus_app.repositories import attempts as attempt_repo
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.repositories import feedback as feedback_repo
from nexus_app.repositories import mastery as mastery_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import readiness as readiness_repo
from nexus_app.repositories import study_sessions as study_repo
from nexus_app.repositories import users as user_repo
from nexus_app.repositories import weak_areas as weak_repo
from nexus_app.services import school_practice
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import NotFound, PermissionDenied
from nexus_app.services.practice import refresh_stale_readiness
from nexus_app.services.practice.answers import is_stale_forecast
from nexus_app.services.tryout import readiness as tryout_readiness

MINUTES_PER_ITEM = 1.5  # UTBK pace is about a minute an item; practice adds reading time
MIN_BLOCK_MINUTES = 10


@dataclass(frozen=True)
class ReadinessCard:
    section: str
    name: str
    answered: int
    accuracy: float | None
    score: int | None
    predicted_low: int | None
    predicted_high: int | None
    readiness_percentage: float | None
    chance_of_target: float | None
    ready_by: date | None
    days_to_ready: int | None
    improvement_per_week: float | None


@dataclass(frozen=True)
class WeakAreaItem:
    section: str
    topic: str
    weakness_score: float
    recommendation: str


@dataclass(frozen=True)
class SchoolWeakAreaItem:
    """An open weak area in a school subject; `practice_link` is empty when the topic has no
    practice questions yet."""

    subject: str
    topic: str
    weakness_score: float
    recommendation: str
    practice_link: str


@dataclass(frozen=True)
class SchoolMasteryItem:
    subject: str
    topic: str
    mastery_level: float
    answers: int
    correct: int
    practice_link: str


@dataclass(frozen=True)
class FeedbackItem:
    section: str
    question: str
    selected: str
    correct: str
    text: str
    helpful: bool
    when: str


@dataclass(frozen=True)
class StudySessionItem:
    session_id: str
    section: str
    mode: str
    started: str
    answered: int
    correct: int
    accuracy: str
    minutes: int | None


@dataclass(frozen=True)
class PlanBlock:
    section: str
    topic: str
    minutes: int
    questions: int
    reason: str


@dataclass
class Dashboard:
    full_name: str
    target_ptn: str
    target_score: int | None
    exam_date: date | None
    days_to_exam: int | None
    weekly_hours: int | None
    cards: list[ReadinessCard] = field(default_factory=list)
    history: list[dict[str, int | str]] = field(default_factory=list)
    history_sections: list[str] = field(default_factory=list)
    weak_areas: list[WeakAreaItem] = field(default_factory=list)
    feedback: list[FeedbackItem] = field(default_factory=list)
    sessions: list[StudySessionItem] = field(default_factory=list)
    plan: list[PlanBlock] = field(default_factory=list)
    daily_minutes: int = 0
    # False when no section has a servable question: there is nothing to plan.
    can_practise: bool = True
    # School subjects (the OpenClass loop), beside the UTBK sections above.
    school_mastery: list[SchoolMasteryItem] = field(default_factory=list)
    school_weak_areas: list[SchoolWeakAreaItem] = field(default_factory=list)

    @property
    def plan_minutes(self) -> int:
        return sum(b.minutes for b in self.plan)


def _card(r: readiness_repo.DashboardReadinessRow) -> ReadinessCard:
    """One section's readiness card; no answers yet means no estimates to show."""
    return ReadinessCard(
        section=r.section,
        name=r.section_name,
        answered=r.total_attempts_count,
        accuracy=r.overall_accuracy,
        score=(
            round(float(readiness.theta_to_score(r.current_theta)))
            if r.current_theta is not None and r.total_attempts_count
            else None
        ),
        predicted_low=r.predicted_score_low if r.total_attempts_count else None,
        predicted_high=r.predicted_score_high if r.total_attempts_count else None,
        readiness_percentage=r.readiness_percentage if r.total_attempts_count else None,
        chance_of_target=(
            readiness.chance_of_reaching(r.current_theta, r.theta_variance**0.5, r.target_score)
            if r.total_attempts_count
            and r.current_theta is not None
            and r.theta_variance
            and r.target_score
            else None
        ),
        ready_by=r.ready_by_date,
        days_to_ready=r.days_to_ready,
        improvement_per_week=r.improvement_rate_per_week,
    )


def _feedback_item(f: feedback_repo.FeedbackHistoryRow) -> FeedbackItem:
    return FeedbackItem(
        section=f.section,
        question=f.question_text if len(f.question_text) <= 80 else f.question_text[:77] + "…",
        selected=f.selected_answer,
        correct=f.correct_answer,
        text=f.feedback_text,
        helpful=f.is_helpful,
        when=formatting.format_date(f.attempt_date),
    )


def _session_item(s: UserStudySession) -> StudySessionItem:
    return StudySessionItem(
        session_id=s.id,
        section=formatting.or_empty(s.section),
        mode="Tryout" if s.mode == "tryout" else "Latihan",
        started=formatting.format_datetime(s.started_at),
        answered=s.questions_attempted,
        correct=s.questions_correct,
        accuracy=formatting.format_percent(
            100 * s.questions_correct / s.questions_attempted if s.questions_attempted else None
        ),
        minutes=s.duration_minutes,
    )


def student_dashboard(*, actor: CurrentUser) -> Dashboard:
    if actor.role != "siswa":
        raise PermissionDenied("Dasbor ini untuk akun siswa.")
    today = utcnow().date()
    with unit_of_work() as session:
        user = user_repo.get_user(session=session, user_id=actor.id)
        if user is None:
            raise NotFound("Akun tidak ditemukan.")
        # Practice answers throttle the forecast (practice.answers.FORECAST_INTERVAL): a
        # section whose ability is newer than its forecast is recomputed before it is shown.
        # The rows say which are stale, so a fresh dashboard reads them once, not twice.
        rows = readiness_repo.get_dashboard_readiness(session=session, user_id=actor.id)
        if any(
            is_stale_forecast(updated_by_job_id=r.updated_by_job_id, current_theta=r.current_theta)
            for r in rows
        ):
            refresh_stale_readiness(session, user_id=actor.id)
            rows = readiness_repo.get_dashboard_readiness(session=session, user_id=actor.id)
        # Finished tryouts count as readiness evidence too (docs/tryout.md).
        rows = tryout_readiness.with_tryouts(session, user_id=actor.id, rows=rows)
        cards = [_card(r) for r in rows]
        history, history_sections = _ability_history(session, actor.id, cards)
        open_weak = weak_repo.list_open_weak_areas(session=session, user_id=actor.id)
        school_mastery, school_weak = _school_subjects(session, actor.id, open_weak)
        weak = [
            WeakAreaItem(
                section=w.section or "",
                topic=w.topic,
                weakness_score=w.weakness_score or 0.0,
                recommendation=w.recommended_practice or "Perlu latihan lagi.",
            )
            for w in open_weak
            if w.section
        ]
        feedback = [
            _feedback_item(f)
            for f in feedback_repo.list_feedback_history(session=session, user_id=actor.id, limit=5)
        ]
        sessions = [
            _session_item(s)
            for s in study_repo.list_user_study_sessions(
                session=session, user_id=actor.id, limit=10
            )
        ]
        # Only sections with servable questions can be practised; a plan pointing at the
        # others ends at "Belum ada soal".
        practicable = {
            s.code: s.sub_types
            for s in question_repo.list_section_supply(session=session)
            if s.servable > 0
        }
    daily = round((user.study_hours_per_week or 0) * 60 / 7)
    return Dashboard(
        full_name=user.full_name or user.username,
        target_ptn=user.target_ptn or "",
        target_score=user.target_score,
        exam_date=user.exam_date,
        days_to_exam=(user.exam_date - today).days if user.exam_date else None,
        weekly_hours=user.study_hours_per_week,
        cards=cards,
        history=history,
        history_sections=history_sections,
        weak_areas=weak,
        feedback=feedback,
        sessions=sessions,
        plan=todays_plan(daily, cards, weak, practicable=practicable),
        daily_minutes=daily,
        can_practise=bool(practicable),
        school_mastery=school_mastery,
        school_weak_areas=school_weak,
    )


def _school_subjects(
    session: Session, user_id: int, open_weak: list[WeakArea]
) -> tuple[list[SchoolMasteryItem], list[SchoolWeakAreaItem]]:
    """School-subject mastery (topics with practice answers, weakest first) and open weak
    areas, each linked to the topic's practice questions when it has some."""
    names = {s.id: s.name for s in curriculum_repo.list_all_subjects(session=session)}
    practisable = school_practice.topics_with_questions(session=session)

    def link(subject_id: int, topic: str) -> str:
        if (subject_id, topic) in practisable:
            return school_practice.practice_link(subject_id, topic)
        return ""

    mastery = [
        SchoolMasteryItem(
            subject=names.get(m.subject_id, ""),
            topic=m.topic,
            mastery_level=m.mastery_level,
            answers=m.question_count,
            correct=m.correct_count,
            practice_link=link(m.subject_id, m.topic),
        )
        for m in mastery_repo.list_topic_mastery(session=session, user_id=user_id)
        if m.subject_id is not None and m.question_count > 0
    ]
    weak = [
        SchoolWeakAreaItem(
            subject=names.get(w.subject_id, ""),
            topic=w.topic,
            weakness_score=w.weakness_score or 0.0,
            recommendation=w.recommended_practice or "Perlu latihan lagi.",
            practice_link=link(w.subject_id, w.topic),
        )
        for w in open_weak
        if w.subject_id is not None
    ]
    return mastery, weak


def _ability_history(
    session: object, user_id: int, cards: list[ReadinessCard]
) -> tuple[list[dict[str, int | str]], list[str]]:
    """One point per day and section: the score estimate after that day's last answer."""
    by_day: dict[str, dict[str, int | str]] = {}
    sections: list[str] = []
    for card in cards:
        if not card.answered:
            continue
        history = attempt_repo.list_section_theta_history(
            session=session,  # type: ignore[arg-type]
            user_id=user_id,
            section=card.section,
        )
        if not history:
            continue
        sections.append(card.section)
        for when, theta in history:
            day = when.date().isoformat()
            by_day.setdefault(day, {"day": day})[card.section] = round(
                float(readiness.theta_to_score(theta))
            )
    return [by_day[d] for d in sorted(by_day)], sections


def todays_plan(
    daily_minutes: int,
    cards: list[ReadinessCard],
    weak: list[WeakAreaItem],
    *,
    practicable: Mapping[str, Collection[str]],
) -> list[PlanBlock]:
    """Split today's study time: weak topics first, then the least-ready sections.

    `practicable` maps each section that has servable questions to its topics; nothing
    else is planned, since practice would only answer "Belum ada soal". Each block is at
    least 10 minutes, so a short day gets fewer, useful blocks rather than many token
    ones, and the blocks add up to the day's time rounded to 5 minutes.
    """
    if daily_minutes <= 0 or not practicable:
        return []
    candidates: list[tuple[float, str, str, str]] = []
    for w in weak:
        if w.topic in practicable.get(w.section, ()):
            candidates.append(
                (1.0 + w.weakness_score, w.section, w.topic, "topik ini perlu latihan lagi")
            )
    open_cards = [c for c in cards if c.section in practicable]
    for card in open_cards:
        if card.answered == 0:
            candidates.append((0.5, card.section, "", "belum pernah berlatih subtes ini"))
        elif card.readiness_percentage is not None and card.readiness_percentage < 80:
            need = 1 - card.readiness_percentage / 100
            candidates.append((need, card.section, "", "kesiapan masih bisa naik"))
    if not candidates:
        candidates = [(0.5, c.section, "", "jaga kemampuan tetap terasah") for c in open_cards[:3]]
    if not candidates:
        return []
    candidates.sort(key=lambda c: -c[0])
    slots = max(1, min(len(candidates), daily_minutes // MIN_BLOCK_MINUTES, 4))
    chosen = candidates[:slots]
    minutes = _split_minutes(daily_minutes, [max(c[0], 0.01) for c in chosen])
    return [
        PlanBlock(
            section=section,
            topic=topic,
            minutes=m,
            questions=max(1, int(m / MINUTES_PER_ITEM)),
            reason=reason,
        )
        for (_, section, topic, reason), m in zip(chosen, minutes, strict=True)
    ]


def _split_minutes(daily_minutes: int, weights: list[float]) -> list[int]:
    """Share the day (rounded to 5 minutes, at least 10 a block) in 5-minute steps by
    weight, largest remainders first, so the blocks sum exactly to the total."""
    step = 5
    total = max(MIN_BLOCK_MINUTES * len(weights), round(daily_minutes / step) * step)
    spare = (total - MIN_BLOCK_MINUTES * len(weights)) // step
    weight_sum = sum(weights)
    shares = [spare * w / weight_sum for w in weights]
    steps = [int(x) for x in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: -(shares[i] - steps[i]))
    for i in by_remainder[: spare - sum(steps)]:
        steps[i] += 1
    return [MIN_BLOCK_MINUTES + n * step for n in steps]
