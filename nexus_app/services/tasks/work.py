"""The student's side: my tasks (due, done, overdue) and doing one.

Doing a task runs the existing practice flows, scoped to the task: a UTBK task is one
adaptive practice session on the task's subtest (and topic) through services.practice; a
school-subject task walks the topic's practice questions through services.school_practice.
Every answer also lands in task_answers; the task is complete once N are answered. A tryout
task is one sitting of its blueprint on /tryout (services.tryout credits it when a sitting
finishes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.models import Task, TaskStudent, utcnow
from nexus_app.repositories import practice_questions as practice_repo
from nexus_app.repositories import study_sessions as study_repo
from nexus_app.repositories import tasks as task_repo
from nexus_app.services import practice, school_practice
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound

from .common import (
    KIND_LABELS,
    STATUS_DONE,
    due_text,
    require_student,
    status_of,
    target_label,
)

LETTERS = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class StudentTask:
    id: int
    title: str
    kind: str
    target: str
    due: str
    status: str
    answered: int
    total: int
    link: str
    # A tryout task: no items to count, the sitting's total score once done ("" before).
    is_tryout: bool = False
    score: str = ""


@dataclass(frozen=True)
class TaskItem:
    """The item on screen: never its key."""

    item_id: int
    text: str
    options: tuple[tuple[str, str], ...]
    # A UTBK item's place in its practice session (the practice service checks it).
    session_id: str = ""
    session_position: int = 0

    @property
    def is_multiple_choice(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True)
class TaskStep:
    task_id: int
    title: str
    kind: str
    target: str
    due: str
    total: int
    answered: int
    correct: int
    done: bool
    item: TaskItem | None


@dataclass(frozen=True)
class TaskOutcome:
    correct: bool
    correct_answer: str
    explanation: str
    answered: int
    total: int
    done: bool


def task_link(task_id: int, kind: str = "") -> str:
    """Where the task is done: /tugas, or /tryout for a tryout (its page starts it)."""
    if kind == "tryout":
        return f"/tryout?tugas={task_id}"
    return f"/tugas?id={task_id}"


def tryout_score_text(score: float | None) -> str:
    return str(round(score)) if score is not None else ""


def my_tasks(*, actor: CurrentUser) -> list[StudentTask]:
    """The student's tasks: open ones by due date first, then the finished ones."""
    require_student(actor)
    now = utcnow()
    with unit_of_work() as session:
        task_repo.add_class_joiners(session=session, now=now, student_id=actor.id)
        rows = task_repo.list_student_tasks(session=session, student_id=actor.id)
    tasks = [
        StudentTask(
            id=r.task.id or 0,
            title=r.task.title,
            kind=KIND_LABELS.get(r.task.kind, r.task.kind),
            target=target_label(r.task, r.subject_name, r.blueprint_name),
            due=due_text(r.task),
            status=status_of(r.task, r.progress, now),
            answered=min(r.progress.answered, r.task.question_count),
            total=r.task.question_count,
            link=task_link(r.task.id or 0, r.task.kind),
            is_tryout=r.task.kind == "tryout",
            score=tryout_score_text(r.progress.tryout_score),
        )
        for r in rows
    ]
    return sorted(tasks, key=lambda t: t.status == STATUS_DONE)


def _recipient(session: Session, actor: CurrentUser, task_id: int) -> tuple[Task, TaskStudent]:
    require_student(actor)
    task = task_repo.get_task(session=session, task_id=task_id)
    if task is None:
        raise NotFound("Tugas tidak ditemukan.")
    progress = task_repo.get_task_student(session=session, task_id=task_id, student_id=actor.id)
    if progress is None and task_repo.add_class_joiners(
        session=session, now=utcnow(), student_id=actor.id, task_id=task_id
    ):
        # Joined the class after the task was given, and came straight to it.
        progress = task_repo.get_task_student(session=session, task_id=task_id, student_id=actor.id)
    if progress is None:
        raise NotFound("Tugas tidak ditemukan.")
    return task, progress


