"""Issue 14's task gaps on both databases: a tryout given as a task (credited once when a
sitting of its blueprint finishes, its total score in the teacher's results and CSV), a
whole-class task reaching students who join the class later (a group's staying fixed), and
school-subject tasks credited by answers given on /practice/subject."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app import formatting
from nexus_app.models import utcnow
from nexus_app.services import auth, school_practice, tasks, tryout
from nexus_app.services.auth import CurrentUser
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import InvalidInput
from nexus_app.services.tryout import sitting as sitting_module
from tests.integration.services.test_practice import _bank_csv
from tests.integration.services.test_tasks import (  # noqa: F401  (school is a fixture)
    PASSWORD,
    _due,
    _subject_target,
    school,
)

MINI = b"order,section,items,minutes\n1,PU,4,2\n2,PK,3,1.5\n"


@pytest.fixture
def blueprint(school: dict[str, CurrentUser]) -> int:  # noqa: F811
    """A two-subtest blueprint the school's reviewed items can serve (PU is in `school`)."""
    assert import_bank(
        filename="pk.csv",
        data=_bank_csv("PK", 9, ("a", "b", "c")),
        bank_name="Uji PK",
        mark_reviewed_by=["Bu Ani", "Pak Budi"],
    ).ok
    assert tryout.import_blueprint(data=MINI, name="Mini").ok
    return next(b.id for b in tryout.list_blueprints() if b.name == "Mini")


def _sit(student: CurrentUser, blueprint_id: int) -> float:
    """Start a sitting, answer one item, end both subtests; the sitting's total."""
    view = tryout.start_tryout(actor=student, blueprint_id=blueprint_id)
    tryout.answer_item(actor=student, sitting_id=view.sitting_id, position=1, number=1, answer="B")
    nxt = tryout.end_section(actor=student, sitting_id=view.sitting_id, position=1)
    assert nxt is not None and nxt.position == 2
    assert tryout.end_section(actor=student, sitting_id=view.sitting_id, position=2) is None
    result = tryout.tryout_result(actor=student, sitting_id=view.sitting_id)
    assert result is not None
    return float(result.total)


def _mine(student: CurrentUser, task_id: int) -> tasks.StudentTask:
    return next(t for t in tasks.my_tasks(actor=student) if t.id == task_id)


