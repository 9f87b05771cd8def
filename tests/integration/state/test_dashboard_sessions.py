"""The student's list of study sessions leaves out sessions abandoned without an answer."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from nexus_app.services import auth, dashboard, practice
from nexus_app.services.bank_import import import_bank
from nexus_app.state.dashboard import session_rows

_HEADER = (
    "section,sub_type,text,option_a,option_b,option_c,option_d,option_e,"
    "correct_answer,explanation,strategy_tip,discrimination,difficulty,guessing"
)


def _bank() -> bytes:
    rows = [_HEADER] + [
        f"PU,a,Soal nomor {i}?,p{i},q{i},r{i},s{i},t{i},B,Karena B.,Teliti.,1.2,{i / 10:.2f},0.2"
        for i in range(12)
    ]
    return ("\n".join(rows) + "\n").encode()


def test_sessions_without_answers_are_not_listed(engine: Engine) -> None:
    report = import_bank(
        filename="b.csv", data=_bank(), bank_name="Uji", mark_reviewed_by=["Bu Ani", "Pak Budi"]
    )
    assert report.ok
    student = auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    answered = practice.start_session(actor=student, section="PU")
    practice.submit_answer(
        actor=student,
        session_id=answered.session_id,
        question_id=answered.question_id,
        position=1,
        answer="B",
    )
    practice.end_session(actor=student, session_id=answered.session_id)
    ended_empty = practice.start_session(actor=student, section="PU")
    practice.end_session(actor=student, session_id=ended_empty.session_id)
    practice.start_session(actor=student, section="PU")  # opened, then the tab was closed

    data = dashboard.student_dashboard(actor=student)
    assert len(data.sessions) == 3  # the service still reports every session
    rows = session_rows(data.sessions)
    assert [r.id for r in rows] == [answered.session_id]
    assert rows[0].answered == "1" and rows[0].href.endswith(answered.session_id)