def _load(session: Session, actor: CurrentUser, task_id: int) -> tuple[Task, TaskStudent]:
    task, progress = _recipient(session, actor, task_id)
    if task.kind == "tryout":
        raise InvalidInput("Tugas ini adalah tryout: buka dari kartu Tugas di dasbor.")
    return task, progress


def tryout_task_blueprint(*, actor: CurrentUser, task_id: int) -> int | None:
    """The blueprint a tryout task asks the student to sit, for /tryout?tugas=N to start;
    None once the task is done (a reload of that link must not start another sitting)."""
    with unit_of_work() as session:
        task, progress = _recipient(session, actor, task_id)
        if task.kind != "tryout" or task.blueprint_id is None:
            raise NotFound("Tugas tryout tidak ditemukan.")
        if progress.completed_at is not None:
            return None
        return task.blueprint_id


def _step(
    task: Task, progress: TaskStudent, subject: str | None, item: TaskItem | None
) -> TaskStep:
    return TaskStep(
        task_id=task.id or 0,
        title=task.title,
        kind=KIND_LABELS.get(task.kind, task.kind),
        target=target_label(task, subject),
        due=due_text(task),
        total=task.question_count,
        answered=min(progress.answered, task.question_count),
        correct=progress.correct,
        done=progress.completed_at is not None,
        item=item,
    )


def _subject_name(session: Session, task: Task) -> str | None:
    if task.subject_id is None:
        return None
    return task_repo.subject_names(session=session, subject_ids=[task.subject_id]).get(
        task.subject_id
    )


def open_task(*, actor: CurrentUser, task_id: int) -> TaskStep:
    """Where the student is in the task: the item to answer next, or done. A UTBK task
    starts (or picks up) its practice session here."""
    with unit_of_work() as session:
        task, progress = _load(session, actor, task_id)
        subject = _subject_name(session, task)
        if progress.completed_at is not None:
            return _step(task, progress, subject, None)
        if task.kind == "subject":
            return _step(task, progress, subject, _next_subject_item(session, task, progress))
        session_id = progress.study_session_id
        if session_id:
            row = study_repo.get_study_session(
                session=session, session_id=session_id, user_id=actor.id
            )
            if row is None or row.ended_at is not None:
                session_id = None
    view = None
    if session_id:
        try:
            view = practice.current_question(actor=actor, session_id=session_id)
        except InvalidInput:
            view = None  # the session went idle past its limit: a new one goes on
    if view is None:
        assert task.section is not None
        view = practice.start_session(actor=actor, section=task.section, sub_type=task.sub_type)
        with unit_of_work() as session:
            task, progress = _load(session, actor, task_id)
            progress.study_session_id = view.session_id
            progress.started_at = progress.started_at or utcnow()
            session.add(progress)
    item = TaskItem(
        item_id=view.question_id,
        text=view.text,
        options=view.options,
        session_id=view.session_id,
        session_position=view.position,
    )
    return _step(task, progress, subject, item)


def _next_subject_item(session: Session, task: Task, progress: TaskStudent) -> TaskItem | None:
    assert task.subject_id is not None and task.topic is not None
    answered = {
        a.practice_question_id
        for a in task_repo.list_task_answers(
            session=session, task_id=progress.task_id, student_id=progress.student_id
        )
    }
    for q in practice_repo.list_practice_questions_in_order(
        session=session, subject_id=task.subject_id, topic=task.topic
    ):
        if q.id is not None and q.id not in answered:
            options = json.loads(q.options_json) if q.options_json else []
            return TaskItem(
                item_id=q.id,
                text=q.question,
                options=tuple((LETTERS[i], str(o)) for i, o in enumerate(options)),
            )
    return None


def _count(session: Session, task: Task, progress: TaskStudent, correct: bool) -> bool:
    """The answer on the recipient's counters; True when that completed the task."""
    task_repo.count_progress(session=session, progress=progress, correct=correct)
    progress.started_at = progress.started_at or utcnow()
    if progress.completed_at is None and progress.answered >= task.question_count:
        progress.completed_at = utcnow()
    session.add(progress)
    return progress.completed_at is not None


