"""A UTBK practice answer counts for the student's open UTBK tasks on the same subtest.

A student given "UTBK PU, 10 soal" who practises PU on /practice (not from the task's
button on the dashboard) has done the work: the answer is credited to every open task it
fits, in the practice answer's own transaction. Here rather than in services.tasks, which
runs its UTBK tasks through this package (the import would go both ways).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from nexus_app.models import Question
from nexus_app.repositories import tasks as task_repo


def credit_open_tasks(
    session: Session,
    *,
    user_id: int,
    question: Question,
    selected: str,
    is_correct: bool,
    now: datetime,
) -> None:
    """Count the answer once for each of the student's unfinished UTBK tasks whose subtest
    (and topic, when the task names one) it belongs to. services.tasks.work.answer checks
    for the answer before counting it, so an answer given on /tugas is counted once."""
    if question.id is None:
        return
    for row in task_repo.list_student_tasks(session=session, student_id=user_id):
        task, progress = row.task, row.progress
        if task.id is None or task.kind != "utbk" or progress.completed_at is not None:
            continue
        if task.section != question.section:
            continue
        if task.sub_type and task.sub_type != question.sub_type:
            continue
        answers = task_repo.list_task_answers(session=session, task_id=task.id, student_id=user_id)
        if any(a.question_id == question.id for a in answers):
            continue
        task_repo.add_task_answer(
            session=session,
            task_id=task.id,
            student_id=user_id,
            question_id=question.id,
            selected_answer=selected,
            is_correct=is_correct,
        )
        task_repo.count_progress(session=session, progress=progress, correct=is_correct)
        progress.started_at = progress.started_at or now
        if progress.answered >= task.question_count:
            progress.completed_at = now
        session.add(progress)
