"""Constraints, cascades and maintained timestamps behave the same on both databases."""

import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError


def _user(conn: sa.Connection, username: str = "u1", role: str = "siswa") -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO users (username, password_hash, role) VALUES (:u, 'h', :r) RETURNING id"
        ),
        {"u": username, "r": role},
    ).scalar_one()


def _subject(conn: sa.Connection, code: str = "MAT_10") -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO subjects (grade, name, code) VALUES (10, 'Matematika', :c) RETURNING id"
        ),
        {"c": code},
    ).scalar_one()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO users (username, password_hash, role) VALUES ('x', 'h', 'kepala')",
        "INSERT INTO subjects (grade, name, code) VALUES (9, 'Matematika', 'MAT_9')",
        "INSERT INTO questions (section, text, option_a, option_b, option_c, option_d, "
        "option_e, correct_answer) VALUES ('PU', 't', 'a', 'b', 'c', 'd', 'e', 'F')",
        "INSERT INTO questions (section, text, option_a, option_b, option_c, option_d, "
        "option_e, correct_answer) VALUES ('XX', 't', 'a', 'b', 'c', 'd', 'e', 'A')",
    ],
)
def test_check_and_foreign_key_constraints(engine: Engine, statement: str) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(sa.text(statement))


def test_unique_username_and_subject_code(engine: Engine) -> None:
    with engine.begin() as conn:
        _user(conn, "budi")
        _subject(conn, "MAT_10")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _user(conn, "budi")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _subject(conn, "MAT_10")


def test_mastery_is_unique_per_user_subject_topic(engine: Engine) -> None:
    with engine.begin() as conn:
        uid, sid = _user(conn), _subject(conn)
        insert = sa.text(
            "INSERT INTO topic_mastery (user_id, subject_id, topic) VALUES (:u, :s, 'Pythagoras')"
        )
        conn.execute(insert, {"u": uid, "s": sid})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert, {"u": uid, "s": sid})
    with pytest.raises(IntegrityError), engine.begin() as conn:  # neither subject nor section
        conn.execute(
            sa.text("INSERT INTO topic_mastery (user_id, topic) VALUES (:u, 'x')"), {"u": uid}
        )


def test_deleting_a_user_cascades_and_a_subject_sets_chat_to_null(engine: Engine) -> None:
    with engine.begin() as conn:
        uid, sid = _user(conn), _subject(conn)
        conn.execute(
            sa.text(
                "INSERT INTO sessions (user_id, token, expires_at) "
                "VALUES (:u, 't', CURRENT_TIMESTAMP)"
            ),
            {"u": uid},
        )
        conn.execute(
            sa.text(
                "INSERT INTO chat_history (user_id, subject_id, question, response)"
                " VALUES (:u, :s, 'q', 'r')"
            ),
            {"u": uid, "s": sid},
        )
        conn.execute(
            sa.text("INSERT INTO books (subject_id, title) VALUES (:s, 'Buku')"), {"s": sid}
        )
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM subjects WHERE id = :s"), {"s": sid})
        assert conn.execute(sa.text("SELECT subject_id FROM chat_history")).scalar() is None
        assert conn.execute(sa.text("SELECT COUNT(*) FROM books")).scalar() == 0
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM users WHERE id = :u"), {"u": uid})
        assert conn.execute(sa.text("SELECT COUNT(*) FROM sessions")).scalar() == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM chat_history")).scalar() == 0


def test_raw_sql_update_moves_updated_at(engine: Engine) -> None:
    with engine.begin() as conn:
        uid = _user(conn)
        before = conn.execute(
            sa.text("SELECT updated_at FROM users WHERE id = :u"), {"u": uid}
        ).scalar()
    time.sleep(1.1)  # CURRENT_TIMESTAMP has one-second resolution on SQLite
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET full_name = 'Baru' WHERE id = :u"), {"u": uid})
        after = conn.execute(
            sa.text("SELECT updated_at FROM users WHERE id = :u"), {"u": uid}
        ).scalar()
    assert str(after) > str(before)


def test_double_submit_of_one_position_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        uid = _user(conn)
        qid = conn.execute(
            sa.text(
                "INSERT INTO questions (section, text, option_a, option_b, option_c, option_d, "
                "option_e, correct_answer) VALUES ('PU', 't', 'a', 'b', 'c', 'd', 'e', 'A') "
                "RETURNING id"
            )
        ).scalar_one()
        conn.execute(
            sa.text("INSERT INTO user_study_sessions (id, user_id) VALUES ('s1', :u)"), {"u": uid}
        )
    attempt = sa.text(
        "INSERT INTO attempts (user_id, question_id, selected_answer, is_correct, "
        "time_spent_seconds, session_id, attempt_number_in_session) "
        "VALUES (:u, :q, 'A', :c, 30, 's1', 1)"
    )
    with engine.begin() as conn:
        conn.execute(attempt, {"u": uid, "q": qid, "c": True})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(attempt, {"u": uid, "q": qid, "c": True})
