"""Practice limits, the views a session shows, and the ability estimates behind them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import ability, cat, readiness
from nexus_app.engine.irt import item_params
from nexus_app.models import utcnow
from nexus_app.repositories import attempts as attempt_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import readiness as readiness_repo
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import PermissionDenied

MODES = ("practice", "tryout")
# No item goes to more than this share of a section's sessions while others remain.
MAX_EXPOSURE_RATE = 0.20
# Practice has no fixed length; the exposure control is told this one (it matters only to
# its optional random component, which fades over it; off by default since issue 11).
PRACTICE_NOMINAL_LENGTH = 20
SESSION_IDLE_LIMIT = timedelta(hours=3)
MAX_SECONDS_PER_ITEM = 30 * 60  # an item left open over lunch counts as 30 minutes
TRYOUT_SE_TARGET = 0.30
DEFAULT_TARGET_SCORE = 600
_rng = np.random.default_rng()


@dataclass(frozen=True)
class SectionChoice:
    code: str
    name: str
    available: int
    sub_types: tuple[str, ...]


@dataclass(frozen=True)
class QuestionView:
    session_id: str
    mode: str
    section: str
    position: int
    question_id: int
    sub_type: str
    text: str
    options: tuple[tuple[str, str], ...]
    served_at: datetime
    theta: float
    score: int


@dataclass(frozen=True)
class AnswerResult:
    session_id: str
    position: int
    question_id: int
    selected: str
    correct_answer: str
    is_correct: bool
    explanation: str
    strategy_tip: str
    time_spent_seconds: int
    theta_before: float
    theta_after: float
    score_before: int
    score_after: int
    se: float
    predicted_low: int
    predicted_high: int
    tryout_finished: bool = False
    attempt_id: int = 0


@dataclass(frozen=True)
class ReviewRow:
    position: int
    question_id: int
    sub_type: str
    text: str
    selected: str
    correct_answer: str
    is_correct: bool
    time_spent_seconds: int


@dataclass(frozen=True)
class SessionReview:
    session_id: str
    section: str
    mode: str
    started_at: datetime
    ended_at: datetime | None
    total: int
    correct: int
    accuracy_percentage: float
    avg_time_seconds: float
    min_time_seconds: int
    max_time_seconds: int
    rows: list[ReviewRow] = field(default_factory=list)
    score: int | None = None
    predicted_low: int | None = None
    predicted_high: int | None = None


def _require_student(actor: CurrentUser) -> None:
    if actor.role != "siswa":
        raise PermissionDenied("Latihan UTBK hanya untuk akun siswa.")


def list_sections() -> list[SectionChoice]:
    with unit_of_work() as session:
        supply = question_repo.list_section_supply(session=session)
    return [SectionChoice(s.code, s.name, s.servable, s.sub_types) for s in supply]


# --- ability -------------------------------------------------------------------------


def _section_belief(session: Session, user_id: int, section: str) -> tuple[float, float]:
    """The student's current (theta, sd) in a section, widened for the days since."""
    row = readiness_repo.get_readiness(session=session, user_id=user_id, section=section)
    if row is None or row.current_theta is None:
        return 0.0, 1.0
    sd = float(np.sqrt(row.theta_variance)) if row.theta_variance else 1.0
    idle_days = (utcnow() - row.last_updated).total_seconds() / 86_400
    return float(row.current_theta), ability.widen_for_time(sd, idle_days)


def _tryout_estimate(items: list[attempt_repo.SessionItem]) -> tuple[float, float]:
    posterior = cat.ThetaPosterior()
    for item in items:
        if item.b is not None:
            posterior.add(*item_params(item.a, item.b, item.c), int(item.is_correct))
    return posterior.estimate()


def _score(theta: float) -> int:
    return round(float(readiness.theta_to_score(theta)))
