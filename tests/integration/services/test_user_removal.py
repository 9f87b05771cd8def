"""A leaving user's data on real SQLite and PostgreSQL: anonymise keeps the answers (without a
name) and drops chats and mastery; delete removes every row of theirs, or is refused while
payments or question reviews point at them; never oneself nor the last admin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nexus_app.models import ChatHistory, PaymentSubscription, TopicMastery
from nexus_app.services import auth, users
from nexus_app.services.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from tests.integration.repositories import factories

PASSWORD = "kata-sandi-aman"


@pytest.fixture
def admin(engine: Engine) -> auth.CurrentUser:
    return auth.create_user(username="admin", password=PASSWORD, role="admin")


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def _student_with_history(session: Session) -> int:
    """A logged-in student with two answers, a chat and a mastery row."""
    student = auth.create_user(
        username="ani",
        password=PASSWORD,
        role="siswa",
        full_name="Ani Lestari",
        email="ani@sekolah.sch.id",
        class_name="X-1",
        grade=10,
    )
    question = factories.question(session)
    assert question.id is not None
    for correct in (True, False):
        factories.attempt(session, user_id=student.id, question_id=question.id, is_correct=correct)
    session.add(ChatHistory(user_id=student.id, question="rahasia ani", response="jawab"))
    session.add(TopicMastery(user_id=student.id, section="PU", topic="Logika"))
    session.commit()
    auth.login(username="ani", password=PASSWORD)
    return student.id


def test_preview_counts_what_removal_touches(engine: Engine, session: Session, admin) -> None:
    uid = _student_with_history(session)
    preview = users.removal_preview(actor=admin, user_id=uid)
    assert (preview.attempts, preview.chats, preview.mastery_rows) == (2, 1, 1)
    assert preview.delete_blocked_reason == ""


def test_anonymise_keeps_answers_without_a_name(engine: Engine, session: Session, admin) -> None:
    uid = _student_with_history(session)
    with pytest.raises(InvalidInput, match="Ketik nama pengguna"):
        users.remove_user(actor=admin, user_id=uid, mode="anonymise", confirm_username="budi")
    result = users.remove_user(actor=admin, user_id=uid, mode="anonymise", confirm_username="ani")
    assert result.sessions_ended == 1 and "dianonimkan" in result.message
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT username, full_name, email, class_name, is_active, deleted_at "
                "FROM users WHERE id = :i"
            ),
            {"i": uid},
        ).one()
    assert row[0] == f"terhapus-{uid}" and row[1] == users.ANONYMOUS_NAME
    assert row[2] is None and row[3] is None and not row[4] and row[5] is not None
    assert _count(engine, "SELECT COUNT(*) FROM attempts WHERE user_id = :i", i=uid) == 2
    assert _count(engine, "SELECT COUNT(*) FROM chat_history WHERE user_id = :i", i=uid) == 0
    assert _count(engine, "SELECT COUNT(*) FROM topic_mastery WHERE user_id = :i", i=uid) == 0
    assert _count(engine, "SELECT COUNT(*) FROM login_attempts WHERE username = 'ani'") == 0
    # Gone from lists, cannot log in, and the old username and email are free again.
    assert all(r.id != uid for r in users.list_users(actor=admin).rows)
    with pytest.raises(NotFound):
        users.get_user(actor=admin, user_id=uid)
    with pytest.raises(Exception):  # noqa: B017 - the login fails one way or another
        auth.login(username="ani", password=PASSWORD)
    users.create_user(
        actor=admin,
        username="ani",
        full_name="Ani Baru",
        role="siswa",
        class_name="X-1",
        grade=10,
        email="ani@sekolah.sch.id",
    )


def test_delete_removes_every_row(engine: Engine, session: Session, admin) -> None:
    uid = _student_with_history(session)
    token = auth.login(username="ani", password=PASSWORD).token
    users.remove_user(actor=admin, user_id=uid, mode="delete", confirm_username="ANI")
    for table in ("attempts", "chat_history", "topic_mastery", "sessions"):
        assert _count(engine, f"SELECT COUNT(*) FROM {table} WHERE user_id = :i", i=uid) == 0
    assert _count(engine, "SELECT COUNT(*) FROM users WHERE id = :i", i=uid) == 0
    with pytest.raises(NotAuthenticated):
        auth.current_user(token)


def test_delete_is_refused_where_money_records_must_stay(
    engine: Engine, session: Session, admin
) -> None:
    uid = _student_with_history(session)
    session.add(PaymentSubscription(user_id=uid, subscription_tier="premium", price_idr=50000))
    session.commit()
    assert "pembayaran" in users.removal_preview(actor=admin, user_id=uid).delete_blocked_reason
    with pytest.raises(Conflict, match="pembayaran"):
        users.remove_user(actor=admin, user_id=uid, mode="delete", confirm_username="ani")
    # Nothing changed; anonymising is the way.
    assert _count(engine, "SELECT COUNT(*) FROM attempts WHERE user_id = :i", i=uid) == 2
    users.remove_user(actor=admin, user_id=uid, mode="anonymise", confirm_username="ani")
    assert _count(engine, "SELECT COUNT(*) FROM payment_subscriptions WHERE user_id = :i", i=uid)


def test_never_oneself_nor_the_last_admin(engine: Engine, session: Session, admin) -> None:
    with pytest.raises(Conflict, match="sendiri"):
        users.remove_user(actor=admin, user_id=admin.id, mode="delete", confirm_username="admin")
    other = auth.create_user(username="admin2", password=PASSWORD, role="admin")
    # admin2 removes the first admin: allowed (admin2 stays); then admin2 is the last one.
    users.remove_user(actor=other, user_id=admin.id, mode="anonymise", confirm_username="admin")
    third = auth.create_user(username="guru1", password=PASSWORD, role="guru")
    # A non-admin cannot remove anyone; and admin2 (the last admin) refuses itself.
    with pytest.raises(Exception, match="akses"):
        users.remove_user(actor=third, user_id=other.id, mode="delete", confirm_username="admin2")
    with pytest.raises(Conflict):
        users.remove_user(actor=other, user_id=other.id, mode="delete", confirm_username="admin2")
    with pytest.raises(InvalidInput):
        users.remove_user(actor=other, user_id=third.id, mode="hilang", confirm_username="guru1")
