"""The practice use cases against real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import users as user_repo
from nexus_app.services import auth, practice
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied


def _bank_csv(section: str, n: int, sub_types: tuple[str, ...] = ("a", "b")) -> bytes:
    header = (
        "section,sub_type,text,option_a,option_b,option_c,option_d,option_e,"
        "correct_answer,explanation,strategy_tip,discrimination,difficulty,guessing"
    )
    rows = [header]
    for i in range(n):
        difficulty = -2 + 4 * i / max(n - 1, 1)
        rows.append(
            f"{section},{sub_types[i % len(sub_types)]},Soal {section} nomor {i}?,"
            f"p{i},q{i},r{i},s{i},t{i},B,Karena B.,Baca teliti.,1.2,{difficulty:.2f},0.2"
        )
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def student(engine: Engine) -> auth.CurrentUser:
    report = import_bank(
        filename="b.csv",
        data=_bank_csv("PU", 24),
        bank_name="Uji",
        mark_reviewed_by=["Bu Ani", "Pak Budi"],
    )
    assert report.ok
    return auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")


def _answer(view: practice.QuestionView, actor: auth.CurrentUser, letter: str = "B"):
    return practice.submit_answer(
        actor=actor,
        session_id=view.session_id,
        question_id=view.question_id,
        position=view.position,
        answer=letter,
    )


def test_a_session_serves_adapts_and_records(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    assert view.position == 1 and len(view.options) == 5
    seen = {view.question_id}
    scores = [view.score]
    for _ in range(5):
        result = _answer(view, student, "B")  # always right
        assert result.is_correct and result.correct_answer == "B"
        assert result.theta_after > result.theta_before
        scores.append(result.score_after)
        view = practice.current_question(actor=student, session_id=view.session_id)
        assert view is not None and view.question_id not in seen
        seen.add(view.question_id)
    assert scores == sorted(scores)  # only right answers: the score only rises
    # Answers within a minute write the ability only; ending the session brings the counts
    # and the forecast up to date (test_practice_readiness_throttle.py has the details).
    practice.end_session(actor=student, session_id=view.session_id)
    with engine.connect() as conn:
        attempts = conn.execute(
            sa.text("SELECT COUNT(*), SUM(CASE WHEN is_correct THEN 1 ELSE 0 END) FROM attempts")
        ).one()
        readiness = conn.execute(
            sa.text(
                "SELECT total_attempts_count, total_correct_count, recent_attempts_count, "
                "current_theta, theta_variance, predicted_score_low, predicted_score_high, "
                "readiness_percentage FROM user_readiness WHERE section = 'PU'"
            )
        ).one()
        study = conn.execute(
            sa.text("SELECT questions_attempted, questions_correct FROM user_study_sessions")
        ).one()
        user_theta = conn.execute(sa.text("SELECT irt_theta FROM users")).scalar()
        stats = conn.execute(sa.text("SELECT SUM(attempt_count) FROM questions")).scalar()
    assert tuple(attempts) == (5, 5)
    assert readiness.total_attempts_count == 5 and readiness.total_correct_count == 5
    assert readiness.recent_attempts_count == 5
    assert readiness.current_theta > 0 and readiness.theta_variance < 1
    assert readiness.predicted_score_low < readiness.predicted_score_high
    assert 0 <= readiness.readiness_percentage <= 100
    assert tuple(study) == (5, 5)
    assert user_theta == pytest.approx(readiness.current_theta)
    assert stats == 5


def test_wrong_answers_lower_the_estimate(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    result = _answer(view, student, "A")
    assert not result.is_correct and result.theta_after < result.theta_before
    assert result.explanation == "Karena B."


def test_double_submit_records_one_attempt(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    first = _answer(view, student)
    second = _answer(view, student)
    assert second.attempt_id == first.attempt_id
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM attempts")).scalar() == 1
        assert (
            conn.execute(sa.text("SELECT questions_attempted FROM user_study_sessions")).scalar()
            == 1
        )


def test_reload_shows_the_same_question(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    again = practice.current_question(actor=student, session_id=view.session_id)
    assert again is not None and again.question_id == view.question_id
    assert again.served_at == view.served_at


def test_a_new_tab_finds_the_open_session_with_its_answers(engine: Engine, student) -> None:
    assert practice.open_session(actor=student) is None
    view = practice.start_session(actor=student, section="PU", sub_type="a")
    _answer(view, student, "B")  # right
    view = practice.current_question(actor=student, session_id=view.session_id)
    assert view is not None
    _answer(view, student, "C")  # wrong
    view = practice.current_question(actor=student, session_id=view.session_id)
    assert view is not None and view.position == 3
    found = practice.open_session(actor=student)
    assert found is not None and found.question is not None
    assert (found.session_id, found.section, found.sub_type, found.mode) == (
        view.session_id,
        "PU",
        "a",
        "practice",
    )
    assert (found.answered, found.correct) == (2, 1)
    # The same item, served at the same time: a reload neither skips nor restarts it.
    assert found.question.question_id == view.question_id
    assert found.question.position == 3 and found.question.served_at == view.served_at


def test_ended_idle_and_other_students_sessions_are_not_resumed(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    other = auth.create_user(username="siswa02", password="kata-sandi-2", role="siswa")
    assert practice.open_session(actor=other) is None
    practice.end_session(actor=student, session_id=view.session_id)
    assert practice.open_session(actor=student) is None
    practice.start_session(actor=student, section="PU")
    assert practice.open_session(actor=student) is not None
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE user_study_sessions SET updated_at = :t"),
            {"t": utcnow() - timedelta(hours=4)},
        )
    assert practice.open_session(actor=student) is None
    teacher = auth.create_user(username="guru01", password="kata-sandi-3", role="guru")
    with pytest.raises(PermissionDenied):
        practice.open_session(actor=teacher)


@pytest.mark.parametrize("letter", ["F", "", "AB", "1"])
def test_a_letter_outside_a_to_e_writes_nothing(engine: Engine, student, letter: str) -> None:
    view = practice.start_session(actor=student, section="PU")
    with pytest.raises(InvalidInput, match="A, B, C, D atau E"):
        practice.submit_answer(
            actor=student,
            session_id=view.session_id,
            question_id=view.question_id,
            position=1,
            answer=letter,
        )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM attempts")).scalar() == 0


def test_an_answer_for_another_question_is_refused(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    with engine.connect() as conn:
        other = conn.execute(
            sa.text("SELECT id FROM questions WHERE id != :q LIMIT 1"), {"q": view.question_id}
        ).scalar()
    with pytest.raises(InvalidInput, match="bukan soal yang sedang aktif"):
        practice.submit_answer(
            actor=student, session_id=view.session_id, question_id=other, position=1, answer="B"
        )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM attempts")).scalar() == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM user_readiness")).scalar() == 0


def test_a_stale_tab_after_expiry_is_refused(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE user_study_sessions SET updated_at = :t"),
            {"t": utcnow() - timedelta(hours=4)},
        )
    with pytest.raises(InvalidInput, match="kedaluwarsa"):
        _answer(view, student)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM attempts")).scalar() == 0


def test_an_ended_session_takes_no_answers(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    practice.end_session(actor=student, session_id=view.session_id)
    with pytest.raises(InvalidInput, match="sudah selesai"):
        _answer(view, student)


def test_a_section_without_reviewed_items_is_explained(engine: Engine, student) -> None:
    with pytest.raises(InvalidInput, match="Belum ada soal"):
        practice.start_session(actor=student, section="PK")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM user_study_sessions")).scalar() == 0


def test_unreviewed_items_are_never_served(engine: Engine) -> None:
    import_bank(filename="x.csv", data=_bank_csv("PK", 6), bank_name="Belum ditinjau")
    actor = auth.create_user(username="siswa02", password="kata-sandi-1", role="siswa")
    with pytest.raises(InvalidInput, match="Belum ada soal"):
        practice.start_session(actor=actor, section="PK")


def test_items_seen_in_the_last_7_days_are_not_served_again(engine: Engine, student) -> None:
    served: set[int] = set()
    for _ in range(3):
        view = practice.start_session(actor=student, section="PU")
        for _ in range(8):
            assert view.question_id not in served
            served.add(view.question_id)
            _answer(view, student)
            next_view = practice.current_question(actor=student, session_id=view.session_id)
            if next_view is None:
                break
            view = next_view
        practice.end_session(actor=student, session_id=view.session_id)
    assert len(served) == 24
    with pytest.raises(InvalidInput, match="7 hari terakhir"):
        practice.start_session(actor=student, section="PU")


def test_topic_filter_and_content_balance(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU", sub_type="a")
    sub_types = [view.sub_type]
    for _ in range(4):
        _answer(view, student)
        view = practice.current_question(actor=student, session_id=view.session_id)
        sub_types.append(view.sub_type)
    assert set(sub_types) == {"a"}
    balanced = practice.start_session(actor=student, section="PU")
    seen = [balanced.sub_type]
    for _ in range(3):
        _answer(balanced, student)
        balanced = practice.current_question(actor=student, session_id=balanced.session_id)
        seen.append(balanced.sub_type)
    assert seen.count("a") == seen.count("b") == 2


def test_tryout_stops_by_its_rule_and_reports_a_score(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU", mode="tryout")
    answered = 0
    while view is not None:
        result = _answer(view, student, "B" if answered % 2 == 0 else "C")
        answered += 1
        if result.tryout_finished:
            break
        view = practice.current_question(actor=student, session_id=view.session_id)
    assert result.tryout_finished
    assert 5 <= answered <= 24
    assert result.predicted_low <= result.predicted_high
    review = practice.session_review(actor=student, session_id=result.session_id)
    assert review.total == answered and review.score is not None


def test_session_review_breakdown(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    letters = ["B", "A", "B"]
    for letter in letters:
        _answer(view, student, letter)
        view = practice.current_question(actor=student, session_id=view.session_id)
    session_id = view.session_id
    practice.end_session(actor=student, session_id=session_id)
    review = practice.session_review(actor=student, session_id=session_id)
    assert (review.total, review.correct) == (3, 2)
    assert review.accuracy_percentage == pytest.approx(66.67)
    assert [r.position for r in review.rows] == [1, 2, 3]
    assert [r.selected for r in review.rows] == letters
    assert [r.is_correct for r in review.rows] == [True, False, True]
    assert review.ended_at is not None


def test_other_students_cannot_read_or_answer_a_session(engine: Engine, student) -> None:
    view = practice.start_session(actor=student, section="PU")
    other = auth.create_user(username="siswa02", password="kata-sandi-1", role="siswa")
    with pytest.raises(NotFound):
        practice.session_review(actor=other, session_id=view.session_id)
    with pytest.raises(NotFound):
        _answer(view, other)
    teacher = auth.create_user(username="guru01", password="kata-sandi-1", role="guru")
    with pytest.raises(PermissionDenied):
        practice.start_session(actor=teacher, section="PU")


def test_teachers_review_only_their_classes_sessions(engine: Engine, student) -> None:
    """Hardening finding 6: a guru opened any student's session review by its id."""
    pupil = auth.create_user(
        username="siswa_kelas", password="kata-sandi-1", role="siswa", class_name="XII-1"
    )
    view = practice.start_session(actor=pupil, section="PU")
    own_teacher = auth.create_user(username="guru_kelas", password="kata-sandi-1", role="guru")
    other_teacher = auth.create_user(username="guru_lain", password="kata-sandi-1", role="guru")
    admin = auth.create_user(username="admin_uji", password="kata-sandi-1", role="admin")
    with unit_of_work() as session:
        user_repo.assign_class(session=session, teacher_id=own_teacher.id, class_name="XII-1")
        user_repo.assign_class(session=session, teacher_id=other_teacher.id, class_name="XII-2")
    assert practice.session_review(actor=own_teacher, session_id=view.session_id).total == 0
    assert practice.session_review(actor=admin, session_id=view.session_id).total == 0
    with pytest.raises(NotFound):
        practice.session_review(actor=other_teacher, session_id=view.session_id)
    # A student with no class is nobody's: only they and admins see the session.
    classless = practice.start_session(actor=student, section="PU")
    with pytest.raises(NotFound):
        practice.session_review(actor=own_teacher, session_id=classless.session_id)
