"""The teacher's side: what can be assigned to whom, assigning it, the list of tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from nexus_app import formatting
from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.repositories import practice_questions as practice_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import tasks as task_repo
from nexus_app.repositories import tryout as tryout_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput
from nexus_app.services.topics import topic_label
from nexus_app.services.tryout.blueprints import blueprint_views

from .common import (
    KIND_LABELS,
    MAX_QUESTIONS,
    check_class,
    due_text,
    load_task_for_teacher,
    require_teacher,
    target_label,
    visible_classes,
)


@dataclass(frozen=True)
class TargetChoice:
    """What a task practises: "utbk:PU", "utbk:PU:silogisme", "subject:3:Pecahan", or a
    tryout blueprint to sit, "tryout:2"."""

    key: str
    label: str
    available: int


@dataclass(frozen=True)
class TaskOptions:
    classes: list[str]
    targets: list[TargetChoice]
    # Why nothing can be assigned yet, and what to do about it.
    notice: str = ""


@dataclass(frozen=True)
class ClassStudent:
    id: int
    username: str
    full_name: str


@dataclass(frozen=True)
class TaskRow:
    id: int
    title: str
    kind: str
    target: str
    class_name: str
    question_count: int
    due: str
    overdue: bool
    recipients: int
    completed: int


def options(*, actor: CurrentUser) -> TaskOptions:
    require_teacher(actor)
    with unit_of_work() as session:
        classes = visible_classes(session, actor)
        targets: list[TargetChoice] = []
        for s in question_repo.list_section_supply(session=session):
            if not s.servable:
                continue
            targets.append(
                TargetChoice(f"utbk:{s.code}", f"UTBK {s.code} · semua topik", s.servable)
            )
            targets += [
                TargetChoice(f"utbk:{s.code}:{t}", f"UTBK {s.code} · {topic_label(t)}", 0)
                for t in s.sub_types
            ]
        targets += [
            TargetChoice(
                f"subject:{t.subject_id}:{t.topic}",
                f"{t.subject_name} kelas {t.grade} · {t.topic} ({t.question_count} soal)",
                t.question_count,
            )
            for t in practice_repo.list_practice_topics(session=session)
        ]
        # A tryout blueprint is listed once its subtests all have enough reviewed items.
        targets += [
            TargetChoice(
                f"tryout:{b.id}",
                f"Tryout · {b.name} ({b.total_items} soal, {_minutes(b.total_minutes)} menit)",
                b.total_items,
            )
            for b in blueprint_views(session)
            if b.sections and not _tryout_shortfall(session, b.id)
        ]
    notice = ""
    if not classes:
        notice = (
            "Anda belum mengajar kelas mana pun, jadi belum ada siswa yang bisa diberi tugas. "
            "Minta admin sekolah menambahkan kelas Anda: Admin → Pengguna → Kelas yang diajar."
            if actor.role == "guru"
            else "Belum ada kelas dengan siswa aktif. Impor siswa di Admin → Pengguna."
        )
    elif not targets:
        notice = (
            "Belum ada soal yang bisa ditugaskan. Minta admin mengimpor bank soal UTBK "
            "(Admin → Bank soal) atau soal latihan mata pelajaran."
        )
    return TaskOptions(classes=classes, targets=targets, notice=notice)


def class_students(*, actor: CurrentUser, class_name: str) -> list[ClassStudent]:
    """The active students of a class the actor teaches (to pick a group from)."""
    require_teacher(actor)
    with unit_of_work() as session:
        check_class(session, actor, class_name)
        return [
            ClassStudent(id=s.id, username=s.username, full_name=s.full_name or s.username)
            for s in user_repo.list_students(session=session, class_names=[class_name])
            if s.id is not None
        ]


def parse_due(text: str, *, now: datetime | None = None) -> datetime:
    """A due time typed in WIB ("2026-12-10T14:00", or a day: its 23:59) as aware UTC."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidInput("Isi batas waktu tugas.")
    try:
        if "T" in raw or " " in raw:
            local = datetime.fromisoformat(raw.replace(" ", "T"))
        else:
            local = datetime.combine(datetime.fromisoformat(raw).date(), time(23, 59))
    except ValueError as exc:
        raise InvalidInput("Batas waktu tidak valid; pilih tanggal dan jam.") from exc
    due = local.replace(tzinfo=formatting.LOCAL_ZONE) if local.tzinfo is None else local
    if due <= (now or utcnow()):
        raise InvalidInput("Batas waktu sudah lewat; pilih waktu yang akan datang.")
    if due - (now or utcnow()) > timedelta(days=366):
        raise InvalidInput("Batas waktu paling lama satu tahun dari sekarang.")
    return due.astimezone(UTC)


def _minutes(value: float) -> str:
    """195.0 -> "195", 3.5 -> "3,5" (as the tryout page writes a blueprint's minutes)."""
    return f"{value:g}".replace(".", ",")


def _tryout_shortfall(session: Session, blueprint_id: int) -> list[str]:
    """The blueprint's subtests without enough reviewed items for a sitting ("PU (ada 3,
    perlu 20)"); empty when a student could start it now."""
    servable = {s.code: s.servable for s in question_repo.list_section_supply(session=session)}
    return [
        f"{part.section} (ada {servable.get(part.section, 0)}, perlu {part.item_count})"
        for part in tryout_repo.list_blueprint_sections(session=session, blueprint_id=blueprint_id)
        if servable.get(part.section, 0) < part.item_count
    ]