def answer(
    *,
    actor: CurrentUser,
    task_id: int,
    item_id: int,
    selected: str | None = None,
    marked_correct: bool | None = None,
    session_id: str = "",
    position: int = 0,
) -> TaskOutcome:
    """Answer the task's current item. A UTBK answer goes through the practice service
    (its own idempotent transaction), then is counted for the task once; a school answer
    is scored and counted in one transaction."""
    with unit_of_work() as session:
        task, progress = _load(session, actor, task_id)
        if progress.completed_at is not None:
            raise InvalidInput("Tugas ini sudah selesai.")
        if task.kind == "subject":
            return _answer_subject(
                session, actor, task, progress, item_id, selected, marked_correct
            )
        if not session_id or session_id != progress.study_session_id:
            raise InvalidInput("Soal ini bukan bagian dari tugas ini. Muat ulang halaman.")
    result = practice.submit_answer(
        actor=actor,
        session_id=session_id,
        question_id=item_id,
        position=position,
        answer=selected or "",
    )
    try:
        with unit_of_work() as session:
            task, progress = _load(session, actor, task_id)
            done = progress.completed_at is not None
            if not done and not _already(session, task_id, actor.id, item_id):
                task_repo.add_task_answer(
                    session=session,
                    task_id=task_id,
                    student_id=actor.id,
                    question_id=item_id,
                    selected_answer=result.selected,
                    is_correct=result.is_correct,
                )
                done = _count(session, task, progress, result.is_correct)
            answered = progress.answered
    except IntegrityError:
        # A double submit counted it already.
        with unit_of_work() as session:
            task, progress = _load(session, actor, task_id)
            done, answered = progress.completed_at is not None, progress.answered
    if done:
        practice.end_session(actor=actor, session_id=session_id)
    return TaskOutcome(
        correct=result.is_correct,
        correct_answer=result.correct_answer,
        explanation=result.explanation,
        answered=min(answered, task.question_count),
        total=task.question_count,
        done=done,
    )


def _already(session: Session, task_id: int, student_id: int, question_id: int) -> bool:
    return any(
        a.question_id == question_id
        for a in task_repo.list_task_answers(
            session=session, task_id=task_id, student_id=student_id
        )
    )


def _answer_subject(
    session: Session,
    actor: CurrentUser,
    task: Task,
    progress: TaskStudent,
    item_id: int,
    selected: str | None,
    marked_correct: bool | None,
) -> TaskOutcome:
    q = practice_repo.get_practice_question(session=session, question_id=item_id)
    if q is None or q.subject_id != task.subject_id or q.topic != task.topic:
        raise InvalidInput("Soal ini bukan bagian dari tugas ini. Muat ulang halaman.")
    answered = {
        a.practice_question_id
        for a in task_repo.list_task_answers(
            session=session, task_id=progress.task_id, student_id=actor.id
        )
    }
    if item_id in answered:
        raise InvalidInput("Soal ini sudah kamu jawab di tugas ini.")
    outcome = school_practice.score_answer(
        session, actor=actor, question_id=item_id, selected=selected, marked_correct=marked_correct
    )
    letter = (selected or "").strip().upper() if q.options_json else None
    task_repo.add_task_answer(
        session=session,
        task_id=progress.task_id,
        student_id=actor.id,
        practice_question_id=item_id,
        selected_answer=letter or None,
        is_correct=outcome.correct,
    )
    done = _count(session, task, progress, outcome.correct)
    return TaskOutcome(
        correct=outcome.correct,
        correct_answer=outcome.correct_answer,
        explanation="",
        answered=min(progress.answered, task.question_count),
        total=task.question_count,
        done=done,
    )


def model_answer(*, actor: CurrentUser, task_id: int, item_id: int) -> str:
    """An open question's model answer, for a question of this task only."""
    with unit_of_work() as session:
        task, _ = _load(session, actor, task_id)
        q = practice_repo.get_practice_question(session=session, question_id=item_id)
        if q is None or q.subject_id != task.subject_id or q.topic != task.topic:
            raise NotFound("Soal tidak ditemukan.")
    return school_practice.model_answer(actor=actor, question_id=item_id)
