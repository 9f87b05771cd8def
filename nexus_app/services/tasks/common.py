"""What the task modules share: the role checks, the target keys, status words."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from nexus_app import formatting
from nexus_app.models import Task, TaskStudent
from nexus_app.repositories import tasks as task_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import NotFound, PermissionDenied
from nexus_app.services.topics import topic_label

KIND_LABELS = {"utbk": "Latihan UTBK", "subject": "Latihan mata pelajaran", "tryout": "Tryout"}
STATUS_DONE, STATUS_OPEN, STATUS_LATE = "Selesai", "Belum selesai", "Terlambat"
MAX_QUESTIONS = 50


def require_teacher(actor: CurrentUser) -> None:
    if actor.role not in ("guru", "admin"):
        raise PermissionDenied("Hanya guru dan admin yang dapat memberi dan melihat tugas.")


def require_student(actor: CurrentUser) -> None:
    if actor.role != "siswa":
        raise PermissionDenied("Tugas dikerjakan dengan akun siswa.")


def visible_classes(session: Session, actor: CurrentUser) -> list[str]:
    """The classes a guru teaches (class_assignments); an admin sees every class."""
    if actor.role == "admin":
        return user_repo.list_student_classes(session=session)
    return user_repo.list_teacher_classes(session=session, teacher_id=actor.id)


def check_class(session: Session, actor: CurrentUser, class_name: str) -> None:
    if actor.role == "admin":
        return
    if class_name not in visible_classes(session, actor):
        raise PermissionDenied(
            f"Anda tidak mengajar kelas {class_name}, jadi tidak dapat memberi atau melihat "
            "tugasnya."
        )


def load_task_for_teacher(session: Session, actor: CurrentUser, task_id: int) -> Task:
    require_teacher(actor)
    task = task_repo.get_task(session=session, task_id=task_id)
    if task is None:
        raise NotFound("Tugas tidak ditemukan.")
    check_class(session, actor, task.class_name)
    return task


def target_label(task: Task, subject_name: str | None, blueprint_name: str | None = None) -> str:
    """ "UTBK PU · Silogisme", "Biologi · Sel Hewan" or "Tryout · SNBT (bawaan)"."""
    if task.kind == "utbk":
        topic = topic_label(task.sub_type) or "semua topik"
        return f"UTBK {task.section} · {topic}"
    if task.kind == "subject":
        return f"{subject_name or 'Mata pelajaran'} · {task.topic}"
    if task.kind == "tryout":
        return f"Tryout · {blueprint_name or 'cetak biru dihapus'}"
    return KIND_LABELS.get(task.kind, task.kind)


def status_of(task: Task, progress: TaskStudent, now: datetime) -> str:
    if progress.completed_at is not None:
        return STATUS_DONE
    return STATUS_LATE if now > task.due_at else STATUS_OPEN


def due_text(task: Task) -> str:
    return formatting.format_datetime(task.due_at)
