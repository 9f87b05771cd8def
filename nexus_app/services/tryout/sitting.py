"""Sitting a tryout: start (draw the forms), the current section, answers, ending sections.

Time is the server's. Each section has a deadline written when it starts; every call first
moves the sitting past sections whose deadline has gone (a section that times out ends at
its deadline and the next one starts at that moment, as in the exam room, whether or not
the page was open), so a reload, another tab or a lost connection sees the time really
left, and an answer for a section that is no longer running is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import form, readiness
from nexus_app.engine.irt import item_params
from nexus_app.models import (
    TryoutItem,
    TryoutSitting,
    TryoutSittingSection,
    utcnow,
)
from nexus_app.models.bank import ANSWER_LETTERS
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import tryout as tryout_repo
from nexus_app.services import review_queue, task_credit
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied

from .blueprints import ensure_default


@dataclass(frozen=True)
class GridCell:
    number: int
    status: str  # "answered", "unanswered" or "doubt" (ragu-ragu, answered or not)


@dataclass(frozen=True)
class SittingView:
    sitting_id: str
    blueprint_name: str
    position: int
    section_count: int
    section: str
    section_name: str
    deadline: datetime
    seconds_left: int
    server_now: datetime
    cells: tuple[GridCell, ...]
    next_section_name: str


@dataclass(frozen=True)
class ItemView:
    number: int
    text: str
    options: tuple[tuple[str, str], ...]
    answer: str
    doubt: bool


def _require_student(actor: CurrentUser) -> None:
    if actor.role != "siswa":
        raise PermissionDenied("Tryout hanya untuk akun siswa.")


def _section_name(session: Session, code: str) -> str:
    row = question_repo.get_section(session=session, code=code)
    return row.name if row else code


# --- moving through the sitting -----------------------------------------------------------


def _score_section(session: Session, section: TryoutSittingSection) -> None:
    items = tryout_repo.list_items(
        session=session, sitting_id=section.sitting_id, position=section.position
    )
    questions = tryout_repo.questions_by_id(session=session, ids=[i.question_id for i in items])
    responses = []
    for item in items:
        q = questions[item.question_id]
        responses.append(
            (
                *item_params(q.discrimination, q.difficulty_irt, q.guessing_param),
                item.answer is not None and item.answer == q.correct_answer,
            )
        )
    theta, se = form.score_form(responses)
    section.theta, section.se = theta, se
    section.score = float(readiness.theta_to_score(theta))


def _start_section(section: TryoutSittingSection, at: datetime) -> None:
    section.started_at = at
    section.deadline = at + timedelta(minutes=section.minutes)


def _close_current(
    session: Session,
    sitting: TryoutSitting,
    sections: list[TryoutSittingSection],
    at: datetime,
) -> None:
    """End the running section at `at`, score it, start the next one at `at` (or finish)."""
    current = sections[sitting.current_position - 1]
    current.ended_at = at
    _score_section(session, current)
    tryout_repo.touch(session=session, row=current)
    sitting.current_position += 1
    if sitting.current_position <= len(sections):
        nxt = sections[sitting.current_position - 1]
        _start_section(nxt, at)
        tryout_repo.touch(session=session, row=nxt)
    else:
        sitting.finished_at = at
        scores = [s.score for s in sections if s.score is not None]
        sitting.total_score = float(np.mean(scores)) if scores else None
        _queue_mistakes(session, sitting, at)
        # A tryout given as a task is done now (once; the task keeps this total).
        task_credit.credit_tryout_tasks(session, sitting=sitting)
    tryout_repo.touch(session=session, row=sitting)


def _queue_mistakes(session: Session, sitting: TryoutSitting, at: datetime) -> None:
    """A finished tryout's wrong answers enter the review queue (unanswered items do not:
    the student never committed to an answer)."""
    items = tryout_repo.list_items(session=session, sitting_id=sitting.id)
    questions = tryout_repo.questions_by_id(
        session=session, ids=[i.question_id for i in items if i.answer is not None]
    )
    wrong = [
        i.question_id
        for i in items
        if i.answer is not None
        and i.question_id in questions
        and i.answer != questions[i.question_id].correct_answer
    ]
    review_queue.record_wrong_many(session, user_id=sitting.user_id, question_ids=wrong, now=at)


def _advance(session: Session, sitting: TryoutSitting, now: datetime) -> list[TryoutSittingSection]:
    """Close every section whose deadline has passed; the sections, in order."""
    sections = tryout_repo.list_sitting_sections(session=session, sitting_id=sitting.id)
    while sitting.finished_at is None and sitting.current_position <= len(sections):
        current = sections[sitting.current_position - 1]
        if current.deadline is None or now < current.deadline:
            break
        _close_current(session, sitting, sections, current.deadline)
    return sections


def _view(
    session: Session, sitting: TryoutSitting, sections: list[TryoutSittingSection], now: datetime
) -> SittingView:
    current = sections[sitting.current_position - 1]
    assert current.deadline is not None
    items = tryout_repo.list_items(
        session=session, sitting_id=sitting.id, position=current.position
    )
    cells = tuple(
        GridCell(
            number=i.number,
            status="doubt" if i.doubt else ("answered" if i.answer else "unanswered"),
        )
        for i in items
    )
    blueprint = tryout_repo.get_blueprint(session=session, blueprint_id=sitting.blueprint_id)
    later = sections[sitting.current_position :]
    return SittingView(
        sitting_id=sitting.id,
        blueprint_name=blueprint.name if blueprint else "",
        position=current.position,
        section_count=len(sections),
        section=current.section,
        section_name=_section_name(session, current.section),
        deadline=current.deadline,
        seconds_left=max(0, int((current.deadline - now).total_seconds())),
        server_now=now,
        cells=cells,
        next_section_name=_section_name(session, later[0].section) if later else "",
    )


def _open(session: Session, actor: CurrentUser, sitting_id: str) -> TryoutSitting:
    sitting = tryout_repo.get_sitting(session=session, sitting_id=sitting_id, user_id=actor.id)
    if sitting is None:
        raise NotFound("Tryout tidak ditemukan.")
    return sitting


def _running(
    session: Session, actor: CurrentUser, sitting_id: str, position: int, now: datetime
) -> tuple[TryoutSitting, list[TryoutSittingSection]]:
    """The sitting, advanced to now, if `position` is the section still running."""
    sitting = _open(session, actor, sitting_id)
    sections = _advance(session, sitting, now)
    if sitting.finished_at is not None or sitting.current_position != position:
        raise InvalidInput("Waktu subtes ini sudah habis atau subtes sudah diakhiri.")
    return sitting, sections


# --- use cases ----------------------------------------------------------------------------


def current_sitting(*, actor: CurrentUser) -> SittingView | None:
    """The student's running sitting at the real time left; None when there is none (a
    sitting whose last deadline passed meanwhile is finished and scored here)."""
    _require_student(actor)
    now = utcnow()
    with unit_of_work() as session:
        sitting = tryout_repo.get_open_sitting(session=session, user_id=actor.id)
        if sitting is None:
            return None
        sections = _advance(session, sitting, now)
        if sitting.finished_at is not None:
            return None
        return _view(session, sitting, sections, now)


def start_tryout(
    *, actor: CurrentUser, blueprint_id: int, rng: np.random.Generator | None = None
) -> SittingView:
    """Start a sitting of the blueprint, drawing every section's form now; a sitting
    already running is returned instead (one at a time). Idempotent under a race: the
    student's starts are serialised (a row lock), so two tabs pressing start at the same
    instant get the same sitting."""
    _require_student(actor)
    now = utcnow()
    with unit_of_work() as session:
        # First statement: the second of two concurrent starts waits here, then finds the
        # first one's sitting below.
        tryout_repo.lock_user_for_start(session=session, user_id=actor.id)
        ensure_default(session)
        running = tryout_repo.get_open_sitting(session=session, user_id=actor.id)
        if running is not None:
            running_sections = _advance(session, running, now)
            if running.finished_at is None:
                return _view(session, running, running_sections, now)
        blueprint = tryout_repo.get_blueprint(session=session, blueprint_id=blueprint_id)
        if blueprint is None:
            raise NotFound("Cetak biru tryout tidak ditemukan.")
        plan = tryout_repo.list_blueprint_sections(session=session, blueprint_id=blueprint_id)
        if not plan:
            raise InvalidInput("Cetak biru ini belum berisi subtes.")
        seed = secrets.randbits(63)
        generator = rng if rng is not None else np.random.default_rng(seed)
        sitting = TryoutSitting(
            id=secrets.token_hex(16), user_id=actor.id, blueprint_id=blueprint_id, started_at=now
        )
        sections: list[TryoutSittingSection] = []
        items: list[TryoutItem] = []
        short: list[str] = []
        # Exposure control: items drawn less often in this blueprint's earlier forms first.
        usage = tryout_repo.item_usage(session=session, blueprint_id=blueprint_id)
        for part in plan:
            pool = [
                form.PoolItem(c.question_id, c.b, c.sub_type or "")
                for c in question_repo.list_cat_candidates(
                    session=session, user_id=actor.id, section=part.section, recent_days=0
                )
            ]
            if len(pool) < part.item_count:
                short.append(f"{part.section} (ada {len(pool)}, perlu {part.item_count})")
                continue
            drawn = form.draw_form(pool, part.item_count, generator, usage)
            sections.append(
                TryoutSittingSection(
                    sitting_id=sitting.id,
                    position=part.position,
                    section=part.section,
                    item_count=part.item_count,
                    minutes=part.minutes,
                )
            )
            items.extend(
                TryoutItem(sitting_id=sitting.id, position=part.position, number=n, question_id=q)
                for n, q in enumerate(drawn, start=1)
            )
        if short:
            raise InvalidInput(
                "Soal yang sudah ditinjau belum cukup untuk tryout ini: " + ", ".join(short) + "."
            )
        _start_section(sections[0], now)
        tryout_repo.add_sitting(session=session, sitting=sitting, sections=sections, items=items)
        return _view(session, sitting, sections, now)


def show_item(*, actor: CurrentUser, sitting_id: str, position: int, number: int) -> ItemView:
    """One item of the running section (items of ended sections are not shown again)."""
    _require_student(actor)
    with unit_of_work() as session:
        _running(session, actor, sitting_id, position, utcnow())
        item = tryout_repo.get_item(
            session=session, sitting_id=sitting_id, position=position, number=number
        )
        if item is None:
            raise NotFound("Soal tidak ditemukan.")
        q = tryout_repo.questions_by_id(session=session, ids=[item.question_id])[item.question_id]
        return ItemView(
            number=item.number,
            text=q.text,
            options=tuple(
                (letter, getattr(q, f"option_{letter.lower()}")) for letter in ANSWER_LETTERS
            ),
            answer=item.answer or "",
            doubt=item.doubt,
        )


def _update_item(
    actor: CurrentUser,
    sitting_id: str,
    position: int,
    number: int,
    *,
    answer: str | None = None,
    clear: bool = False,
    doubt: bool | None = None,
) -> SittingView:
    now = utcnow()
    with unit_of_work() as session:
        sitting, sections = _running(session, actor, sitting_id, position, now)
        item = tryout_repo.get_item(
            session=session, sitting_id=sitting_id, position=position, number=number
        )
        if item is None:
            raise NotFound("Soal tidak ditemukan.")
        if answer is not None or clear:
            item.answer = None if clear else answer
            item.answered_at = now
        if doubt is not None:
            item.doubt = doubt
        tryout_repo.touch(session=session, row=item)
        return _view(session, sitting, sections, now)


def answer_item(
    *, actor: CurrentUser, sitting_id: str, position: int, number: int, answer: str
) -> SittingView:
    """Save (or change, or with "" clear) the answer; refused once the section's time is up."""
    _require_student(actor)
    letter = answer.strip().upper()
    if letter and letter not in ANSWER_LETTERS:
        raise InvalidInput("Pilih salah satu jawaban A–E.")
    return _update_item(
        actor, sitting_id, position, number, answer=letter or None, clear=not letter
    )


def mark_doubt(
    *, actor: CurrentUser, sitting_id: str, position: int, number: int, doubt: bool
) -> SittingView:
    """Set or clear the ragu-ragu mark of an item of the running section."""
    _require_student(actor)
    return _update_item(actor, sitting_id, position, number, doubt=doubt)


def end_section(*, actor: CurrentUser, sitting_id: str, position: int) -> SittingView | None:
    """End the running section now (the student confirmed); the next one starts at once.
    None when that was the last section (the tryout is finished)."""
    _require_student(actor)
    now = utcnow()
    with unit_of_work() as session:
        sitting, sections = _running(session, actor, sitting_id, position, now)
        _close_current(session, sitting, sections, now)
        if sitting.finished_at is not None:
            return None
        return _view(session, sitting, sections, now)
