"""Recalibrate a bank's 3PL parameters from the answers students have given.

Each student's first answer to each item forms the persons × items matrix (unseen = nan).
Items with too few answers cannot be estimated: they are held at their current values and
so also anchor the scale (linking), and the others are estimated by MML-EM with priors.
Nothing changes until the result is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from nexus_app.db import unit_of_work
from nexus_app.engine.calibration import calibrate_3pl
from nexus_app.models import utcnow
from nexus_app.repositories import questions as question_repo
from nexus_app.services.errors import InvalidInput, NotFound

MIN_RESPONSES_PER_ITEM = 30
MIN_FREE_ITEMS = 2
DEFAULT_A, DEFAULT_B, DEFAULT_C = 1.0, 0.0, 0.2


@dataclass(frozen=True)
class ItemCalibration:
    question_id: int
    section: str
    sub_type: str
    n_responses: int
    held_fixed: bool
    old: tuple[float, float, float]
    new: tuple[float, float, float]
    se: tuple[float, float, float]
    infit: float
    outfit: float
    misfit: bool

    @property
    def change_b(self) -> float:
        return self.new[1] - self.old[1]


@dataclass(frozen=True)
class CalibrationReport:
    bank_name: str
    persons: int
    responses: int
    iterations: int
    converged: bool
    items: list[ItemCalibration]
    applied: bool
    applied_count: int = 0


def _old_params(q: object) -> tuple[float, float, float]:
    a = getattr(q, "discrimination", None)
    b = getattr(q, "difficulty_irt", None)
    c = getattr(q, "guessing_param", None)
    return (
        float(a if a is not None else DEFAULT_A),
        float(b if b is not None else DEFAULT_B),
        float(c if c is not None else DEFAULT_C),
    )


def calibrate_bank(
    *,
    bank_name: str,
    apply: bool = False,
    apply_ids: set[int] | None = None,
    min_responses: int = MIN_RESPONSES_PER_ITEM,
    progress: Callable[[int, float], None] | None = None,
) -> CalibrationReport:
    """Estimate new parameters; with `apply`, write them (all free items, or `apply_ids`)."""
    with unit_of_work() as session:
        bank = question_repo.get_question_bank_by_name(session=session, name=bank_name)
        if bank is None or bank.id is None:
            raise NotFound(f"Bank soal '{bank_name}' tidak ditemukan.")
        items = question_repo.list_bank_items(session=session, bank_id=bank.id)
        column = {q.id: j for j, q in enumerate(items)}
        answers = question_repo.list_first_responses(session=session, question_ids=list(column))
        persons = sorted({u for u, _, _ in answers})
        row = {u: i for i, u in enumerate(persons)}
        matrix = np.full((len(persons), len(items)), np.nan)
        for user_id, question_id, correct in answers:
            matrix[row[user_id], column[question_id]] = 1.0 if correct else 0.0
        counts = (~np.isnan(matrix)).sum(axis=0) if persons else np.zeros(len(items), int)
        fixed = {j: _old_params(q) for j, q in enumerate(items) if counts[j] < min_responses}
        if len(items) - len(fixed) < MIN_FREE_ITEMS:
            raise InvalidInput(
                f"Belum cukup jawaban untuk kalibrasi: minimal {MIN_FREE_ITEMS} soal dengan "
                f"masing-masing {min_responses} jawaban siswa."
            )
        result = calibrate_3pl(matrix, fixed=fixed or None, progress=progress)
        report_items = [
            ItemCalibration(
                question_id=q.id or 0,
                section=q.section,
                sub_type=q.sub_type or "",
                n_responses=int(counts[j]),
                held_fixed=j in fixed,
                old=_old_params(q),
                new=(float(result.a[j]), float(result.b[j]), float(result.c[j])),
                se=(float(result.se_a[j]), float(result.se_b[j]), float(result.se_c[j])),
                infit=float(result.infit[j]),
                outfit=float(result.outfit[j]),
                misfit=bool(result.misfit[j]),
            )
            for j, q in enumerate(items)
        ]
        applied_count = 0
        if apply:
            chosen = apply_ids if apply_ids is not None else {i.question_id for i in report_items}
            for item, question in zip(report_items, items, strict=True):
                if item.held_fixed or item.question_id not in chosen:
                    continue
                question.discrimination, question.difficulty_irt, question.guessing_param = item.new
                session.add(question)
                applied_count += 1
            bank.is_calibrated = True
            bank.calibration_date = date.today()
            bank.calibration_sample_size = len(answers)
            bank.updated_at = utcnow()
            session.add(bank)
        return CalibrationReport(
            bank_name=bank.name,
            persons=len(persons),
            responses=len(answers),
            iterations=result.iterations,
            converged=result.converged,
            items=report_items,
            applied=apply,
            applied_count=applied_count,
        )


def list_bank_names() -> list[str]:
    with unit_of_work() as session:
        return [b.name for b in question_repo.list_question_banks(session=session)]
