"""The review of a finished session, for its student and her teachers."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import readiness
from nexus_app.repositories import attempts as attempt_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import study_sessions as study_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import NotFound

from .views import ReviewRow, SessionReview, _score, _tryout_estimate


def _may_review(session: Session, actor: CurrentUser, owner_id: int) -> bool:
    if actor.role == "admin" or owner_id == actor.id:
        return True
    if actor.role != "guru":
        return False
    owner = user_repo.get_user(session=session, user_id=owner_id)
    classes = user_repo.list_teacher_classes(session=session, teacher_id=actor.id)
    return owner is not None and owner.class_name is not None and owner.class_name in classes


def session_review(*, actor: CurrentUser, session_id: str) -> SessionReview:
    """The session-statistics query and its per-item breakdown; students see their own,
    teachers their classes' students', admins any."""
    with unit_of_work() as session:
        row = study_repo.get_study_session(session=session, session_id=session_id)
        if row is None or not _may_review(session, actor, row.user_id):
            # The same answer as a missing session: an id is no hint that it exists.
            raise NotFound("Sesi latihan tidak ditemukan.")
        stats = attempt_repo.get_session_statistics(
            session=session, user_id=row.user_id, session_id=row.id
        )
        items = {
            i.attempt_id: i
            for i in attempt_repo.list_session_items(session=session, session_id=row.id)
        }
        texts: dict[int, str] = {}
        rows: list[ReviewRow] = []
        for section_stats in stats:
            for b in section_stats.question_breakdown:
                if b.question_id not in texts:
                    q = question_repo.get_question(
                        session=session, question_id=b.question_id, include_deleted=True
                    )
                    texts[b.question_id] = q.text if q else ""
                item = items.get(b.attempt_id)
                rows.append(
                    ReviewRow(
                        position=b.attempt_number or 0,
                        question_id=b.question_id,
                        sub_type=(item.sub_type if item else None) or "",
                        text=texts[b.question_id],
                        selected=b.user_answer,
                        correct_answer=b.correct_answer,
                        is_correct=b.is_correct,
                        time_spent_seconds=b.time_spent_seconds,
                    )
                )
        total = sum(s.total_questions for s in stats)
        correct = sum(s.correct_count for s in stats)
        times = [r.time_spent_seconds for r in rows]
        review = SessionReview(
            session_id=row.id,
            section=row.section or "",
            mode=row.mode,
            started_at=row.started_at,
            ended_at=row.ended_at,
            total=total,
            correct=correct,
            accuracy_percentage=round(100.0 * correct / total, 2) if total else 0.0,
            avg_time_seconds=round(sum(times) / len(times), 1) if times else 0.0,
            min_time_seconds=min(times) if times else 0,
            max_time_seconds=max(times) if times else 0,
            rows=sorted(rows, key=lambda r: r.position),
        )
        if row.mode == "tryout" and items:
            theta, se = _tryout_estimate(list(items.values()))
            low, high = readiness.predicted_range(theta, se)
            review = replace(review, score=_score(theta), predicted_low=low, predicted_high=high)
        return review
