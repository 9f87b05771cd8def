"""What a user's removal touches: counts of their rows, and the anonymise and delete writes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, delete, func, select

from nexus_app.models import (
    Attempt,
    ChatHistory,
    ClassAssignment,
    LoginAttempt,
    PaymentSubscription,
    QuestionReviewLog,
    TopicMastery,
    User,
    UserReadiness,
    UserStudySession,
    WeakArea,
)
from nexus_app.models import Session as LoginSession


@dataclass(frozen=True)
class UserFootprint:
    attempts: int
    study_sessions: int
    chats: int
    mastery_rows: int
    weak_areas: int
    payments: int
    reviews: int


def _count(session: Session, column: object, user_id: int) -> int:
    return int(session.exec(select(func.count()).where(column == user_id)).one())


def footprint(*, session: Session, user_id: int) -> UserFootprint:
    return UserFootprint(
        attempts=_count(session, col(Attempt.user_id), user_id),
        study_sessions=_count(session, col(UserStudySession.user_id), user_id),
        chats=_count(session, col(ChatHistory.user_id), user_id),
        mastery_rows=_count(session, col(TopicMastery.user_id), user_id),
        weak_areas=_count(session, col(WeakArea.user_id), user_id),
        payments=_count(session, col(PaymentSubscription.user_id), user_id),
        reviews=_count(session, col(QuestionReviewLog.reviewer_id), user_id),
    )


def delete_personal_rows(*, session: Session, user_id: int, username: str) -> None:
    """What identifies or describes the person beyond their answers: sessions, classes
    taught, tutor chats, mastery, weak areas, readiness, the login log."""
    for model, column in (
        (LoginSession, LoginSession.user_id),
        (ClassAssignment, ClassAssignment.teacher_id),
        (ChatHistory, ChatHistory.user_id),
        (TopicMastery, TopicMastery.user_id),
        (WeakArea, WeakArea.user_id),
        (UserReadiness, UserReadiness.user_id),
    ):
        session.exec(delete(model).where(col(column) == user_id))
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.username) == username))


def rename_reviewer(*, session: Session, user_id: int, name: str) -> None:
    """Review logs keep the reviewer's id (the two-reviewer rule) but not their name."""
    logs = session.exec(
        select(QuestionReviewLog).where(col(QuestionReviewLog.reviewer_id) == user_id)
    ).all()
    for log in logs:
        log.reviewer_name = name
        session.add(log)


def delete_user_row(*, session: Session, user_id: int) -> None:
    """The account and, by the foreign keys' ON DELETE CASCADE, every row of theirs."""
    session.exec(delete(User).where(col(User.id) == user_id))
    session.flush()
