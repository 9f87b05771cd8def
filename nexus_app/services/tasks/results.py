"""The teacher's results: completion and scores per student and per item, the CSV exports
(the same rows and columns as the page), and the "soal sulit" report with distractors."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from nexus_app import formatting
from nexus_app.db import unit_of_work
from nexus_app.models import Task, TaskStudent, utcnow
from nexus_app.repositories import tasks as task_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser
from nexus_app.services.topics import topic_label

from .common import (
    check_class,
    due_text,
    load_task_for_teacher,
    require_teacher,
    status_of,
    target_label,
    visible_classes,
)

STUDENT_COLUMNS = ("Siswa", "Nama", "Status", "Dijawab", "Benar", "Skor", "Selesai pada")
ITEM_COLUMNS = ("No", "Soal", "Kunci", "Dijawab", "Benar", "Persentase benar", "Pilihan salah")
HARD_COLUMNS = ("Bidang", "Soal", "Kunci", "Dijawab", "Persentase benar", "Pilihan salah")
# An item needs this many answers before its correct rate says anything about the class.
HARD_MIN_ANSWERS = 3
HARD_LIMIT = 15
_TEXT_CHARS = 120


@dataclass(frozen=True)
class StudentResult:
    username: str
    full_name: str
    status: str
    answered: int
    correct: int
    score: str
    completed: str
    # A tryout task: nothing answered item by item here; the score is the sitting's total.
    tryout: bool = False

    def cells(self) -> tuple[str, ...]:
        return (
            self.username,
            self.full_name,
            self.status,
            formatting.EMPTY if self.tryout else str(self.answered),
            formatting.EMPTY if self.tryout else str(self.correct),
            self.score,
            self.completed,
        )


@dataclass(frozen=True)
class ItemResult:
    number: int
    text: str
    key: str
    answers: int
    correct: int
    rate: str
    # "B: 3 · D: 1": how often each wrong option was chosen, most chosen first.
    distractors: str

    def cells(self) -> tuple[str, ...]:
        return (
            str(self.number),
            self.text,
            self.key,
            str(self.answers),
            str(self.correct),
            self.rate,
            self.distractors,
        )


@dataclass(frozen=True)
class TaskResults:
    task_id: int
    title: str
    target: str
    class_name: str
    due: str
    question_count: int
    completed: int
    recipients: int
    students: list[StudentResult]
    items: list[ItemResult]
    is_tryout: bool = False


@dataclass(frozen=True)
class HardItem:
    area: str
    text: str
    key: str
    answers: int
    rate: str
    distractors: str

    def cells(self) -> tuple[str, ...]:
        return (self.area, self.text, self.key, str(self.answers), self.rate, self.distractors)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _TEXT_CHARS else flat[: _TEXT_CHARS - 1] + formatting.ELLIPSIS


def _rate(correct: int, answers: int) -> str:
    return formatting.format_percent(correct / answers if answers else None, share=True)


def _distractors(wrong: dict[str, int]) -> str:
    if not wrong:
        return formatting.EMPTY
    ordered = sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))
    return " · ".join(f"{letter}: {n}" for letter, n in ordered)


@dataclass
class _Tally:
    answers: int = 0
    correct: int = 0

    def __post_init__(self) -> None:
        self.wrong: dict[str, int] = defaultdict(int)

    def add(self, selected: str | None, is_correct: bool, count: int = 1) -> None:
        self.answers += count
        if is_correct:
            self.correct += count
        else:
            # An open question marked wrong has no option to name.
            self.wrong[selected or "isian"] += count


def _item_texts(
    session: Session, utbk_ids: Iterable[int], practice_ids: Iterable[int]
) -> dict[tuple[str, int], tuple[str, str, str]]:
    """(kind, id) -> (area, text, key)."""
    out: dict[tuple[str, int], tuple[str, str, str]] = {}
    for q in task_repo.list_items_by_id(session=session, question_ids=set(utbk_ids)):
        assert q.id is not None
        area = f"UTBK {q.section}" + (f" · {topic_label(q.sub_type)}" if q.sub_type else "")
        out[("utbk", q.id)] = (area, q.text, q.correct_answer)
    practice_items = task_repo.list_practice_items_by_id(
        session=session, question_ids=set(practice_ids)
    )
    names = task_repo.subject_names(
        session=session, subject_ids={p.subject_id for p in practice_items}
    )
    for p in practice_items:
        assert p.id is not None
        key = p.answer if p.options_json and json.loads(p.options_json) else "isian"
        area = f"{names.get(p.subject_id, '')} · {p.topic}"
        out[("subject", p.id)] = (area, p.question, key)
    return out


def _score(task: Task, progress: TaskStudent) -> str:
    if task.kind == "tryout":
        score = progress.tryout_score
        return str(round(score)) if score is not None else formatting.EMPTY
    return _rate(progress.correct, progress.answered)


def task_results(*, actor: CurrentUser, task_id: int) -> TaskResults:
    now = utcnow()
    with unit_of_work() as session:
        task = load_task_for_teacher(session, actor, task_id)
        task_repo.add_class_joiners(session=session, now=now, task_id=task_id)
        blueprint = task_repo.blueprint_name(session=session, blueprint_id=task.blueprint_id)
        subject = (
            task_repo.subject_names(session=session, subject_ids=[task.subject_id]).get(
                task.subject_id
            )
            if task.subject_id is not None
            else None
        )
        progress = task_repo.list_task_progress(session=session, task_id=task_id)
        answers = task_repo.list_task_answers(session=session, task_id=task_id)
        tallies: dict[tuple[str, int], _Tally] = {}
        for a in answers:
            key = (
                ("utbk", a.question_id)
                if a.question_id
                else ("subject", a.practice_question_id or 0)
            )
            tallies.setdefault(key, _Tally()).add(a.selected_answer, a.is_correct)
        if task.kind == "tryout" and task.blueprint_id is not None:
            # A tryout task keeps no answers of its own: its items are those of the sitting
            # that credited each recipient who is done (the sitting id is not stored).
            for c in task_repo.count_tryout_task_options(
                session=session,
                blueprint_id=task.blueprint_id,
                given_at=task.created_at,
                student_ids=[p.student_id for _, p in progress if p.completed_at is not None],
            ):
                tallies.setdefault(("utbk", c.item_id), _Tally()).add(
                    c.selected, c.is_correct, c.count
                )
        texts = _item_texts(
            session,
            [k[1] for k in tallies if k[0] == "utbk"],
            [k[1] for k in tallies if k[0] == "subject"],
        )
    students = [
        StudentResult(
            username=user.username,
            full_name=user.full_name or user.username,
            status=status_of(task, p, now),
            answered=min(p.answered, task.question_count),
            correct=p.correct,
            score=_score(task, p),
            completed=formatting.format_datetime(p.completed_at),
            tryout=task.kind == "tryout",
        )
        for user, p in progress
    ]
    # Hardest first, so the page and the CSV open on what needs re-teaching.
    ordered = sorted(tallies.items(), key=lambda kv: (kv[1].correct / kv[1].answers, kv[0]))
    items = [
        ItemResult(
            number=i,
            text=_short(texts.get(key, ("", "(soal dihapus)", ""))[1]),
            key=texts.get(key, ("", "", formatting.EMPTY))[2],
            answers=t.answers,
            correct=t.correct,
            rate=_rate(t.correct, t.answers),
            distractors=_distractors(t.wrong),
        )
        for i, (key, t) in enumerate(ordered, start=1)
    ]
    return TaskResults(
        task_id=task_id,
        title=task.title,
        target=target_label(task, subject, blueprint),
        class_name=task.class_name,
        due=due_text(task),
        question_count=task.question_count,
        completed=sum(1 for s in students if s.completed != formatting.EMPTY),
        recipients=len(students),
        students=students,
        items=items,
        is_tryout=task.kind == "tryout",
    )


def _csv(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def students_csv(*, actor: CurrentUser, task_id: int) -> str:
    """The per-student table exactly as the page shows it."""
    results = task_results(actor=actor, task_id=task_id)
    return _csv(STUDENT_COLUMNS, (s.cells() for s in results.students))


def items_csv(*, actor: CurrentUser, task_id: int) -> str:
    """The per-item table exactly as the page shows it."""
    results = task_results(actor=actor, task_id=task_id)
    return _csv(ITEM_COLUMNS, (i.cells() for i in results.items))


def hard_items(
    *,
    actor: CurrentUser,
    class_name: str | None = None,
    limit: int = HARD_LIMIT,
    min_answers: int = HARD_MIN_ANSWERS,
) -> list[HardItem]:
    """The items the actor's classes get wrong most: UTBK items from every practice answer,
    school practice questions from answers given in tasks; each with the wrong options
    chosen and how often (distractor analysis)."""
    require_teacher(actor)
    with unit_of_work() as session:
        classes = visible_classes(session, actor)
        if class_name:
            check_class(session, actor, class_name)
            classes = [class_name]
        students = user_repo.list_students(session=session, class_names=classes)
        ids = [s.id for s in students if s.id is not None]
        tallies: dict[tuple[str, int], _Tally] = {}
        for kind, counts in (
            ("utbk", task_repo.count_utbk_options(session=session, user_ids=ids)),
            ("subject", task_repo.count_practice_options(session=session, user_ids=ids)),
        ):
            for c in counts:
                tallies.setdefault((kind, c.item_id), _Tally()).add(
                    c.selected, c.is_correct, c.count
                )
        hard = sorted(
            ((k, t) for k, t in tallies.items() if t.answers >= min_answers),
            key=lambda kv: (kv[1].correct / kv[1].answers, -kv[1].answers, kv[0]),
        )[:limit]
        texts = _item_texts(
            session,
            [k[1] for k, _ in hard if k[0] == "utbk"],
            [k[1] for k, _ in hard if k[0] == "subject"],
        )
    return [
        HardItem(
            area=texts.get(key, ("", "", ""))[0],
            text=_short(texts.get(key, ("", "(soal dihapus)", ""))[1]),
            key=texts.get(key, ("", "", formatting.EMPTY))[2],
            answers=t.answers,
            rate=_rate(t.correct, t.answers),
            distractors=_distractors(t.wrong),
        )
        for key, t in hard
    ]


def hard_items_csv(*, actor: CurrentUser, class_name: str | None = None) -> str:
    return _csv(HARD_COLUMNS, (h.cells() for h in hard_items(actor=actor, class_name=class_name)))
