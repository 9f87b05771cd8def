"""Chat history queries (OpenClass "Chat History") on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from nexus_app.models import ChatHistory, utcnow
from nexus_app.repositories import chat

from . import factories as f


def test_save_chat_interaction_stores_every_field(session: Session) -> None:
    student = f.user(session)
    mat = f.subject(session)
    row = chat.save_chat_interaction(
        session=session,
        user_id=student.id,
        subject_id=mat.id,
        question="Apa itu teorema Pythagoras?",
        response="Teorema Pythagoras menyatakan ...",
        confidence=0.95,
        sources_json='[{"book": "MAT 10", "page": 12}]',
        topic="Pythagoras",
    )
    assert row.id is not None and row.created_at.tzinfo is not None
    session.expire_all()
    stored = session.get(ChatHistory, row.id)
    assert stored is not None
    assert (stored.question, stored.confidence, stored.topic) == (
        "Apa itu teorema Pythagoras?",
        0.95,
        "Pythagoras",
    )


def test_recent_chat_history_is_own_newest_first_and_limited(session: Session) -> None:
    me, other = f.user(session), f.user(session)
    now = utcnow()
    for i in range(5):
        session.add(
            ChatHistory(
                user_id=me.id,
                question=f"q{i}",
                response="r",
                created_at=now - timedelta(minutes=10 * i),
            )
        )
    session.add(ChatHistory(user_id=other.id, question="not mine", response="r"))
    session.flush()
    rows = chat.list_recent_chat_history(session=session, user_id=me.id, limit=3)
    assert [r.question for r in rows] == ["q0", "q1", "q2"]
    assert len(chat.list_recent_chat_history(session=session, user_id=me.id)) == 5


def test_recent_chat_history_default_limit_is_50(session: Session) -> None:
    me = f.user(session)
    session.add_all(ChatHistory(user_id=me.id, question=str(i), response="r") for i in range(55))
    session.flush()
    assert len(chat.list_recent_chat_history(session=session, user_id=me.id)) == 50


def test_subject_chat_history_keeps_7_days_of_one_subject_with_usernames(
    session: Session,
) -> None:
    budi, sari = f.user(session, "budi"), f.user(session, "sari")
    mat, fis = f.subject(session), f.subject(session)
    now = utcnow()

    def say(who: int, subject: int, text: str, age: timedelta) -> None:
        session.add(
            ChatHistory(
                user_id=who, subject_id=subject, question=text, response="r", created_at=now - age
            )
        )

    say(budi.id, mat.id, "baru", timedelta(hours=1))
    say(sari.id, mat.id, "enam hari", timedelta(days=6, hours=23))
    say(budi.id, mat.id, "delapan hari", timedelta(days=8))
    say(sari.id, fis.id, "fisika", timedelta(hours=2))
    session.flush()
    rows = chat.list_subject_chat_history(session=session, subject_id=mat.id, now=now)
    assert [(r.username, r.question) for r in rows] == [("budi", "baru"), ("sari", "enam hari")]
    # A narrower window drops the older message.
    rows = chat.list_subject_chat_history(session=session, subject_id=mat.id, days=1, now=now)
    assert [r.question for r in rows] == ["baru"]
