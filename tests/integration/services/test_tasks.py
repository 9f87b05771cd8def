"""Assigned work on both databases: who may assign what to whom, a student doing a UTBK and
a school-subject task through the practice flows, and the teacher's results, CSV exports and
"soal sulit" report with distractor counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app import formatting
from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import users as user_repo
from nexus_app.services import auth, practice, school_practice, subjects, tasks
from nexus_app.services.auth import CurrentUser
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied
from tests.integration.services.test_practice import _bank_csv

QUESTIONS = (
    "topic,question,answer,difficulty,option_a,option_b,option_c\n"
    "Sel,Penyimpan DNA adalah ...,A,mudah,inti sel,dinding sel,vakuola\n"
    "Sel,Penghasil energi adalah ...,A,sedang,mitokondria,ribosom,lisosom\n"
    'Sel,Jelaskan fungsi membran sel.,"Mengatur zat keluar masuk.",sulit,,,\n'
)
PASSWORD = "kata-sandi-tugas"


def _due(days: int = 3) -> str:
    return formatting.to_local(utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def school(engine: Engine) -> dict[str, CurrentUser]:
    assert import_bank(
        filename="b.csv",
        data=_bank_csv("PU", 24),
        bank_name="Uji",
        mark_reviewed_by=["Bu Ani", "Pak Budi"],
    ).ok
    people = {
        "admin": auth.create_user(username="admin1", password=PASSWORD, role="admin"),
        "guru": auth.create_user(username="guru1", password=PASSWORD, role="guru"),
        "guru_lain": auth.create_user(username="guru2", password=PASSWORD, role="guru"),
        "ani": auth.create_user(
            username="ani", password=PASSWORD, role="siswa", full_name="Ani", class_name="X-1"
        ),
        "budi": auth.create_user(
            username="budi", password=PASSWORD, role="siswa", full_name="Budi", class_name="X-1"
        ),
        "citra": auth.create_user(
            username="citra", password=PASSWORD, role="siswa", full_name="Citra", class_name="X-2"
        ),
    }
    with unit_of_work() as session:
        user_repo.assign_class(session=session, teacher_id=people["guru"].id, class_name="X-1")
        user_repo.assign_class(session=session, teacher_id=people["guru_lain"].id, class_name="X-2")
    subject = subjects.admin_create_subject(
        actor=people["admin"], grade=10, name="Biologi", code="BIO_10"
    )
    assert school_practice.import_practice_questions(
        data=QUESTIONS.encode(), subject_code="BIO_10"
    ).ok
    people["subject_id"] = subject.id  # type: ignore[assignment]
    return people


def _subject_target(school: dict[str, CurrentUser]) -> str:
    return f"subject:{school['subject_id']}:Sel"


def test_options_list_classes_and_targets(school: dict[str, CurrentUser]) -> None:
    opts = tasks.options(actor=school["guru"])
    assert opts.classes == ["X-1"] and not opts.notice
    keys = [t.key for t in opts.targets]
    assert "utbk:PU" in keys and "utbk:PU:a" in keys and _subject_target(school) in keys
    assert tasks.options(actor=school["admin"]).classes == ["X-1", "X-2"]
    lonely = auth.create_user(username="guru3", password=PASSWORD, role="guru")
    assert "belum mengajar kelas" in tasks.options(actor=lonely).notice
    names = [s.username for s in tasks.class_students(actor=school["guru"], class_name="X-1")]
    assert names == ["ani", "budi"]


def test_roles_a_student_cannot_assign_and_a_guru_only_their_classes(
    engine: Engine, school: dict[str, CurrentUser]
) -> None:
    with pytest.raises(PermissionDenied):
        tasks.create_task(
            actor=school["ani"], class_name="X-1", target="utbk:PU", question_count=3, due=_due()
        )
    with pytest.raises(PermissionDenied, match="tidak mengajar kelas X-2"):
        tasks.create_task(
            actor=school["guru"], class_name="X-2", target="utbk:PU", question_count=3, due=_due()
        )
    with pytest.raises(PermissionDenied):
        tasks.class_students(actor=school["guru"], class_name="X-2")
    with pytest.raises(PermissionDenied):
        tasks.my_tasks(actor=school["guru"])
    # A group must be students of the class.
    with pytest.raises(InvalidInput, match="siswa aktif kelas X-1"):
        tasks.create_task(
            actor=school["guru"],
            class_name="X-1",
            target="utbk:PU",
            question_count=3,
            due=_due(),
            student_ids=[school["citra"].id],
        )
    with pytest.raises(InvalidInput, match="sudah lewat"):
        tasks.create_task(
            actor=school["guru"], class_name="X-1", target="utbk:PU", question_count=3, due=_due(-1)
        )
    with pytest.raises(InvalidInput, match="baru memiliki 3 soal"):
        tasks.create_task(
            actor=school["guru"],
            class_name="X-1",
            target=_subject_target(school),
            question_count=4,
            due=_due(),
        )
    with pytest.raises(InvalidInput, match="Cetak biru tryout tidak ditemukan"):
        tasks.create_task(
            actor=school["guru"], class_name="X-1", target="tryout:99", question_count=3, due=_due()
        )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM tasks")).scalar() == 0
    # The admin may assign in any class.
    task_id = tasks.create_task(
        actor=school["admin"], class_name="X-2", target="utbk:PU", question_count=2, due=_due()
    )
    with pytest.raises(PermissionDenied):
        tasks.task_results(actor=school["guru"], task_id=task_id)
    assert tasks.task_results(actor=school["guru_lain"], task_id=task_id).recipients == 1


def test_due_is_read_as_wib_and_stored_as_utc() -> None:
    now = datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
    due = tasks.parse_due("2026-12-10T14:00", now=now)
    assert due == datetime(2026, 12, 10, 7, 0, tzinfo=UTC)
    assert tasks.parse_due("2026-12-10", now=now) == datetime(2026, 12, 10, 16, 59, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        tasks.parse_due("besok", now=now)


def test_a_group_does_a_school_task_and_the_teacher_reads_the_results(
    engine: Engine, school: dict[str, CurrentUser]
) -> None:
    ani, budi = school["ani"], school["budi"]
    task_id = tasks.create_task(
        actor=school["guru"],
        class_name="X-1",
        target=_subject_target(school),
        question_count=3,
        due=_due(),
        student_ids=[ani.id],
    )
    assert [t.id for t in tasks.my_tasks(actor=ani)] == [task_id]
    assert tasks.my_tasks(actor=budi) == []  # not in the group
    with pytest.raises(NotFound):
        tasks.open_task(actor=budi, task_id=task_id)
    mine = tasks.my_tasks(actor=ani)[0]
    assert (mine.status, mine.answered, mine.total) == (tasks.STATUS_OPEN, 0, 3)
    assert mine.link == f"/tugas?id={task_id}"

    step = tasks.open_task(actor=ani, task_id=task_id)
    assert step.item is not None and step.item.is_multiple_choice
    assert step.item.text.startswith("Penyimpan DNA")
    first = tasks.answer(actor=ani, task_id=task_id, item_id=step.item.item_id, selected="A")
    assert first.correct and (first.answered, first.done) == (1, False)
    with pytest.raises(InvalidInput, match="sudah kamu jawab"):
        tasks.answer(actor=ani, task_id=task_id, item_id=step.item.item_id, selected="A")
    step = tasks.open_task(actor=ani, task_id=task_id)
    assert step.item is not None
    wrong = tasks.answer(actor=ani, task_id=task_id, item_id=step.item.item_id, selected="C")
    assert not wrong.correct and wrong.correct_answer == "A"
    step = tasks.open_task(actor=ani, task_id=task_id)
    assert step.item is not None and not step.item.is_multiple_choice
    assert "keluar masuk" in tasks.model_answer(
        actor=ani, task_id=task_id, item_id=step.item.item_id
    )
    last = tasks.answer(actor=ani, task_id=task_id, item_id=step.item.item_id, marked_correct=False)
    assert last.done and last.answered == 3
    assert tasks.open_task(actor=ani, task_id=task_id).done
    assert tasks.my_tasks(actor=ani)[0].status == tasks.STATUS_DONE
    with pytest.raises(InvalidInput, match="sudah selesai"):
        tasks.answer(actor=ani, task_id=task_id, item_id=step.item.item_id, marked_correct=True)
    # The answers moved the topic's mastery like any school practice.
    with engine.connect() as conn:
        counts = conn.execute(
            sa.text("SELECT question_count, correct_count FROM topic_mastery WHERE topic = 'Sel'")
        ).one()
    assert tuple(counts) == (3, 1)

    results = tasks.task_results(actor=school["guru"], task_id=task_id)
    assert (results.recipients, results.completed) == (1, 1)
    row = results.students[0]
    assert (row.username, row.status, row.answered, row.correct) == ("ani", "Selesai", 3, 1)
    assert row.score == "33%" and row.completed.endswith("WIB")
    assert [i.rate for i in results.items] == ["0%", "0%", "100%"]
    by_text = {i.text[:10]: i for i in results.items}
    assert by_text["Penghasil "].distractors == "C: 1"
    assert by_text["Jelaskan f"].distractors == "isian: 1"
    # The CSV is the page's table: same columns, same cells.
    rows = list(csv.reader(io.StringIO(tasks.students_csv(actor=school["guru"], task_id=task_id))))
    assert tuple(rows[0]) == tasks.STUDENT_COLUMNS
    assert tuple(rows[1]) == row.cells()
    item_rows = list(
        csv.reader(io.StringIO(tasks.items_csv(actor=school["guru"], task_id=task_id)))
    )
    assert [tuple(r) for r in item_rows[1:]] == [i.cells() for i in results.items]

    listed = tasks.list_tasks(actor=school["guru"])
    assert [(t.id, t.recipients, t.completed) for t in listed] == [(task_id, 1, 1)]
    assert tasks.list_tasks(actor=school["guru_lain"]) == []


def test_a_utbk_task_runs_a_practice_session_and_feeds_the_hard_items(
    engine: Engine, school: dict[str, CurrentUser]
) -> None:
    task_id = tasks.create_task(
        actor=school["guru"], class_name="X-1", target="utbk:PU:a", question_count=3, due=_due()
    )
    for student, letter in ((school["ani"], "C"), (school["budi"], "D")):
        for n in range(1, 4):
            step = tasks.open_task(actor=student, task_id=task_id)
            assert step.item is not None and step.answered == n - 1
            assert step.item.session_id and step.item.session_position == n
            again = tasks.open_task(actor=student, task_id=task_id)  # a reload: same item
            assert again.item is not None and again.item.item_id == step.item.item_id
            outcome = tasks.answer(
                actor=student,
                task_id=task_id,
                item_id=step.item.item_id,
                selected=letter,
                session_id=step.item.session_id,
                position=step.item.session_position,
            )
            assert not outcome.correct and outcome.correct_answer == "B"
        assert outcome.done
    with engine.connect() as conn:
        sessions = conn.execute(
            sa.text("SELECT COUNT(*) FROM user_study_sessions WHERE ended_at IS NOT NULL")
        ).scalar()
        answers = conn.execute(sa.text("SELECT COUNT(*) FROM task_answers")).scalar()
    assert (sessions, answers) == (2, 6)
    results = tasks.task_results(actor=school["guru"], task_id=task_id)
    assert [s.status for s in results.students] == ["Selesai", "Selesai"]
    assert all(i.rate == "0%" for i in results.items)

    hard = tasks.hard_items(actor=school["guru"], min_answers=1)
    assert hard and all(h.area == "UTBK PU · A" for h in hard)
    assert hard[0].rate == "0%" and hard[0].key == "B"
    # The two students chose C and D: each wrong option is counted on its own.
    assert all(set(h.distractors.replace(" ", "").split("·")) <= {"C:1", "D:1"} for h in hard)
    assert tasks.hard_items(actor=school["guru_lain"], min_answers=1) == []
    csv_rows = list(csv.reader(io.StringIO(tasks.hard_items_csv(actor=school["guru"]))))
    assert tuple(csv_rows[0]) == tasks.HARD_COLUMNS
    with pytest.raises(PermissionDenied):
        tasks.hard_items(actor=school["ani"])
    with pytest.raises(PermissionDenied):
        tasks.hard_items(actor=school["guru"], class_name="X-2")


def _practise_on_practice_page(student: CurrentUser, answers: int) -> None:
    """Answers given on /practice (topic a of PU), not through the task."""
    view = practice.start_session(actor=student, section="PU", sub_type="a")
    for _ in range(answers):
        assert view is not None
        practice.submit_answer(
            actor=student,
            session_id=view.session_id,
            question_id=view.question_id,
            position=view.position,
            answer="C",
        )
        view = practice.current_question(actor=student, session_id=view.session_id)


def test_utbk_answers_given_on_practice_count_for_the_task(
    engine: Engine, school: dict[str, CurrentUser]
) -> None:
    task_id = tasks.create_task(
        actor=school["guru"], class_name="X-1", target="utbk:PU:a", question_count=2, due=_due()
    )
    other_topic = tasks.create_task(
        actor=school["guru"], class_name="X-1", target="utbk:PU:b", question_count=2, due=_due()
    )
    # Ani practises topic a on /practice: three answers, the task takes the first two.
    _practise_on_practice_page(school["ani"], 3)
    mine = {t.id: t for t in tasks.my_tasks(actor=school["ani"])}
    assert (mine[task_id].status, mine[task_id].answered) == (tasks.STATUS_DONE, 2)
    assert (mine[other_topic].status, mine[other_topic].answered) == (tasks.STATUS_OPEN, 0)

    # Budi answers one on /practice, then finishes the task on /tugas: counted once each.
    _practise_on_practice_page(school["budi"], 1)
    step = tasks.open_task(actor=school["budi"], task_id=task_id)
    assert step.answered == 1 and step.item is not None
    outcome = tasks.answer(
        actor=school["budi"],
        task_id=task_id,
        item_id=step.item.item_id,
        selected="B",
        session_id=step.item.session_id,
        position=step.item.session_position,
    )
    assert outcome.done and outcome.answered == 2
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT student_id, COUNT(*) FROM task_answers GROUP BY student_id")
        ).all()
    assert sorted(n for _, n in rows) == [2, 2]
    results = tasks.task_results(actor=school["guru"], task_id=task_id)
    assert [s.status for s in results.students] == ["Selesai", "Selesai"]


def test_overdue_and_withdrawn_tasks(engine: Engine, school: dict[str, CurrentUser]) -> None:
    task_id = tasks.create_task(
        actor=school["guru"], class_name="X-1", target="utbk:PU", question_count=2, due=_due()
    )
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE tasks SET due_at = :t"), {"t": utcnow() - timedelta(hours=1)})
    assert tasks.my_tasks(actor=school["ani"])[0].status == tasks.STATUS_LATE
    assert tasks.list_tasks(actor=school["guru"])[0].overdue
    with pytest.raises(PermissionDenied):
        tasks.delete_task(actor=school["guru_lain"], task_id=task_id)
    tasks.delete_task(actor=school["guru"], task_id=task_id)
    assert tasks.my_tasks(actor=school["ani"]) == []
