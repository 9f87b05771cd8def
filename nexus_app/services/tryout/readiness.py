"""Tryout results in the student's readiness, and the trend of totals over tryouts.

Practice keeps a running belief N(theta, sd^2) per section in `user_readiness` (updated per
answer, widened by `engine.ability.DRIFT_PER_DAY` for every idle day). A finished tryout
section is another measurement of the same ability: its EAP score came from the N(0, 1)
prior times the likelihood of the section's responses, so dividing the prior out leaves a
normal reading with precision 1/se^2 - 1 and mean theta/(se^2 * precision). Such a reading
is of the ability at the time of the tryout, so it too is widened by the drift for the days
since. The readiness shown is the precision-weighted combination of the practice belief
(widened to now) and every finished tryout section's reading (widened to now); with no
practice yet, the N(0, 1) prior stands in for it, which gives back the tryout's own score on
the day of the tryout. A section left wholly unanswered is no evidence of ability (time ran
out, or the page was left) and is not used. docs/tryout.md has the same in prose.

The combination is computed when the dashboard is read, not written into `user_readiness`:
that row stays the practice belief that serves adaptive items, and the nightly readiness
job (which recounts it from the attempts) cannot undo a tryout.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import ability, readiness
from nexus_app.models import utcnow
from nexus_app.repositories import readiness as readiness_repo
from nexus_app.repositories import tryout as tryout_repo
from nexus_app.repositories.tryout import SectionEvidence
from nexus_app.services.auth import CurrentUser

from .sitting import _require_student

# As the practice service: a student without a target is measured against 600.
DEFAULT_TARGET_SCORE = 600
# A tryout section whose posterior is hardly narrower than the prior carries no reading.
MIN_PRECISION = 1e-3


@dataclass(frozen=True)
class Reading:
    """A normal measurement of a section's ability: mean and variance, as of now."""

    theta: float
    variance: float


@dataclass(frozen=True)
class TrendPoint:
    sitting_id: str
    finished_at: datetime
    blueprint_name: str
    total: int


def _days(since: datetime, now: datetime) -> float:
    return max((now - since).total_seconds() / 86_400, 0.0)


def tryout_reading(evidence: SectionEvidence, now: datetime) -> Reading | None:
    """The section's likelihood as a normal reading (prior divided out), widened for the
    days since it was sat; None when it says nothing (no answer, or no information)."""
    if evidence.answered <= 0 or not evidence.se > 0:
        return None
    posterior_precision = 1.0 / (evidence.se * evidence.se)
    precision = posterior_precision - 1.0  # the N(0, 1) prior taken out
    if precision < MIN_PRECISION:
        return None
    mean = evidence.theta * posterior_precision / precision
    variance = 1.0 / precision + ability.DRIFT_PER_DAY * _days(evidence.ended_at, now)
    return Reading(mean, variance)


def combine(practice: Reading, tryouts: Sequence[Reading]) -> Reading:
    """Precision-weighted combination of independent normal readings."""
    precision = 1.0 / practice.variance + sum(1.0 / r.variance for r in tryouts)
    weighted = practice.theta / practice.variance + sum(r.theta / r.variance for r in tryouts)
    return Reading(weighted / precision, 1.0 / precision)


def _practice_reading(row: readiness_repo.DashboardReadinessRow, now: datetime) -> Reading:
    if row.current_theta is None or not row.total_attempts_count:
        return Reading(0.0, 1.0)  # the prior
    sd = math.sqrt(row.theta_variance) if row.theta_variance else 1.0
    sd = ability.widen_for_time(sd, _days(row.last_updated, now))
    return Reading(float(row.current_theta), sd * sd)


def with_tryouts(
    session: Session,
    *,
    user_id: int,
    rows: Sequence[readiness_repo.DashboardReadinessRow],
    now: datetime | None = None,
) -> list[readiness_repo.DashboardReadinessRow]:
    """The dashboard's readiness rows with the finished tryouts folded in (see the module
    docstring); rows of sections without tryout evidence come back unchanged."""
    when = now or utcnow()
    by_section: dict[str, list[SectionEvidence]] = {}
    for found in tryout_repo.list_section_evidence(session=session, user_id=user_id):
        by_section.setdefault(found.section, []).append(found)
    out = []
    for row in rows:
        evidence = [e for e in by_section.get(row.section, []) if e.answered > 0]
        readings = [r for e in evidence if (r := tryout_reading(e, when)) is not None]
        if not readings:
            out.append(row)
            continue
        combined = combine(_practice_reading(row, when), readings)
        theta = min(max(combined.theta, -4.0), 4.0)
        se = math.sqrt(combined.variance)
        target = row.target_score or DEFAULT_TARGET_SCORE
        low, high = readiness.predicted_range(theta, se)
        answered = sum(e.answered for e in evidence)
        correct = sum(e.correct for e in evidence)
        practised = row.total_attempts_count
        right = (row.overall_accuracy or 0.0) * practised
        out.append(
            dataclasses.replace(
                row,
                current_theta=theta,
                theta_variance=combined.variance,
                total_attempts_count=practised + answered,
                overall_accuracy=(right + correct) / (practised + answered),
                readiness_percentage=readiness.readiness_percentage(theta, se, target),
                predicted_score_low=low,
                predicted_score_high=high,
            )
        )
    return out


def tryout_trend(*, actor: CurrentUser) -> list[TrendPoint]:
    """One point per finished sitting of the student, oldest first: its total."""
    _require_student(actor)
    with unit_of_work() as session:
        return [
            TrendPoint(
                sitting_id=sitting.id,
                finished_at=sitting.finished_at,
                blueprint_name=name,
                total=round(sitting.total_score),
            )
            for sitting, name in tryout_repo.list_finished_sittings(
                session=session, user_id=actor.id
            )
            if sitting.finished_at is not None and sitting.total_score is not None
        ]