def test_a_tryout_task_is_done_by_one_finished_sitting_and_shows_its_score(
    engine: Engine,
    school: dict[str, CurrentUser],  # noqa: F811
    blueprint: int,
) -> None:
    guru, ani, budi = school["guru"], school["ani"], school["budi"]
    targets = {t.key: t.label for t in tasks.options(actor=guru).targets}
    assert targets[f"tryout:{blueprint}"] == "Tryout · Mini (7 soal, 3,5 menit)"
    # The SNBT default needs 160 reviewed items: not offered while the bank cannot serve it.
    default = next(b.id for b in tryout.list_blueprints() if b.name == tryout.DEFAULT_NAME)
    assert f"tryout:{default}" not in targets
    with pytest.raises(InvalidInput, match="belum cukup untuk tryout ini: PU"):
        tasks.create_task(
            actor=guru, class_name="X-1", target=f"tryout:{default}", question_count=0, due=_due()
        )
    # The question count of the form does not matter for a tryout: one sitting.
    task_id = tasks.create_task(
        actor=guru, class_name="X-1", target=f"tryout:{blueprint}", question_count=0, due=_due()
    )
    mine = _mine(ani, task_id)
    assert (mine.title, mine.target, mine.kind) == ("Tryout Mini", "Tryout · Mini", "Tryout")
    assert mine.link == f"/tryout?tugas={task_id}" and mine.is_tryout
    assert (mine.status, mine.score) == (tasks.STATUS_OPEN, "")
    assert tasks.tryout_task_blueprint(actor=ani, task_id=task_id) == blueprint
    with pytest.raises(InvalidInput, match="tryout"):
        tasks.open_task(actor=ani, task_id=task_id)  # not a /tugas task

    total = _sit(ani, blueprint)
    mine = _mine(ani, task_id)
    assert (mine.status, mine.score) == (tasks.STATUS_DONE, str(round(total)))
    # Done: the task link no longer starts a sitting (a reload shows the result instead).
    assert tasks.tryout_task_blueprint(actor=ani, task_id=task_id) is None
    # A second sitting changes nothing: credited once, with the first sitting's total.
    with engine.connect() as conn:
        before = conn.execute(
            sa.text("SELECT completed_at, tryout_score FROM task_students WHERE student_id = :s"),
            {"s": ani.id},
        ).one()
    _sit(ani, blueprint)
    with engine.connect() as conn:
        after = conn.execute(
            sa.text("SELECT completed_at, tryout_score FROM task_students WHERE student_id = :s"),
            {"s": ani.id},
        ).one()
    assert tuple(after) == tuple(before)

    results = tasks.task_results(actor=guru, task_id=task_id)
    assert results.is_tryout and (results.recipients, results.completed) == (2, 1)
    by_name = {s.username: s for s in results.students}
    assert by_name["ani"].status == "Selesai" and by_name["ani"].score == str(round(total))
    assert by_name["ani"].cells()[3:5] == (formatting.EMPTY, formatting.EMPTY)
    assert by_name["budi"].status == "Belum selesai" and by_name["budi"].score == formatting.EMPTY
    # Its items are those Ani answered in the sitting that credited it: one, right.
    assert [(i.answers, i.correct, i.key) for i in results.items] == [(1, 1, "B")]
    rows = list(csv.reader(io.StringIO(tasks.students_csv(actor=guru, task_id=task_id))))
    assert tuple(rows[0]) == tasks.STUDENT_COLUMNS
    assert [tuple(r) for r in rows[1:]] == [s.cells() for s in results.students]
    listed = tasks.list_tasks(actor=guru)
    assert [(t.target, t.completed, t.recipients) for t in listed] == [("Tryout · Mini", 1, 2)]

    # Late work counts, as for practice tasks: Budi finishes after the due date.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE tasks SET due_at = :t"), {"t": utcnow() - timedelta(hours=1)})
    assert _mine(budi, task_id).status == tasks.STATUS_LATE
    _sit(budi, blueprint)
    assert _mine(budi, task_id).status == tasks.STATUS_DONE


def _sit_answering(
    student: CurrentUser, blueprint_id: int, answers: dict[tuple[int, int], str]
) -> dict[str, str]:
    """Sit the blueprint answering these (subtest position, number) items; {item text: letter}."""
    view = tryout.start_tryout(actor=student, blueprint_id=blueprint_id)
    given: dict[str, str] = {}
    for position in (1, 2):
        for (pos, number), letter in answers.items():
            if pos != position:
                continue
            item = tryout.show_item(
                actor=student, sitting_id=view.sitting_id, position=pos, number=number
            )
            tryout.answer_item(
                actor=student,
                sitting_id=view.sitting_id,
                position=pos,
                number=number,
                answer=letter,
            )
            given[item.text] = letter
        tryout.end_section(actor=student, sitting_id=view.sitting_id, position=position)
    assert tryout.current_sitting(actor=student) is None
    return given


