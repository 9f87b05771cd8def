"""The teacher's class view: mastery heatmap, drill-down, summaries and CSV reports.

A teacher sees only the classes assigned to them (class_assignments); an admin sees all.
Every function checks that on its own, so no page can skip it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session

from nexus_app import formatting
from nexus_app.db import unit_of_work
from nexus_app.engine import mastery as mastery_engine
from nexus_app.engine.irt import item_params
from nexus_app.models import TopicMastery, User, utcnow
from nexus_app.repositories import analytics as analytics_repo
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import teacher as teacher_repo
from nexus_app.repositories import users as user_repo
from nexus_app.repositories import weak_areas as weak_repo
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied

ALL_CLASSES = "Semua kelas"


def slug(text: str) -> str:
    """Stable, id-safe form of a topic name (used in heatmap cell ids)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "umum"


@dataclass(frozen=True)
class ViewChoice:
    key: str  # "section:PU" or "subject:MAT_10"
    label: str


@dataclass(frozen=True)
class TeacherOptions:
    classes: list[str]
    views: list[ViewChoice]
    # Set when a guru has nothing to see: why, and what to ask the admin for.
    notice: str = ""


@dataclass(frozen=True)
class Cell:
    topic: str
    topic_slug: str
    mastery: float | None
    answers: int


@dataclass(frozen=True)
class StudentRow:
    username: str
    full_name: str
    class_name: str
    cells: list[Cell]


@dataclass(frozen=True)
class TopicSummary:
    topic: str
    students: int
    avg: float
    low: float
    high: float


@dataclass(frozen=True)
class InterventionItem:
    username: str
    full_name: str
    area: str
    weak_areas: int


@dataclass(frozen=True)
class WeeklyItem:
    username: str
    full_name: str
    class_name: str
    answers: int
    accuracy: float | None
    sessions: int
    tutor_questions: int


@dataclass
class ClassOverview:
    view: ViewChoice
    topics: list[str]
    rows: list[StudentRow] = field(default_factory=list)
    summary: list[TopicSummary] = field(default_factory=list)
    intervention: list[InterventionItem] = field(default_factory=list)
    weekly: list[WeeklyItem] = field(default_factory=list)


@dataclass(frozen=True)
class DrillAttempt:
    when: str
    text: str
    selected: str
    correct_answer: str
    is_correct: bool
    seconds: int
    mastery_after: float


NO_ATTEMPTS = "Belum ada jawaban latihan pada topik ini."


@dataclass(frozen=True)
class Drilldown:
    username: str
    full_name: str
    topic: str
    mastery: float | None
    attempts: list[DrillAttempt]
    tutor_questions: list[tuple[str, str]]
    weak_history: list[tuple[str, str, str]]
    # Shown instead of the answer list when it is empty: a school subject's practice is
    # counted in topic_mastery, not stored answer by answer, so "no answers" would be false.
    attempts_note: str = NO_ATTEMPTS


def _require_teacher(actor: CurrentUser) -> None:
    if actor.role not in ("guru", "admin"):
        raise PermissionDenied("Halaman kelas hanya untuk guru dan admin.")


def _visible_classes(session: object, actor: CurrentUser) -> list[str]:
    if actor.role == "admin":
        return user_repo.list_student_classes(session=session)  # type: ignore[arg-type]
    return user_repo.list_teacher_classes(session=session, teacher_id=actor.id)  # type: ignore[arg-type]


def _chosen_classes(visible: list[str], class_name: str | None) -> list[str]:
    if not class_name or class_name == ALL_CLASSES:
        return visible
    if class_name not in visible:
        raise PermissionDenied("Anda tidak mengajar kelas ini, jadi datanya tidak ditampilkan.")
    return [class_name]


def options(*, actor: CurrentUser) -> TeacherOptions:
    _require_teacher(actor)
    with unit_of_work() as session:
        classes = _visible_classes(session, actor)
        views = [
            ViewChoice(f"section:{s.code}", f"UTBK {s.code} · {s.name}")
            for s in question_repo.list_section_supply(session=session)
            if s.servable
        ]
        views += [
            ViewChoice(f"subject:{s.code}", f"Kelas {s.grade} · {s.name} ({s.code})")
            for s in curriculum_repo.list_all_subjects(session=session)
        ]
        notice = _empty_notice(session, actor, classes, has_views=bool(views))
    return TeacherOptions(classes=classes, views=views, notice=notice)


def _empty_notice(session: Session, actor: CurrentUser, classes: list[str], has_views: bool) -> str:
    """A new school's guru opens /teacher before anyone assigned them a class: say so,
    instead of an empty grid."""
    if actor.role != "guru":
        if not has_views:
            return _NOTHING_TO_MAP
        return ""
    if not classes:
        return (
            "Anda belum ditugaskan ke kelas mana pun, jadi belum ada siswa yang bisa "
            "ditampilkan di sini. Minta admin sekolah menambahkan kelas yang Anda ajar: "
            f"Admin → Pengguna → Kelola pada akun {actor.username} → Kelas yang diajar."
        )
    if not user_repo.list_students(session=session, class_names=classes):
        return (
            f"Kelas yang Anda ajar ({', '.join(classes)}) belum memiliki siswa aktif. Minta "
            "admin sekolah memeriksa penulisan nama kelas atau mengimpor siswanya."
        )
    if not has_views:
        return _NOTHING_TO_MAP
    return ""