def create_task(
    *,
    actor: CurrentUser,
    class_name: str,
    target: str,
    question_count: int,
    due: str,
    student_ids: list[int] | None = None,
    title: str = "",
) -> int:
    """Give a practice set or a tryout to a whole class (no student_ids; students who join
    the class later get it too) or to some of its students (a group, or one student: fixed).
    A tryout's question_count is ignored: its blueprint says how many. Returns the id."""
    require_teacher(actor)
    class_name = (class_name or "").strip()
    if not class_name:
        raise InvalidInput("Pilih kelas yang diberi tugas.")
    kind, _, rest = (target or "").partition(":")
    if kind == "tryout":
        question_count = 1  # one sitting of the blueprint
    if not 1 <= question_count <= MAX_QUESTIONS:
        raise InvalidInput(f"Jumlah soal harus 1 sampai {MAX_QUESTIONS}.")
    due_at = parse_due(due)
    if kind not in ("utbk", "subject", "tryout") or not rest:
        raise InvalidInput("Pilih subtes UTBK, topik mata pelajaran, atau tryout.")
    with unit_of_work() as session:
        check_class(session, actor, class_name)
        students = user_repo.list_students(session=session, class_names=[class_name])
        members = {s.id for s in students if s.id is not None}
        if not members:
            raise InvalidInput(f"Kelas {class_name} belum memiliki siswa aktif.")
        chosen = set(student_ids or []) or members
        if not chosen <= members:
            raise InvalidInput(f"Siswa yang dipilih harus siswa aktif kelas {class_name}.")
        fields: dict[str, object] = {}
        if kind == "utbk":
            section, _, sub_type = rest.partition(":")
            supply = {s.code: s for s in question_repo.list_section_supply(session=session)}
            if section not in supply or not supply[section].servable:
                raise InvalidInput("Subtes UTBK ini belum memiliki soal yang sudah ditinjau.")
            if sub_type and sub_type not in supply[section].sub_types:
                raise InvalidInput(f"Topik '{sub_type}' tidak ada di subtes {section}.")
            if question_count > supply[section].servable:
                raise InvalidInput(
                    f"Subtes {section} baru memiliki {supply[section].servable} soal siap pakai."
                )
            fields = {"section": section, "sub_type": sub_type or None}
            name = f"UTBK {section}" + (f" · {topic_label(sub_type)}" if sub_type else "")
        elif kind == "tryout":
            blueprint = (
                tryout_repo.get_blueprint(session=session, blueprint_id=int(rest))
                if rest.isdigit()
                else None
            )
            if blueprint is None or blueprint.id is None:
                raise InvalidInput("Cetak biru tryout tidak ditemukan.")
            if not tryout_repo.list_blueprint_sections(session=session, blueprint_id=blueprint.id):
                raise InvalidInput("Cetak biru ini belum berisi subtes.")
            short = _tryout_shortfall(session, blueprint.id)
            if short:
                raise InvalidInput(
                    "Soal yang sudah ditinjau belum cukup untuk tryout ini: "
                    + ", ".join(short)
                    + "."
                )
            fields = {"blueprint_id": blueprint.id}
            name = f"Tryout {blueprint.name}"
        else:
            raw_id, _, topic = rest.partition(":")
            subject = (
                curriculum_repo.get_subject(session=session, subject_id=int(raw_id))
                if raw_id.isdigit()
                else None
            )
            if subject is None or subject.id is None:
                raise InvalidInput("Mata pelajaran tidak ditemukan.")
            available = len(
                practice_repo.list_practice_questions_in_order(
                    session=session, subject_id=subject.id, topic=topic
                )
            )
            if available == 0:
                raise InvalidInput("Topik ini belum memiliki soal latihan.")
            if question_count > available:
                raise InvalidInput(
                    f"Topik {topic} baru memiliki {available} soal latihan; kurangi jumlah soal."
                )
            fields = {"subject_id": subject.id, "topic": topic}
            name = f"{subject.name} · {topic}"
        task = task_repo.create_task(
            session=session,
            created_by=actor.id,
            title=(title or "").strip()[:200]
            or (name if kind == "tryout" else f"{name} ({question_count} soal)"),
            kind=kind,
            question_count=question_count,
            class_name=class_name,
            due_at=due_at,
            whole_class=not student_ids,
            **fields,  # type: ignore[arg-type]
        )
        assert task.id is not None
        task_repo.add_task_students(session=session, task_id=task.id, student_ids=chosen)
        return task.id


def list_tasks(*, actor: CurrentUser, class_name: str | None = None) -> list[TaskRow]:
    """The tasks of the actor's classes (or one of them), newest due first."""
    require_teacher(actor)
    now = utcnow()
    with unit_of_work() as session:
        classes = visible_classes(session, actor)
        if class_name:
            check_class(session, actor, class_name)
            classes = [class_name]
        task_repo.add_class_joiners(session=session, now=now, class_names=classes)
        rows = task_repo.list_tasks(session=session, class_names=classes)
    return [
        TaskRow(
            id=r.task.id or 0,
            title=r.task.title,
            kind=KIND_LABELS.get(r.task.kind, r.task.kind),
            target=target_label(r.task, r.subject_name, r.blueprint_name),
            class_name=r.task.class_name,
            question_count=r.task.question_count,
            due=due_text(r.task),
            overdue=now > r.task.due_at,
            recipients=r.recipients,
            completed=r.completed,
        )
        for r in rows
    ]


def delete_task(*, actor: CurrentUser, task_id: int) -> None:
    """Withdraw a task (its answers go with it; the practice itself stays in mastery)."""
    with unit_of_work() as session:
        task = load_task_for_teacher(session, actor, task_id)
        task_repo.delete_task(session=session, task=task)
