"""School-subject practice on both databases: the CSV import's line-numbered validation, and
answers that move topic_mastery until the weak-area rule fires for a school subject."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.db import unit_of_work
from nexus_app.repositories import users as user_repo
from nexus_app.services import auth, dashboard, school_practice, subjects, teacher
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied

GOOD = (
    "topic,question,answer,difficulty,option_a,option_b,option_c,option_d,option_e\n"
    "Pecahan,Berapakah 1/2 + 1/4?,B,mudah,1/6,3/4,2/6,1/8,\n"
    "Pecahan,Berapakah 1/3 + 1/3?,a,sedang,2/3,2/6,1/9,,\n"
    "Pecahan,Sederhanakan 4/8.,1/2,sulit,,,,,\n"
    "Pecahan,Jelaskan mengapa 2/4 = 1/2.,Pembilang dan penyebut dibagi 2.,,,,,,\n"
    "Aljabar,Tentukan x jika 2x = 6.,3,,,,,,\n"
)


@pytest.fixture
def actors(engine: Engine) -> dict[str, CurrentUser]:
    return {
        role: auth.create_user(username=f"{role}1", password="kata-sandi-1", role=role)
        for role in ("admin", "guru", "siswa")
    }


@pytest.fixture
def math_subject(actors: dict[str, CurrentUser]) -> int:
    return subjects.admin_create_subject(
        actor=actors["admin"], grade=10, name="Matematika", code="MAT_10"
    ).id


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM practice_questions")).scalar() or 0)


def test_import_validates_every_row_with_line_numbers(engine: Engine, math_subject: int) -> None:
    bad = (
        "topic,question,answer,difficulty,option_a,option_b,option_c,option_d,option_e\n"
        "Pecahan,Berapakah 1/2 + 1/4?,B,mudah,1/6,3/4,,,\n"
        ",Tanpa topik,x,,,,,,\n"
        "Pecahan,Kunci di luar pilihan,C,,satu,dua,,,\n"
        "Pecahan,Pilihan berlubang,A,,satu,,tiga,,\n"
        "Pecahan,Tingkat aneh,x,gampang,,,,,\n"
        "Pecahan,berapakah  1/2 + 1/4?,A,,1,2,,,\n"
    )
    report = school_practice.import_practice_questions(data=bad.encode(), subject_code="mat_10")
    assert [e.line for e in report.errors] == [3, 4, 5, 6, 7]
    assert "topic kosong" in str(report.errors[0])
    assert "A, B" in report.errors[1].reason
    assert "berurutan" in report.errors[2].reason
    assert "gampang" in report.errors[3].reason
    assert "sudah ada" in report.errors[4].reason
    assert report.imported == 0 and _count(engine) == 0  # all or nothing

    skipped = school_practice.import_practice_questions(
        data=bad.encode(), subject_code="MAT_10", skip_invalid=True
    )
    assert (skipped.imported, skipped.skipped) == (1, 5)
    assert _count(engine) == 1

    with pytest.raises(InvalidInput, match="Kolom wajib"):
        school_practice.import_practice_questions(
            data=b"topic,question\nx,y\n", subject_code="MAT_10"
        )
    with pytest.raises(NotFound):
        school_practice.import_practice_questions(data=GOOD.encode(), subject_code="XYZ")


def test_import_is_idempotent_and_template_imports(engine: Engine, math_subject: int) -> None:
    first = school_practice.import_practice_questions(data=GOOD.encode(), subject_code="MAT_10")
    assert first.ok and first.imported == 5
    again = school_practice.import_practice_questions(
        data=GOOD.encode(), subject_code="MAT_10", skip_invalid=True
    )
    assert again.imported == 0 and again.skipped == 5
    assert _count(engine) == 5
    template = school_practice.csv_template().encode()
    report = school_practice.import_practice_questions(
        data=template, subject_code="MAT_10", skip_invalid=True
    )
    assert report.imported == 2  # the template's examples are valid, new questions


def test_create_question_needs_staff(actors: dict[str, CurrentUser], math_subject: int) -> None:
    with pytest.raises(PermissionDenied):
        school_practice.create_practice_question(
            actor=actors["siswa"], subject_code="MAT_10", topic="T", question="Q", answer="A"
        )
    qid = school_practice.create_practice_question(
        actor=actors["guru"],
        subject_code="MAT_10",
        topic="Geometri",
        question="Jumlah sudut segitiga?",
        answer="b",
        options=("90", "180", "360"),
    )
    rnd = school_practice.start_round(
        actor=actors["siswa"], subject_id=math_subject, topic="Geometri"
    )
    assert [i.id for i in rnd.items] == [qid]
    assert rnd.items[0].options == ("90", "180", "360")
    with pytest.raises(InvalidInput, match="sudah ada"):
        school_practice.create_practice_question(
            actor=actors["admin"],
            subject_code="MAT_10",
            topic="Geometri",
            question="jumlah sudut  segitiga?",
            answer="x",
        )


def test_answers_move_mastery_until_a_weak_area_opens(
    actors: dict[str, CurrentUser], math_subject: int
) -> None:
    school_practice.import_practice_questions(data=GOOD.encode(), subject_code="MAT_10")
    student = actors["siswa"]
    topics = school_practice.list_topics(actor=student)
    assert [(t.topic, t.question_count, t.mastery_level) for t in topics] == [
        ("Aljabar", 1, None),
        ("Pecahan", 4, None),
    ]
    assert topics[1].link == f"/practice/subject?subject={math_subject}&topic=Pecahan"

    rnd = school_practice.start_round(actor=student, subject_id=math_subject, topic="Pecahan")
    # Easiest first; open questions carry no options and the page never gets a key.
    assert [i.difficulty for i in rnd.items] == ["mudah", "sedang", "", "sulit"]
    mc, mc2, open_q, hard_open = rnd.items
    assert mc.is_multiple_choice and not open_q.is_multiple_choice
    assert not hasattr(mc, "answer")

    with pytest.raises(InvalidInput):
        school_practice.answer_question(actor=student, question_id=mc.id, selected="E")
    right = school_practice.answer_question(actor=student, question_id=mc.id, selected="b")
    assert right.correct and right.correct_answer == "B" and right.answers == 1
    assert not right.weak

    assert "dibagi 2" in school_practice.model_answer(actor=student, question_id=open_q.id)
    with pytest.raises(InvalidInput):
        school_practice.answer_question(actor=student, question_id=open_q.id)
    levels = [right.mastery_level]
    outcome = right
    for qid, kwargs in [
        (mc2.id, {"selected": "B"}),
        (open_q.id, {"marked_correct": False}),
        (hard_open.id, {"marked_correct": False}),
        (mc.id, {"selected": "A"}),
        (mc2.id, {"selected": "C"}),
    ]:
        outcome = school_practice.answer_question(actor=student, question_id=qid, **kwargs)
        assert not outcome.correct
        levels.append(outcome.mastery_level)
        if outcome.weak:
            break
    assert levels == sorted(levels, reverse=True) and levels[-1] < 0.4
    assert outcome.weak and outcome.answers >= 3

    board = dashboard.student_dashboard(actor=student)
    weak = [w for w in board.school_weak_areas if w.topic == "Pecahan"]
    assert weak and weak[0].subject == "Matematika"
    assert "Ada 4 soal latihan topik ini" in weak[0].recommendation
    assert weak[0].practice_link == topics[1].link
    assert [m.topic for m in board.school_mastery] == ["Pecahan"]
    assert board.weak_areas == []  # the UTBK list stays UTBK only

    # Recovering closes the weak area (kept as history).
    for _ in range(12):
        outcome = school_practice.answer_question(actor=student, question_id=mc.id, selected="B")
    assert not outcome.weak and outcome.mastery_level >= 0.4
    assert dashboard.student_dashboard(actor=student).school_weak_areas == []


def test_the_guru_drilldown_counts_school_practice_answers(
    actors: dict[str, CurrentUser], math_subject: int
) -> None:
    """School practice is counted in topic_mastery, not stored per answer: the guru's
    drill-down says how many were answered instead of "no answers yet"."""
    school_practice.import_practice_questions(data=GOOD.encode(), subject_code="MAT_10")
    student = auth.create_user(
        username="siswa_kls", password="kata-sandi-1", role="siswa", class_name="X-1"
    )
    with unit_of_work() as session:
        user_repo.assign_class(session=session, teacher_id=actors["guru"].id, class_name="X-1")
    rnd = school_practice.start_round(actor=student, subject_id=math_subject, topic="Pecahan")
    school_practice.answer_question(actor=student, question_id=rnd.items[0].id, selected="B")
    school_practice.answer_question(actor=student, question_id=rnd.items[1].id, selected="B")
    drill = teacher.drilldown(
        actor=actors["guru"], username="siswa_kls", view_key="subject:MAT_10", topic="Pecahan"
    )
    assert drill.attempts == []
    assert drill.attempts_note.startswith("2 soal latihan topik ini sudah dijawab, 1 benar.")
    untouched = teacher.drilldown(
        actor=actors["guru"], username="siswa_kls", view_key="subject:MAT_10", topic="Aljabar"
    )
    assert untouched.attempts_note == teacher.NO_ATTEMPTS


def test_student_only(actors: dict[str, CurrentUser], math_subject: int) -> None:
    with pytest.raises(PermissionDenied):
        school_practice.list_topics(actor=actors["guru"])
    with pytest.raises(NotFound):
        school_practice.start_round(
            actor=actors["siswa"], subject_id=math_subject, topic="Tidak ada"
        )


def test_practice_suggestion_matches_the_tutors_topic(
    actors: dict[str, CurrentUser], math_subject: int
) -> None:
    school_practice.import_practice_questions(
        data=(
            b"topic,question,answer\n"
            b"Organel,Apa fungsi ribosom?,Membuat protein.\n"
            b"Organel Sel,Apa fungsi mitokondria?,Menghasilkan energi.\n"
            b"Pecahan,Apa itu pecahan?,Bagian dari keseluruhan.\n"
        ),
        subject_code="MAT_10",
    )
    suggest = school_practice.suggest_for_topic
    assert suggest(subject_id=math_subject, topic="pecahan") == (
        "Pecahan",
        f"/practice/subject?subject={math_subject}&topic=Pecahan",
    )
    # All of the practice topic's words in the heading; the most specific wins.
    assert suggest(subject_id=math_subject, topic="Bab 2 Organel Sel")[0] == "Organel Sel"
    assert suggest(subject_id=math_subject, topic="Bab 3 Jaringan") is None
    assert suggest(subject_id=math_subject + 1, topic="Pecahan") is None


def test_the_tutor_suggests_practice_on_the_topic_just_asked(
    engine: Engine, actors: dict[str, CurrentUser], tmp_path
) -> None:
    from nexus_app.services import books, tutor
    from tests.integration.services.test_books_tutor import BOOK

    subjects.create_subject(grade=10, name="Fisika", code="FIS_10")
    book = tmp_path / "fisika.md"
    book.write_text(BOOK, encoding="utf-8")
    books.ingest_book(path=book, subject_code="FIS_10", title="Fisika Dasar")
    question = "Apa yang dimaksud dengan percepatan?"
    before = tutor.ask(
        subject_code="FIS_10", question=question, use_llm=False, actor=actors["siswa"]
    )
    assert before.topic and before.practice_link == ""  # no questions on it yet
    school_practice.import_practice_questions(
        data=f"topic,question,answer\n{before.topic},Apa satuan percepatan?,m/s2\n".encode(),
        subject_code="FIS_10",
    )
    after = tutor.ask(
        subject_code="FIS_10", question=question, use_llm=False, actor=actors["siswa"]
    )
    assert after.practice_topic == before.topic
    assert after.practice_link.startswith("/practice/subject?subject=")
