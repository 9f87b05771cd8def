"""Estimation shared by the CLI and the admin page: load the answers, estimate, write back."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlmodel import Session

from nexus_app import formatting
from nexus_app.db import unit_of_work
from nexus_app.engine.calibration import Answers, CalibrationResult, calibrate_answers
from nexus_app.engine.irt import item_params
from nexus_app.models import Question, QuestionBank, utcnow
from nexus_app.repositories import questions as question_repo
from nexus_app.services.errors import InvalidInput, NotFound

from .results import (
    EM_MAX_ITER,
    EM_TOLERANCE,
    MIN_FREE_ITEMS,
    MIN_RESPONSES_PER_ITEM,
    TEXT_PREVIEW_CHARS,
    CalibrationReport,
    ItemCalibration,
)

# --- estimation shared by the CLI and the admin page ----------------------------------------


def _old_params(q: Question) -> tuple[float, float, float]:
    a, b, c = item_params(q.discrimination, q.difficulty_irt, q.guessing_param)
    return float(a), float(b), float(c)


@dataclass(frozen=True)
class _Data:
    items: list[Question]
    answers: Answers
    counts: np.ndarray
    fixed: dict[int, tuple[float, float, float]]
    persons: int
    responses: int


def _load_data(
    session: Session,
    bank: QuestionBank,
    min_responses: int,
    on_chunk: Callable[[int], None] | None = None,
) -> _Data:
    """The bank's first answers as engine `Answers` (persons in user-id order, items in
    the bank's order), read chunk by chunk; `on_chunk(answers so far)` after each."""
    items = question_repo.list_bank_items(session=session, bank_id=bank.id or 0)
    ids = np.array([q.id or 0 for q in items], dtype=np.int64)
    by_id = np.argsort(ids)
    users: list[np.ndarray] = []
    questions: list[np.ndarray] = []
    correct: list[np.ndarray] = []
    total = 0
    for chunk in question_repo.iter_first_responses(session=session, question_ids=ids.tolist()):
        users.append(np.array(chunk.user_ids, dtype=np.int64))
        questions.append(np.array(chunk.question_ids, dtype=np.int64))
        correct.append(np.array(chunk.is_correct, dtype=bool))
        total += len(chunk)
        if on_chunk is not None:
            on_chunk(total)
    user_ids = np.concatenate(users) if users else np.empty(0, np.int64)
    person_ids, person = np.unique(user_ids, return_inverse=True)
    question_ids = np.concatenate(questions) if questions else np.empty(0, np.int64)
    column = by_id[np.searchsorted(ids[by_id], question_ids)]
    answers = Answers.from_arrays(
        person,
        column,
        np.concatenate(correct) if correct else np.empty(0, bool),
        n_items=max(len(items), 1),
        n_persons=len(person_ids),
    )
    counts = np.bincount(answers.item, minlength=len(items))
    fixed = {j: _old_params(q) for j, q in enumerate(items) if counts[j] < min_responses}
    return _Data(items, answers, counts, fixed, len(person_ids), len(answers))


def _too_few(bank_name: str, data: _Data, min_responses: int) -> InvalidInput:
    ready = len(data.items) - len(data.fixed)
    return InvalidInput(
        f"Belum cukup jawaban untuk kalibrasi bank '{bank_name}': baru {ready} soal yang "
        f"dijawab oleh minimal {min_responses} siswa, padahal perlu minimal "
        f"{MIN_FREE_ITEMS} soal. Tunggu sampai lebih banyak siswa berlatih, atau turunkan "
        "batas minimal jawaban per soal. Tidak ada yang diubah."
    )


def _estimate(
    data: _Data, progress: Callable[[int, float], None] | None = None
) -> CalibrationResult:
    return calibrate_answers(
        data.answers,
        fixed=data.fixed or None,
        max_iter=EM_MAX_ITER,
        tol=EM_TOLERANCE,
        progress=progress,
    )


def _nan_or(value: float) -> float:
    return float(value) if np.isfinite(value) else math.nan


def _report_items(data: _Data, result: CalibrationResult) -> list[ItemCalibration]:
    report = []
    for j, q in enumerate(data.items):
        text = " ".join(q.text.split())
        report.append(
            ItemCalibration(
                question_id=q.id or 0,
                section=q.section,
                sub_type=q.sub_type or "",
                n_responses=int(data.counts[j]),
                held_fixed=j in data.fixed,
                old=_old_params(q),
                new=(float(result.a[j]), float(result.b[j]), float(result.c[j])),
                se=(
                    _nan_or(result.se_a[j]),
                    _nan_or(result.se_b[j]),
                    _nan_or(result.se_c[j]),
                ),
                infit=_nan_or(result.infit[j]),
                outfit=_nan_or(result.outfit[j]),
                # A held item keeps its parameters: its fit is shown but never flags it.
                misfit=bool(result.misfit[j]) and j not in data.fixed,
                chi2_p=_nan_or(result.chi2_p[j]),
                text=formatting.shorten(text, TEXT_PREVIEW_CHARS),
            )
        )
    return report


def _write_params(question: Question, params: tuple[float, float, float]) -> None:
    question.discrimination, question.difficulty_irt, question.guessing_param = params
    question.updated_at = utcnow()


def _mark_calibrated(bank: QuestionBank, sample_size: int) -> date:
    today = utcnow().date()
    bank.is_calibrated = True
    bank.calibration_date = today
    bank.calibration_sample_size = sample_size
    bank.updated_at = utcnow()
    return today


def calibrate_bank(
    *,
    bank_name: str,
    apply: bool = False,
    apply_ids: set[int] | None = None,
    min_responses: int = MIN_RESPONSES_PER_ITEM,
    progress: Callable[[int, float], None] | None = None,
) -> CalibrationReport:
    """Estimate new parameters; with `apply`, write them (all free items, or `apply_ids`).

    The CLI's entry point (a shell user is the server's operator, so no actor)."""
    with unit_of_work() as session:
        bank = question_repo.get_question_bank_by_name(session=session, name=bank_name)
        if bank is None or bank.id is None:
            raise NotFound(f"Bank soal '{bank_name}' tidak ditemukan.")
        data = _load_data(session, bank, min_responses)
        if len(data.items) - len(data.fixed) < MIN_FREE_ITEMS:
            raise _too_few(bank.name, data, min_responses)
        result = _estimate(data, progress)
        report_items = _report_items(data, result)
        applied_count = 0
        if apply:
            chosen = apply_ids if apply_ids is not None else {i.question_id for i in report_items}
            for item, question in zip(report_items, data.items, strict=True):
                if item.held_fixed or item.question_id not in chosen:
                    continue
                _write_params(question, item.new)
                session.add(question)
                applied_count += 1
            _mark_calibrated(bank, data.responses)
            session.add(bank)
        return CalibrationReport(
            bank_name=bank.name,
            persons=data.persons,
            responses=data.responses,
            iterations=result.iterations,
            converged=result.converged,
            items=report_items,
            applied=apply,
            applied_count=applied_count,
        )


def list_bank_names() -> list[str]:
    with unit_of_work() as session:
        return [b.name for b in question_repo.list_question_banks(session=session)]
