"""Work done outside a task counts for the student's open tasks it fits.

A student given "UTBK PU, 10 soal" who practises PU on /practice, "Biologi · Sel, 5 soal"
who practises that topic on /practice/subject, or a tryout who sits its blueprint on
/tryout (not from the task's button on the dashboard) has done the work: it is credited to
every unfinished task it fits, in the answer's (or the finishing sitting's) own transaction.
Late work counts as for answers given on /tugas: the task shows "Selesai" whenever it is
done. Here, on the repositories only, because services.tasks runs its tasks through the
practice and school-practice services (the imports would go both ways).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from nexus_app.models import PracticeQuestion, Question, Task, TaskStudent, TryoutSitting
from nexus_app.repositories import tasks as task_repo


def _open_tasks(
    session: Session, user_id: int, kind: str, now: datetime
) -> list[tuple[Task, TaskStudent]]:
    # A student who joined a class after its task was given gets it here too.
    task_repo.add_class_joiners(session=session, now=now, student_id=user_id)
    return [
        (row.task, row.progress)
        for row in task_repo.list_student_tasks(session=session, student_id=user_id)
        if row.task.id is not None and row.task.kind == kind and row.progress.completed_at is None
    ]


def _count(
    session: Session,
    task: Task,
    progress: TaskStudent,
    *,
    user_id: int,
    selected: str | None,
    is_correct: bool,
    now: datetime,
    question_id: int | None = None,
    practice_question_id: int | None = None,
) -> None:
    """The answer on the task once (services.tasks.work.answer checks for it the same way,
    so an answer given on /tugas is counted once)."""
    assert task.id is not None
    answers = task_repo.list_task_answers(session=session, task_id=task.id, student_id=user_id)
    if any(
        (question_id is not None and a.question_id == question_id)
        or (practice_question_id is not None and a.practice_question_id == practice_question_id)
        for a in answers
    ):
        return
    task_repo.add_task_answer(
        session=session,
        task_id=task.id,
        student_id=user_id,
        question_id=question_id,
        practice_question_id=practice_question_id,
        selected_answer=selected,
        is_correct=is_correct,
    )
    task_repo.count_progress(session=session, progress=progress, correct=is_correct)
    progress.started_at = progress.started_at or now
    if progress.answered >= task.question_count:
        progress.completed_at = now
    session.add(progress)


def credit_open_tasks(
    session: Session,
    *,
    user_id: int,
    question: Question,
    selected: str,
    is_correct: bool,
    now: datetime,
) -> None:
    """A UTBK practice answer, once for each of the student's unfinished UTBK tasks whose
    subtest (and topic, when the task names one) it belongs to."""
    if question.id is None:
        return
    for task, progress in _open_tasks(session, user_id, "utbk", now):
        if task.section != question.section:
            continue
        if task.sub_type and task.sub_type != question.sub_type:
            continue
        _count(
            session,
            task,
            progress,
            user_id=user_id,
            selected=selected,
            is_correct=is_correct,
            now=now,
            question_id=question.id,
        )


def credit_subject_tasks(
    session: Session,
    *,
    user_id: int,
    question: PracticeQuestion,
    selected: str | None,
    is_correct: bool,
    now: datetime,
) -> None:
    """A school practice answer given on /practice/subject, once for each of the student's
    unfinished tasks on the question's subject and topic. `selected`: the letter of a
    multiple-choice answer, None for an open question the student marked."""
    if question.id is None:
        return
    for task, progress in _open_tasks(session, user_id, "subject", now):
        if task.subject_id != question.subject_id or task.topic != question.topic:
            continue
        _count(
            session,
            task,
            progress,
            user_id=user_id,
            selected=selected,
            is_correct=is_correct,
            now=now,
            practice_question_id=question.id,
        )


def credit_tryout_tasks(session: Session, *, sitting: TryoutSitting) -> None:
    """A sitting that just finished completes each unfinished tryout task of its blueprint
    given before it finished, with its total score. Idempotent: a finished task is never
    credited again, so a reload or a second sitting changes nothing."""
    finished = sitting.finished_at
    if finished is None:
        return
    for task, progress in _open_tasks(session, sitting.user_id, "tryout", finished):
        if task.blueprint_id != sitting.blueprint_id:
            continue
        if not task_repo.tryout_sitting_credits(given_at=task.created_at, finished_at=finished):
            continue  # a sitting that ended before the task was given is not its work
        progress.started_at = progress.started_at or sitting.started_at
        progress.answered = 1
        progress.tryout_score = sitting.total_score
        progress.completed_at = finished
        session.add(progress)
    session.flush()
