"""Three weeks of believable practice history for the demo school.

Each demo student gets a latent ability per section that grows a little each day; their
sessions pick items near their current estimate (as the live CAT does), answers are drawn
from the 3PL model, and the ability estimate is updated with the same engine the app uses.
The result gives teachers a heatmap with real spread and students a dashboard with a trend.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

import numpy as np
from sqlmodel import Session

from nexus_app.engine import ability, readiness
from nexus_app.engine.irt import item_params, probability
from nexus_app.models import Question
from nexus_app.repositories import attempts as attempt_repo
from nexus_app.repositories import onboarding as onboarding_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import readiness as readiness_repo
from nexus_app.repositories import study_sessions as study_repo
from nexus_app.services import mastery
from nexus_app.services.practice import write_readiness

HISTORY_DAYS = 21
SESSIONS_PER_STUDENT = (5, 9)
ITEMS_PER_SESSION = (6, 10)
DAILY_GROWTH = 0.015  # theta per day of practice: students learn
DEMO_SECTIONS = ("PU", "PK", "PBM")
PTNS = (
    "Universitas Indonesia (UI)",
    "Institut Teknologi Bandung (ITB)",
    "Universitas Gadjah Mada (UGM)",
    "Universitas Padjadjaran (UNPAD)",
    "Universitas Brawijaya (UB)",
    "Universitas Diponegoro (UNDIP)",
)


def complete_demo_onboarding(
    session: Session, user_id: int, rng: np.random.Generator, today: date
) -> int:
    target = int(rng.choice(np.arange(550, 751, 25)))
    onboarding_repo.complete_onboarding(
        session=session,
        user_id=user_id,
        target_ptn=str(rng.choice(PTNS)),
        target_score=target,
        exam_date=today + timedelta(days=150),
        study_hours_per_week=int(rng.integers(5, 15)),
    )
    sections = [s.code for s in question_repo.list_section_supply(session=session)]
    readiness_repo.create_initial_readiness(
        session=session,
        user_id=user_id,
        sections=sections,
        target_theta=float(readiness.score_to_theta(target)),
    )
    return target


def seed_student_history(
    session: Session, user_id: int, rng: np.random.Generator, now: datetime
) -> int:
    """Write one student's backdated sessions and attempts; returns attempts written."""
    pools: dict[str, list[Question]] = {}
    for code in DEMO_SECTIONS:
        pools[code] = [
            q
            for q in question_repo.list_questions_for_section(session=session, section=code)
            if q.difficulty_irt is not None
        ]
    base = rng.normal(0.0, 0.7)
    latent = {code: base + rng.normal(0.0, 0.4) for code in DEMO_SECTIONS}
    # Each student has one or two topics that trip them up, so weak areas look real.
    hard_topics = {
        code: set(rng.choice(sorted({q.sub_type or "" for q in pool}), size=1))
        for code, pool in pools.items()
        if pool
    }
    belief = {code: (0.0, 1.0) for code in DEMO_SECTIONS}
    last_seen: dict[int, datetime] = {}
    n_sessions = int(rng.integers(*SESSIONS_PER_STUDENT))
    days = sorted(rng.choice(np.arange(1, HISTORY_DAYS + 1), size=n_sessions, replace=False))[::-1]
    written = 0
    for days_ago in days:
        section = str(rng.choice(DEMO_SECTIONS))
        pool = pools[section]
        if not pool:
            continue
        start = (now - timedelta(days=int(days_ago))).replace(
            hour=int(rng.integers(12, 20)),
            minute=int(rng.integers(0, 60)),
            second=0,
            microsecond=0,
        )
        study = study_repo.create_study_session(
            session=session,
            session_id=secrets.token_urlsafe(12),
            user_id=user_id,
            section=section,
            started_at=start,
        )
        when = start
        true_theta = latent[section] + DAILY_GROWTH * (HISTORY_DAYS - int(days_ago))
        for position in range(1, int(rng.integers(*ITEMS_PER_SESSION)) + 1):
            theta, sd = belief[section]
            fresh = [
                q
                for q in pool
                if q.id not in last_seen or when - last_seen[q.id] > timedelta(days=7)
            ]
            if not fresh:
                break
            fresh.sort(key=lambda q: abs((q.difficulty_irt or 0.0) - theta))
            question = fresh[int(rng.integers(0, min(5, len(fresh))))]
            a, b, c = item_params(
                question.discrimination, question.difficulty_irt, question.guessing_param
            )
            penalty = 0.8 if (question.sub_type or "") in hard_topics.get(section, set()) else 0.0
            correct = bool(rng.random() < float(probability(true_theta - penalty, a, b, c)))
            letter = question.correct_answer if correct else _wrong_letter(question, rng)
            seconds = int(rng.integers(25, 150))
            new_theta, new_sd = ability.update_ability(theta, sd, a, b, c, correct)
            attempt = attempt_repo.record_attempt(
                session=session,
                user_id=user_id,
                question_id=question.id or 0,
                selected_answer=letter,
                is_correct=correct,
                time_spent_seconds=seconds,
                theta_before=theta,
                session_id=study.id,
                attempt_number=position,
                created_at=when,
            )
            attempt_repo.set_attempt_theta_after(
                session=session, attempt_id=attempt.id or 0, theta_after=new_theta
            )
            question_repo.update_question_stats_after_attempt(
                session=session,
                question_id=question.id or 0,
                is_correct=correct,
                time_spent_seconds=seconds,
            )
            study_repo.increment_session_counters(
                session=session, session_id=study.id, is_correct=correct
            )
            mastery.apply_practice_answer(
                session,
                user_id=user_id,
                section=section,
                topic=question.sub_type,
                correct=correct,
                a=a,
                b=b,
                c=c,
                when=when,
                prior_theta=theta,
            )
            belief[section] = (new_theta, new_sd)
            last_seen[question.id or 0] = when
            when += timedelta(seconds=seconds + 5)
            written += 1
        study_repo.end_study_session(session=session, session_id=study.id, ended_at=when)
    for code, (theta, sd) in belief.items():
        if sd < 1.0:  # practised in this section
            write_readiness(
                session,
                user_id=user_id,
                section=code,
                theta=theta,
                sd=sd,
                job_id="demo-seed",
                now=now,
            )
    mastery.detect_for_user(session, user_id, now)
    return written


def _wrong_letter(question: Question, rng: np.random.Generator) -> str:
    letters = [x for x in "ABCDE" if x != question.correct_answer]
    return str(rng.choice(letters))
