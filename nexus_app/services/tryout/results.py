"""A finished tryout: scores per section with a range, the total, time used, the item
review, and where the student stands among the school's students on the same blueprint."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import form, readiness
from nexus_app.models import TryoutSitting, TryoutSittingSection, utcnow
from nexus_app.models.bank import ANSWER_LETTERS
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import tryout as tryout_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound

from . import ptn
from .sitting import _advance, _require_student

# Below this many students on a blueprint a percentile says more about who happened to sit
# than about the student; it is also too close to naming the others.
MIN_SITTERS_FOR_STANDING = 10


@dataclass(frozen=True)
class SectionResult:
    position: int
    section: str
    name: str
    score: int
    low: int
    high: int
    correct: int
    items: int
    minutes_used: float
    minutes_allowed: float


@dataclass(frozen=True)
class ReviewItem:
    section: str
    number: int
    text: str
    options: tuple[tuple[str, str], ...]
    key: str
    choice: str
    is_correct: bool
    explanation: str


@dataclass(frozen=True)
class Standing:
    sitters: int
    shown: bool
    percentile: float | None
    rank: int | None
    # section code -> (percentile, rank)
    sections: dict[str, tuple[float, int]]


@dataclass(frozen=True)
class TryoutResult:
    sitting_id: str
    blueprint_name: str
    finished_at: datetime
    total: int
    sections: tuple[SectionResult, ...]
    review: tuple[ReviewItem, ...]
    standing: Standing
    # Nexus-scale standard error of the total (sections' SEs, averaged like the scores).
    total_se: float = 0.0
    # (id, label) of every PTN programme, and the one to show first (the target PTN's).
    program_choices: tuple[tuple[int, str], ...] = ()
    default_program_id: int = 0


def _rank(mine: float, others: list[float]) -> int:
    return 1 + sum(1 for v in others if v > mine)


def _standing(session: Session, sitting: TryoutSitting) -> Standing:
    latest = tryout_repo.latest_finished_by_student(
        session=session, blueprint_id=sitting.blueprint_id
    )
    sitters = len(latest)
    if sitters < MIN_SITTERS_FOR_STANDING or sitting.total_score is None:
        return Standing(sitters, False, None, None, {})
    # Everyone else's newest sitting; the student is compared with this sitting of hers.
    others = [s for uid, s in latest if uid != sitting.user_id]
    totals = [s.total_score for s in others if s.total_score is not None]
    by_sitting = tryout_repo.section_scores(
        session=session, sitting_ids=[s.id for s in others] + [sitting.id]
    )
    mine = by_sitting.get(sitting.id, {})
    sections = {}
    for code, score in mine.items():
        peer = [v[code] for sid, v in by_sitting.items() if sid != sitting.id and code in v]
        sections[code] = (form.percentile(score, peer), _rank(score, peer))
    return Standing(
        sitters=sitters,
        shown=True,
        percentile=form.percentile(sitting.total_score, totals),
        rank=_rank(sitting.total_score, totals),
        sections=sections,
    )


def tryout_result(*, actor: CurrentUser, sitting_id: str | None = None) -> TryoutResult | None:
    """The result of a finished sitting of the student (her newest when no id is given);
    None when she has none. A sitting still running is refused: the review (keys and
    explanations) only opens after the whole tryout."""
    _require_student(actor)
    with unit_of_work() as session:
        if sitting_id is None:
            open_one = tryout_repo.get_open_sitting(session=session, user_id=actor.id)
            if open_one is not None:
                _advance(session, open_one, utcnow())
            sitting = tryout_repo.get_latest_finished(session=session, user_id=actor.id)
            if sitting is None:
                return None
        else:
            found = tryout_repo.get_sitting(
                session=session, sitting_id=sitting_id, user_id=actor.id
            )
            if found is None:
                raise NotFound("Tryout tidak ditemukan.")
            sitting = found
            _advance(session, sitting, utcnow())
        if sitting.finished_at is None:
            raise InvalidInput("Hasil dan pembahasan tampil setelah seluruh tryout selesai.")
        return _result(session, sitting)


def _result(session: Session, sitting: TryoutSitting) -> TryoutResult:
    assert sitting.finished_at is not None
    sections = tryout_repo.list_sitting_sections(session=session, sitting_id=sitting.id)
    items = tryout_repo.list_items(session=session, sitting_id=sitting.id)
    questions = tryout_repo.questions_by_id(session=session, ids=[i.question_id for i in items])
    code_of = {s.position: s.section for s in sections}
    review = []
    correct_by_position: dict[int, int] = {}
    for item in items:
        q = questions[item.question_id]
        right = item.answer is not None and item.answer == q.correct_answer
        correct_by_position[item.position] = correct_by_position.get(item.position, 0) + int(right)
        review.append(
            ReviewItem(
                section=code_of[item.position],
                number=item.number,
                text=q.text,
                options=tuple(
                    (letter, getattr(q, f"option_{letter.lower()}")) for letter in ANSWER_LETTERS
                ),
                key=q.correct_answer,
                choice=item.answer or "",
                is_correct=right,
                explanation=q.explanation or "",
            )
        )
    results = []
    for s in sections:
        theta, se = s.theta or 0.0, s.se or 1.0
        low, high = readiness.predicted_range(theta, se)
        used = (
            (s.ended_at - s.started_at).total_seconds() / 60
            if s.ended_at is not None and s.started_at is not None
            else 0.0
        )
        utbk = question_repo.get_section(session=session, code=s.section)
        results.append(
            SectionResult(
                position=s.position,
                section=s.section,
                name=utbk.name if utbk else s.section,
                score=round(s.score or 0.0),
                low=low,
                high=high,
                correct=correct_by_position.get(s.position, 0),
                items=s.item_count,
                minutes_used=round(used, 1),
                minutes_allowed=s.minutes,
            )
        )
    blueprint = tryout_repo.get_blueprint(session=session, blueprint_id=sitting.blueprint_id)
    choices = ptn.list_program_choices(session)
    return TryoutResult(
        sitting_id=sitting.id,
        blueprint_name=blueprint.name if blueprint else "",
        finished_at=sitting.finished_at,
        total=round(sitting.total_score or 0.0),
        sections=tuple(results),
        review=tuple(review),
        standing=_standing(session, sitting),
        total_se=_total_se(sections),
        program_choices=tuple((pid, label) for pid, _, label in choices),
        default_program_id=_default_program(session, sitting.user_id, choices),
    )


def _total_se(sections: list[TryoutSittingSection]) -> float:
    scored = [s.se for s in sections if s.se is not None]
    if not scored:
        return 0.0
    return readiness.SCORE_PER_THETA * math.sqrt(sum(se * se for se in scored)) / len(scored)


def _default_program(session: Session, user_id: int, choices: list[tuple[int, str, str]]) -> int:
    """The onboarding target: the programme picked from the table (stored as its label),
    else the first programme of the target PTN, else the first programme."""
    user = user_repo.get_user(session=session, user_id=user_id)
    target = " ".join((user.target_ptn or "").lower().split()) if user else ""
    if target:
        for pid, _, label in choices:
            if " ".join(label.lower().split()) == target:
                return pid
        for pid, university, _ in choices:
            if university.lower() == target:
                return pid
    return choices[0][0] if choices else 0


def tryout_chances(
    *, actor: CurrentUser, sitting_id: str, program_id: int
) -> list[ptn.ProgramChance]:
    """The estimated chance of the sitting's total for the programme and up to three
    alternatives (docs/tryout.md; a "perkiraan", official passing grades are not public)."""
    _require_student(actor)
    with unit_of_work() as session:
        sitting = tryout_repo.get_sitting(session=session, sitting_id=sitting_id, user_id=actor.id)
        if sitting is None:
            raise NotFound("Tryout tidak ditemukan.")
        if sitting.finished_at is None or sitting.total_score is None:
            raise InvalidInput("Perkiraan peluang tampil setelah seluruh tryout selesai.")
        sections = tryout_repo.list_sitting_sections(session=session, sitting_id=sitting.id)
        return ptn.program_chances(
            session,
            score=sitting.total_score,
            score_se=_total_se(sections),
            target_id=program_id,
        )