def test_a_tryout_task_shows_the_items_of_the_sittings_that_credited_it(
    school: dict[str, CurrentUser],  # noqa: F811
    blueprint: int,
) -> None:
    guru, ani, budi = school["guru"], school["ani"], school["budi"]
    # Sat before the task was given: not the task's work, its answers are not counted.
    _sit_answering(ani, blueprint, {(1, 1): "C", (1, 2): "D", (2, 1): "E"})
    task_id = tasks.create_task(
        actor=guru, class_name="X-1", target=f"tryout:{blueprint}", question_count=0, due=_due()
    )
    assert tasks.task_results(actor=guru, task_id=task_id).items == []
    credited = [
        _sit_answering(ani, blueprint, {(1, 1): "B", (1, 2): "C", (2, 1): "B"}),
        _sit_answering(budi, blueprint, {(1, 1): "A", (1, 2): "B", (1, 3): "C"}),
    ]
    # A second sitting after the task was done: the first one credited it, this one is not.
    _sit_answering(ani, blueprint, {(1, 1): "E", (1, 2): "E"})

    expected: dict[str, Counter[str]] = defaultdict(Counter)
    for given in credited:
        for text, letter in given.items():
            expected[text][letter] += 1
    results = tasks.task_results(actor=guru, task_id=task_id)
    assert (results.completed, results.recipients) == (2, 2)
    assert sum(i.answers for i in results.items) == 6
    rows = {i.text: (i.key, i.answers, i.correct, i.distractors) for i in results.items}
    assert rows == {
        text: (
            "B",
            sum(chosen.values()),
            chosen["B"],
            " · ".join(
                f"{letter}: {n}"
                for letter, n in sorted(chosen.items(), key=lambda kv: (-kv[1], kv[0]))
                if letter != "B"
            )
            or formatting.EMPTY,
        )
        for text, chosen in expected.items()
    }
    # Ani's second item, answered C: a distractor of that item (and never E: that was
    # the sittings that do not count).
    ani_wrong = next(t for t, letter in credited[0].items() if letter == "C")
    assert "C: " in rows[ani_wrong][3]
    assert all("E" not in i.distractors for i in results.items)
    # Hardest first, numbered in that order.
    rates = [i.correct / i.answers for i in results.items]
    assert rates == sorted(rates) and [i.number for i in results.items] == list(
        range(1, len(results.items) + 1)
    )
    # The CSV is the page's table.
    csv_rows = list(csv.reader(io.StringIO(tasks.items_csv(actor=guru, task_id=task_id))))
    assert tuple(csv_rows[0]) == tasks.ITEM_COLUMNS
    assert [tuple(r) for r in csv_rows[1:]] == [i.cells() for i in results.items]


def test_a_sitting_that_ended_before_the_task_was_given_does_not_count(
    engine: Engine,
    school: dict[str, CurrentUser],  # noqa: F811
    blueprint: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ani = school["ani"]
    # Ani started a sitting an hour ago and left it: its subtests timed out back then.
    hour_ago = utcnow() - timedelta(hours=1)
    monkeypatch.setattr(sitting_module, "utcnow", lambda: hour_ago)
    tryout.start_tryout(actor=ani, blueprint_id=blueprint)
    monkeypatch.setattr(sitting_module, "utcnow", utcnow)
    task_id = tasks.create_task(
        actor=school["guru"],
        class_name="X-1",
        target=f"tryout:{blueprint}",
        question_count=1,
        due=_due(),
    )
    # Closed only now, at its old deadlines: finished before the task existed.
    assert tryout.current_sitting(actor=ani) is None
    with engine.connect() as conn:
        finished = conn.execute(sa.text("SELECT finished_at FROM tryout_sittings")).scalar()
    assert finished is not None
    assert _mine(ani, task_id).status == tasks.STATUS_OPEN
    _sit(ani, blueprint)
    assert _mine(ani, task_id).status == tasks.STATUS_DONE


def test_a_whole_class_task_reaches_students_who_join_later_a_group_task_does_not(
    engine: Engine,
    school: dict[str, CurrentUser],  # noqa: F811
) -> None:
    guru, ani = school["guru"], school["ani"]
    whole = tasks.create_task(
        actor=guru, class_name="X-1", target="utbk:PU", question_count=2, due=_due()
    )
    group = tasks.create_task(
        actor=guru,
        class_name="X-1",
        target="utbk:PU",
        question_count=2,
        due=_due(),
        student_ids=[ani.id],
    )
    past = tasks.create_task(
        actor=guru, class_name="X-1", target="utbk:PU", question_count=2, due=_due()
    )
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE tasks SET due_at = :t WHERE id = :i"),
            {"t": utcnow() - timedelta(minutes=1), "i": past},
        )
    # A new student of X-1 sees the whole-class task, not the group's, nor one already due.
    dewi = auth.create_user(
        username="dewi", password=PASSWORD, role="siswa", full_name="Dewi", class_name="X-1"
    )
    assert [t.id for t in tasks.my_tasks(actor=dewi)] == [whole]
    assert [t.id for t in tasks.my_tasks(actor=dewi)] == [whole]  # read twice: one row
    # The teacher's read finds a joiner who has not opened the dashboard yet.
    auth.create_user(
        username="eko", password=PASSWORD, role="siswa", full_name="Eko", class_name="X-1"
    )
    names = [s.username for s in tasks.task_results(actor=guru, task_id=whole).students]
    assert names == ["ani", "budi", "dewi", "eko"]
    assert [s.username for s in tasks.task_results(actor=guru, task_id=group).students] == ["ani"]
    listed = {t.id: t.recipients for t in tasks.list_tasks(actor=guru)}
    assert listed == {whole: 4, group: 1, past: 2}
    # A student moved into the class comes straight to the task's page: it opens.
    citra = school["citra"]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET class_name = 'X-1' WHERE username = 'citra'"))
    step = tasks.open_task(actor=citra, task_id=whole)
    assert step.item is not None and step.total == 2
    # Inactive students do not become recipients.
    auth.create_user(
        username="gita", password=PASSWORD, role="siswa", full_name="Gita", class_name="X-1"
    )
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET is_active = false WHERE username = 'gita'"))
    auth.create_user(
        username="fajar", password=PASSWORD, role="siswa", full_name="Fajar", class_name="X-1"
    )
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT COUNT(*) FROM task_students WHERE task_id = :t"), {"t": whole}
        ).scalar()
    assert rows == 5  # ani, budi, dewi, eko, citra: fajar comes with the next read
    names = [s.username for s in tasks.task_results(actor=guru, task_id=whole).students]
    assert names == ["ani", "budi", "citra", "dewi", "eko", "fajar"]