_NOTHING_TO_MAP = (
    "Belum ada bank soal UTBK yang siap dipakai atau mata pelajaran sekolah, jadi belum ada "
    "yang bisa dipetakan. Minta admin mengimpor bank soal (Admin → Bank soal) atau menambah "
    "mata pelajaran (Admin → Mata pelajaran)."
)


def _parse_view(session: object, key: str) -> tuple[ViewChoice, str | None, int | None]:
    kind, _, code = (key or "").partition(":")
    if kind == "section":
        spec = question_repo.get_section(session=session, code=code)  # type: ignore[arg-type]
        if spec is not None:
            return ViewChoice(key, f"UTBK {spec.code} · {spec.name}"), spec.code, None
    if kind == "subject":
        subject = curriculum_repo.get_subject_by_code(session=session, code=code)  # type: ignore[arg-type]
        if subject is not None and subject.id is not None:
            return ViewChoice(key, f"{subject.name} kelas {subject.grade}"), None, subject.id
    raise InvalidInput("Pilih subtes UTBK atau mata pelajaran yang tersedia.")


def class_overview(
    *, actor: CurrentUser, view_key: str, class_name: str | None = None, grade: int | None = None
) -> ClassOverview:
    _require_teacher(actor)
    with unit_of_work() as session:
        view, section, subject_id = _parse_view(session, view_key)
        classes = _chosen_classes(_visible_classes(session, actor), class_name)
        students = user_repo.list_students(session=session, class_names=classes, grade=grade)
        ids = [s.id for s in students if s.id is not None]
        grid = teacher_repo.list_mastery_grid(
            session=session, user_ids=ids, section=section, subject_id=subject_id
        )
        if section is not None:
            supply = {s.code: s for s in question_repo.list_section_supply(session=session)}
            topics = list(supply[section].sub_types) if section in supply else []
        else:
            topics = []
        topics += sorted({m.topic for m in grid} - set(topics))
        # Keyed like the lookups below: a student row's id is typed optional by the model.
        by_cell: dict[tuple[int | None, str], TopicMastery] = {
            (m.user_id, m.topic): m for m in grid
        }
        rows = [
            StudentRow(
                username=s.username,
                full_name=s.full_name or s.username,
                class_name=s.class_name or "",
                cells=[
                    Cell(
                        topic=t,
                        topic_slug=slug(t),
                        mastery=cell.mastery_level if cell else None,
                        answers=cell.question_count if cell else 0,
                    )
                    for t in topics
                    for cell in [by_cell.get((s.id, t))]
                ],
            )
            for s in students
        ]
        overview = ClassOverview(view=view, topics=topics, rows=rows)
        overview.summary = _summary(rows, topics)
        overview.intervention = _intervention(session, students, classes)
        overview.weekly = _weekly(session, students, classes)
        return overview


def _summary(rows: list[StudentRow], topics: list[str]) -> list[TopicSummary]:
    """The seed's class mastery summary, weakest topic first (every topic, not only < 0.5,
    so the teacher also sees what went well; the page highlights those below 0.5)."""
    out: list[TopicSummary] = []
    for i, topic in enumerate(topics):
        values = [m for r in rows if (m := r.cells[i].mastery) is not None]
        if values:
            out.append(
                TopicSummary(
                    topic, len(values), sum(values) / len(values), min(values), max(values)
                )
            )
    return sorted(out, key=lambda t: t.avg)


def _intervention(
    session: object, students: list[User], classes: list[str]
) -> list[InterventionItem]:
    visible = {s.id for s in students}
    items: list[InterventionItem] = []
    for class_name in classes:
        for row in weak_repo.list_students_needing_intervention(
            session=session,  # type: ignore[arg-type]
            class_name=class_name,
        ):
            if row.user_id in visible:
                items.append(
                    InterventionItem(
                        username=row.username,
                        full_name=row.full_name or row.username,
                        area=row.subject_name or f"UTBK {row.section}",
                        weak_areas=row.weak_area_count,
                    )
                )
    return sorted(items, key=lambda i: (-i.weak_areas, i.username))


def _weekly(session: object, students: list[User], classes: list[str]) -> list[WeeklyItem]:
    since = utcnow() - timedelta(days=7)
    ids = [s.id for s in students if s.id is not None]
    practice = teacher_repo.practice_activity(session=session, user_ids=ids, since=since)  # type: ignore[arg-type]
    chat = {
        r.username: r.total_questions
        for r in analytics_repo.weekly_student_activity(
            session=session,  # type: ignore[arg-type]
            class_names=classes,
        )
    }
    items = []
    for s in students:
        p = practice.get(s.id or 0)
        items.append(
            WeeklyItem(
                username=s.username,
                full_name=s.full_name or s.username,
                class_name=s.class_name or "",
                answers=p.answers if p else 0,
                accuracy=(p.correct / p.answers) if p and p.answers else None,
                sessions=p.sessions if p else 0,
                tutor_questions=chat.get(s.username, 0),
            )
        )
    return sorted(items, key=lambda i: (-i.answers, i.username))


