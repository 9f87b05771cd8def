"""Assigned work: tasks, their recipients' progress, the answers given in them, and the
per-item answer counts behind the teacher's results and "soal sulit" report."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from nexus_app.models import (
    Attempt,
    PracticeQuestion,
    Question,
    Subject,
    Task,
    TaskAnswer,
    TaskStudent,
    TryoutBlueprint,
    TryoutItem,
    TryoutSitting,
    User,
)
from nexus_app.repositories._dialect import upsert_insert
from nexus_app.repositories._sql import select_columns


def create_task(
    *,
    session: Session,
    created_by: int,
    title: str,
    kind: str,
    question_count: int,
    class_name: str,
    due_at: datetime,
    section: str | None = None,
    sub_type: str | None = None,
    subject_id: int | None = None,
    topic: str | None = None,
    blueprint_id: int | None = None,
    whole_class: bool = False,
) -> Task:
    task = Task(
        created_by=created_by,
        title=title,
        kind=kind,
        question_count=question_count,
        class_name=class_name,
        due_at=due_at,
        section=section,
        sub_type=sub_type,
        subject_id=subject_id,
        topic=topic,
        blueprint_id=blueprint_id,
        whole_class=whole_class,
    )
    session.add(task)
    session.flush()
    return task


def add_task_students(*, session: Session, task_id: int, student_ids: Collection[int]) -> None:
    for student_id in sorted(set(student_ids)):
        session.add(TaskStudent(task_id=task_id, student_id=student_id))
    session.flush()


def add_class_joiners(
    *,
    session: Session,
    now: datetime,
    student_id: int | None = None,
    class_names: Collection[str] | None = None,
    task_id: int | None = None,
) -> int:
    """Make the students now in a class recipients of its open whole-class tasks they are
    not yet recipients of (one student's, some classes', or one task's); how many were added.

    Class recipients are resolved when tasks are read, not when a student changes class:
    a student reaches a class through several doors (created, imported, edited, a class
    renamed), and a read here is one indexed query that writes only when someone joined.
    A task already past its due date takes no new recipients: a student who joins late is
    not charged with work that was over before they came."""
    params: dict[str, object] = {"now": now}
    if student_id is not None:
        params["student_id"] = student_id
    if class_names is not None:
        if not class_names:
            return 0
        params["class_names"] = list(class_names)
    if task_id is not None:
        params["task_id"] = task_id
    query = _joiners_query(student_id is not None, class_names is not None, task_id is not None)
    missing = [(int(t), int(u)) for t, u in session.exec(query, params=params).all()]
    if not missing:
        return 0
    # Two tabs of one student may add the same row at once: the second adds nothing.
    session.execute(
        upsert_insert(session, TaskStudent)
        .values([{"task_id": t, "student_id": u} for t, u in missing])
        .on_conflict_do_nothing()
    )
    session.flush()
    return len(missing)


@cache
def _joiners_query(by_student: bool, by_classes: bool, by_task: bool) -> Select[*tuple[Any, ...]]:
    # Built once per shape (_sql.py, "hot statements"): every practice answer asks for
    # its student.
    joiner = User
    query = (
        select_columns(col(Task.id), col(joiner.id))
        .select_from(Task)
        .join(
            joiner,
            (col(joiner.class_name) == col(Task.class_name))
            & (col(joiner.role) == "siswa")
            & col(joiner.is_active).is_(True)
            & col(joiner.deleted_at).is_(None),
        )
        .outerjoin(
            TaskStudent,
            (col(TaskStudent.task_id) == col(Task.id))
            & (col(TaskStudent.student_id) == col(joiner.id)),
        )
        .where(
            col(Task.whole_class).is_(True),
            col(Task.due_at) > sa.bindparam("now"),
            col(TaskStudent.task_id).is_(None),
        )
    )
    if by_student:
        query = query.where(col(joiner.id) == sa.bindparam("student_id"))
    if by_classes:
        query = query.where(col(Task.class_name).in_(sa.bindparam("class_names", expanding=True)))
    if by_task:
        query = query.where(col(Task.id) == sa.bindparam("task_id"))
    return query


def get_task(*, session: Session, task_id: int) -> Task | None:
    return session.get(Task, task_id)


def delete_task(*, session: Session, task: Task) -> None:
    session.delete(task)
    session.flush()


@dataclass(frozen=True, slots=True)
class TaskSummaryRow:
    task: Task
    recipients: int
    completed: int
    subject_name: str | None
    blueprint_name: str | None = None


def list_tasks(*, session: Session, class_names: Collection[str]) -> list[TaskSummaryRow]:
    """Tasks given in these classes, newest due first, with how many finished them."""
    if not class_names:
        return []
    done = sa.func.sum(sa.case((col(TaskStudent.completed_at).is_not(None), 1), else_=0))
    query = (
        select_columns(
            Task,
            sa.func.count(col(TaskStudent.student_id)),
            done,
            col(Subject.name),
            col(TryoutBlueprint.name),
        )
        .select_from(Task)
        .outerjoin(TaskStudent, col(TaskStudent.task_id) == col(Task.id))
        .outerjoin(Subject, col(Subject.id) == col(Task.subject_id))
        .outerjoin(TryoutBlueprint, col(TryoutBlueprint.id) == col(Task.blueprint_id))
        .where(col(Task.class_name).in_(list(class_names)))
        .group_by(col(Task.id), col(Subject.name), col(TryoutBlueprint.name))
        .order_by(col(Task.due_at).desc(), col(Task.id).desc())
    )
    return [
        TaskSummaryRow(
            task=t,
            recipients=int(n or 0),
            completed=int(d or 0),
            subject_name=name,
            blueprint_name=blueprint,
        )
        for t, n, d, name, blueprint in session.exec(query).all()
    ]


@dataclass(frozen=True, slots=True)
class StudentTaskRow:
    task: Task
    progress: TaskStudent
    subject_name: str | None
    blueprint_name: str | None = None


def list_student_tasks(*, session: Session, student_id: int) -> list[StudentTaskRow]:
    rows = session.exec(_student_tasks_query(), params={"student_id": student_id}).all()
    return [
        StudentTaskRow(task=t, progress=p, subject_name=name, blueprint_name=blueprint)
        for t, p, name, blueprint in rows
    ]


@cache
def _student_tasks_query() -> Select[*tuple[Any, ...]]:
    # Built once (_sql.py, "hot statements"): every practice answer credits open tasks.
    return (
        select_columns(Task, TaskStudent, col(Subject.name), col(TryoutBlueprint.name))
        .select_from(TaskStudent)
        .join(Task, col(Task.id) == col(TaskStudent.task_id))
        .outerjoin(Subject, col(Subject.id) == col(Task.subject_id))
        .outerjoin(TryoutBlueprint, col(TryoutBlueprint.id) == col(Task.blueprint_id))
        .where(col(TaskStudent.student_id) == sa.bindparam("student_id"))
        .order_by(col(Task.due_at), col(Task.id))
    )


def get_task_student(
    *, session: Session, task_id: int, student_id: int, lock: bool = False
) -> TaskStudent | None:
    query = select(TaskStudent).where(
        col(TaskStudent.task_id) == task_id, col(TaskStudent.student_id) == student_id
    )
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def list_task_progress(*, session: Session, task_id: int) -> list[tuple[User, TaskStudent]]:
    """Every recipient with their progress, by name."""
    query = (
        select(User, TaskStudent)
        .join(TaskStudent, col(TaskStudent.student_id) == col(User.id))
        .where(col(TaskStudent.task_id) == task_id)
        .order_by(col(User.full_name), col(User.username))
    )
    return [(u, p) for u, p in session.exec(query).all()]


def list_task_answers(
    *, session: Session, task_id: int, student_id: int | None = None
) -> list[TaskAnswer]:
    query = select(TaskAnswer).where(col(TaskAnswer.task_id) == task_id)
    if student_id is not None:
        query = query.where(col(TaskAnswer.student_id) == student_id)
    return list(session.exec(query.order_by(col(TaskAnswer.id))).all())


def add_task_answer(
    *,
    session: Session,
    task_id: int,
    student_id: int,
    is_correct: bool,
    selected_answer: str | None,
    question_id: int | None = None,
    practice_question_id: int | None = None,
) -> TaskAnswer:
    row = TaskAnswer(
        task_id=task_id,
        student_id=student_id,
        question_id=question_id,
        practice_question_id=practice_question_id,
        selected_answer=selected_answer,
        is_correct=is_correct,
    )
    session.add(row)
    session.flush()
    return row


def count_progress(*, session: Session, progress: TaskStudent, correct: bool) -> None:
    """One more answer on the recipient's counters (an atomic UPDATE, no lost increments)."""
    session.execute(
        sa.update(TaskStudent)
        .where(
            col(TaskStudent.task_id) == progress.task_id,
            col(TaskStudent.student_id) == progress.student_id,
        )
        .values(
            answered=col(TaskStudent.answered) + 1,
            correct=col(TaskStudent.correct) + (1 if correct else 0),
        )
    )
    session.refresh(progress)


def list_items_by_id(*, session: Session, question_ids: Collection[int]) -> list[Question]:
    if not question_ids:
        return []
    return list(session.exec(select(Question).where(col(Question.id).in_(list(question_ids)))))


def list_practice_items_by_id(
    *, session: Session, question_ids: Collection[int]
) -> list[PracticeQuestion]:
    if not question_ids:
        return []
    return list(
        session.exec(
            select(PracticeQuestion).where(col(PracticeQuestion.id).in_(list(question_ids)))
        )
    )


# --- "soal sulit": answer counts per item and chosen option ----------------------------


@dataclass(frozen=True, slots=True)
class OptionCount:
    item_id: int
    selected: str | None
    is_correct: bool
    count: int


def count_utbk_options(*, session: Session, user_ids: Collection[int]) -> list[OptionCount]:
    """Every live UTBK answer of these students, counted per item and chosen letter."""
    if not user_ids:
        return []
    query = (
        select_columns(
            col(Attempt.question_id),
            col(Attempt.selected_answer),
            col(Attempt.is_correct),
            sa.func.count(),
        )
        .where(col(Attempt.user_id).in_(list(user_ids)), col(Attempt.deleted_at).is_(None))
        .group_by(col(Attempt.question_id), col(Attempt.selected_answer), col(Attempt.is_correct))
    )
    return [
        OptionCount(item_id=int(q), selected=s, is_correct=bool(c), count=int(n))
        for q, s, c, n in session.exec(query).all()
    ]


def count_practice_options(*, session: Session, user_ids: Collection[int]) -> list[OptionCount]:
    """School practice answers these students gave inside tasks (only tasks keep one row
    per answer), counted per question and chosen letter (NULL: an open question)."""
    if not user_ids:
        return []
    query = (
        select_columns(
            col(TaskAnswer.practice_question_id),
            col(TaskAnswer.selected_answer),
            col(TaskAnswer.is_correct),
            sa.func.count(),
        )
        .where(
            col(TaskAnswer.student_id).in_(list(user_ids)),
            col(TaskAnswer.practice_question_id).is_not(None),
        )
        .group_by(
            col(TaskAnswer.practice_question_id),
            col(TaskAnswer.selected_answer),
            col(TaskAnswer.is_correct),
        )
    )
    return [
        OptionCount(item_id=int(q), selected=s, is_correct=bool(c), count=int(n))
        for q, s, c, n in session.exec(query).all()
    ]


# --- a tryout task: which sitting credited it, and that sitting's answers -----------------


def tryout_sitting_credits(*, given_at: datetime | None, finished_at: datetime) -> bool:
    """A sitting of the task's blueprint is the task's work when it finished at or after the
    task was given (one that ended before is not). services.task_credit credits a task with
    the first such sitting (a done task is never credited again);
    count_tryout_task_options finds that sitting again with the same rule in SQL."""
    return given_at is None or finished_at >= given_at


def count_tryout_task_options(
    *, session: Session, blueprint_id: int, given_at: datetime, student_ids: Collection[int]
) -> list[OptionCount]:
    """The answered items of each student's crediting sitting (the earliest of the blueprint
    finished at or after `given_at`, as tryout_sitting_credits), counted per question and
    chosen letter; one query for all the students. A left blank is not an answer."""
    if not student_ids:
        return []
    ranked = (
        select_columns(
            col(TryoutSitting.id).label("sitting_id"),
            sa.func.row_number()
            .over(
                partition_by=col(TryoutSitting.user_id),
                order_by=(col(TryoutSitting.finished_at), col(TryoutSitting.id)),
            )
            .label("rank"),
        )
        .where(
            col(TryoutSitting.blueprint_id) == blueprint_id,
            col(TryoutSitting.user_id).in_(list(student_ids)),
            col(TryoutSitting.finished_at).is_not(None),
            col(TryoutSitting.finished_at) >= given_at,
        )
        .subquery()
    )
    query = (
        select_columns(
            col(TryoutItem.question_id),
            col(TryoutItem.answer),
            col(Question.correct_answer),
            sa.func.count(),
        )
        .select_from(TryoutItem)
        .join(ranked, ranked.c.sitting_id == col(TryoutItem.sitting_id))
        .join(Question, col(Question.id) == col(TryoutItem.question_id))
        .where(ranked.c.rank == 1, col(TryoutItem.answer).is_not(None))
        .group_by(col(TryoutItem.question_id), col(TryoutItem.answer), col(Question.correct_answer))
    )
    return [
        OptionCount(item_id=int(q), selected=a, is_correct=a == key, count=int(n))
        for q, a, key, n in session.exec(query).all()
    ]


def blueprint_name(*, session: Session, blueprint_id: int | None) -> str | None:
    if blueprint_id is None:
        return None
    row = session.get(TryoutBlueprint, blueprint_id)
    return row.name if row else None


def subject_names(*, session: Session, subject_ids: Collection[int]) -> dict[int, str]:
    if not subject_ids:
        return {}
    rows = session.exec(select(Subject).where(col(Subject.id).in_(list(subject_ids)))).all()
    return {s.id: s.name for s in rows if s.id is not None}