def test_school_answers_on_practice_subject_count_for_the_task(
    engine: Engine,
    school: dict[str, CurrentUser],  # noqa: F811
) -> None:
    ani, budi = school["ani"], school["budi"]
    task_id = tasks.create_task(
        actor=school["guru"],
        class_name="X-1",
        target=_subject_target(school),
        question_count=2,
        due=_due(),
    )
    other = tasks.create_task(
        actor=school["guru"], class_name="X-1", target="utbk:PU", question_count=2, due=_due()
    )
    subject_id: int = school["subject_id"]  # type: ignore[assignment]
    questions = school_practice.start_round(actor=ani, subject_id=subject_id, topic="Sel").items
    # Ani practises the topic on /practice/subject: three answers, the task takes two.
    school_practice.answer_question(actor=ani, question_id=questions[0].id, selected="A")
    school_practice.answer_question(actor=ani, question_id=questions[0].id, selected="B")
    assert _mine(ani, task_id).answered == 1  # the same question again: counted once
    school_practice.answer_question(actor=ani, question_id=questions[1].id, selected="B")
    school_practice.answer_question(actor=ani, question_id=questions[2].id, marked_correct=True)
    mine = _mine(ani, task_id)
    assert (mine.status, mine.answered) == (tasks.STATUS_DONE, 2)
    assert _mine(ani, other).answered == 0
    # Budi answers one on /practice/subject and the next on /tugas: counted once each.
    school_practice.answer_question(actor=budi, question_id=questions[2].id, marked_correct=False)
    step = tasks.open_task(actor=budi, task_id=task_id)
    assert step.answered == 1 and step.item is not None and step.item.item_id == questions[0].id
    outcome = tasks.answer(actor=budi, task_id=task_id, item_id=step.item.item_id, selected="A")
    assert outcome.done and outcome.answered == 2
    results = tasks.task_results(actor=school["guru"], task_id=task_id)
    assert [(s.username, s.status, s.answered, s.correct) for s in results.students] == [
        ("ani", "Selesai", 2, 1),
        ("budi", "Selesai", 2, 1),
    ]
    # Ani's first answer (A, right) and second (B on the second question, wrong) are the
    # task's; the open question Budi marked wrong shows as "isian".
    by_text = {i.text[:10]: i for i in results.items}
    assert by_text["Penghasil "].distractors == "B: 1"
    assert by_text["Jelaskan f"].distractors == "isian: 1"
    with engine.connect() as conn:
        answers = conn.execute(sa.text("SELECT COUNT(*) FROM task_answers")).scalar()
    assert answers == 4