def _replayed(attempts: list[teacher_repo.TopicAttempt]) -> list[DrillAttempt]:
    """The topic's answers, oldest first, each with the mastery it left behind."""
    state = None
    drill: list[DrillAttempt] = []
    for a in attempts:
        disc, diff, guess = item_params(a.a, a.b, a.c)
        state = mastery_engine.update_mastery(
            state,
            a.is_correct,
            diff,
            disc,
            guess,
            a.answered_at,
            # As the practice service did: a new topic starts at the section ability.
            prior_theta=a.theta_before,
        )
        drill.append(
            DrillAttempt(
                when=formatting.format_datetime(a.answered_at),
                text=a.text if len(a.text) <= 90 else a.text[:87] + "…",
                selected=a.selected,
                correct_answer=a.correct_answer,
                is_correct=a.is_correct,
                seconds=a.time_spent_seconds,
                mastery_after=state.mastery_level,
            )
        )
    return drill


def drilldown(*, actor: CurrentUser, username: str, view_key: str, topic: str) -> Drilldown:
    _require_teacher(actor)
    with unit_of_work() as session:
        view, section, subject_id = _parse_view(session, view_key)
        student = user_repo.get_user_by_username(session=session, username=username)
        if student is None or student.role != "siswa" or student.id is None:
            raise NotFound("Siswa tidak ditemukan.")
        if student.class_name not in _visible_classes(session, actor):
            raise PermissionDenied("Anda tidak mengajar kelas siswa ini.")
        attempts = (
            teacher_repo.list_topic_attempts(
                session=session, user_id=student.id, section=section, topic=topic
            )
            if section is not None
            else []
        )
        drill = _replayed(attempts)
        grid = teacher_repo.list_mastery_grid(
            session=session, user_ids=[student.id], section=section, subject_id=subject_id
        )
        row = next((m for m in grid if m.topic == topic), None)
        current = row.mastery_level if row is not None else None
        note = NO_ATTEMPTS
        if not attempts and row is not None and row.question_count:
            note = (
                f"{row.question_count} soal latihan topik ini sudah dijawab, "
                f"{row.correct_count} benar. Latihan mata pelajaran dicatat sebagai jumlah, "
                "tanpa rincian per soal."
            )
        chat = teacher_repo.list_topic_chat(
            session=session, user_id=student.id, topic=topic, subject_id=subject_id
        )
        weak = teacher_repo.list_weak_area_history(
            session=session,
            user_id=student.id,
            topic=topic,
            section=section,
            subject_id=subject_id,
        )
        return Drilldown(
            username=student.username,
            full_name=student.full_name or student.username,
            topic=f"{topic} ({view.label})",
            mastery=current,
            attempts=list(reversed(drill)),
            tutor_questions=[(formatting.format_date(c.created_at), c.question) for c in chat],
            weak_history=[
                (
                    formatting.format_date(w.detected_at),
                    f"{w.weakness_score or 0:.2f}",
                    "terbuka"
                    if w.resolved_at is None
                    else f"selesai {formatting.format_date(w.resolved_at)}",
                )
                for w in weak
            ],
            attempts_note=note,
        )


# OWASP's CSV-injection list: a tab or carriage return in front also reaches the formula
# parser of some spreadsheets ("\t=cmd|..." is run after the cell is trimmed).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> object:
    """Spreadsheets run text cells that start with = + - @ (or a tab or carriage return)
    as formulas (a student named "=HYPERLINK(...)"): keep such text as text. Numbers pass
    unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return f"'{value}"
    return value


def to_csv(header: list[str], rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([spreadsheet_text(v) for v in row] for row in rows)
    return buffer.getvalue()


def summary_csv(overview: ClassOverview) -> str:
    return to_csv(
        ["topik", "jumlah_siswa", "rata_rata_penguasaan", "terendah", "tertinggi"],
        [
            [
                t.topic,
                t.students,
                formatting.format_decimal(t.avg, 3),
                formatting.format_decimal(t.low, 3),
                formatting.format_decimal(t.high, 3),
            ]
            for t in overview.summary
        ],
    )


def intervention_csv(overview: ClassOverview) -> str:
    return to_csv(
        ["username", "nama", "bidang", "jumlah_area_lemah"],
        [[i.username, i.full_name, i.area, i.weak_areas] for i in overview.intervention],
    )


def weekly_csv(overview: ClassOverview) -> str:
    return to_csv(
        ["username", "nama", "kelas", "jawaban_latihan", "akurasi", "sesi", "pertanyaan_tutor"],
        [
            [
                w.username,
                w.full_name,
                w.class_name,
                w.answers,
                formatting.format_decimal(w.accuracy, 3, empty=formatting.CSV_EMPTY),
                w.sessions,
                w.tutor_questions,
            ]
            for w in overview.weekly
        ],
    )
