"""The admin page's use cases: bank choices and counts, run, show, discard and apply a run."""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from nexus_app.db import unit_of_work
from nexus_app.formatting import format_int
from nexus_app.models import utcnow
from nexus_app.repositories import item_stats as stats_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput, NotFound

from .estimation import (
    _Data,
    _estimate,
    _load_data,
    _mark_calibrated,
    _old_params,
    _report_items,
    _too_few,
    _write_params,
)
from .results import (
    _SAME_PARAMS,
    EM_MAX_ITER,
    EM_TOLERANCE,
    MAX_RESPONSES_SETTING,
    MIN_FREE_ITEMS,
    MIN_RESPONSES_FLOOR,
    MIN_RESPONSES_PER_ITEM,
    ApplyResult,
    BankChoice,
    BankData,
    CalibrationProgress,
    CalibrationRun,
    ProgressSink,
)
from .runs import _load_run, _run_path, _save_run

# --- the admin page ---------------------------------------------------------------------------


def _choice(summary: stats_repo.BankSummary) -> BankChoice:
    return BankChoice(
        bank_id=summary.bank_id,
        name=summary.name,
        live_items=summary.live_items,
        is_calibrated=summary.is_calibrated,
        calibration_date=summary.calibration_date,
        calibration_sample_size=summary.calibration_sample_size,
    )


def list_banks(*, actor: CurrentUser) -> list[BankChoice]:
    require_admin(actor)
    with unit_of_work() as session:
        return [_choice(s) for s in stats_repo.list_bank_summaries(session=session)]


def _check_min_responses(min_responses: int) -> None:
    if not MIN_RESPONSES_FLOOR <= min_responses <= MAX_RESPONSES_SETTING:
        raise InvalidInput(
            f"Batas minimal jawaban per soal harus antara {MIN_RESPONSES_FLOOR} dan "
            f"{MAX_RESPONSES_SETTING:,}.".replace(",", ".")
        )


def bank_data(
    *, actor: CurrentUser, bank_id: int, min_responses: int = MIN_RESPONSES_PER_ITEM
) -> BankData:
    """The counts the page shows before a run: students, first answers, items ready."""
    require_admin(actor)
    _check_min_responses(min_responses)
    with unit_of_work() as session:
        summary = next(
            (s for s in stats_repo.list_bank_summaries(session=session) if s.bank_id == bank_id),
            None,
        )
        if summary is None:
            raise NotFound("Bank soal tidak ditemukan.")
        counts = stats_repo.bank_response_counts(session=session, bank_id=bank_id)
    return BankData(
        bank=_choice(summary),
        students=counts.students,
        first_responses=counts.first_responses,
        items_answered=len(counts.per_item),
        items_ready=sum(1 for n in counts.per_item.values() if n >= min_responses),
        min_responses=min_responses,
    )


_running: set[int] = set()
_running_lock = threading.Lock()


@contextmanager
def _one_run_per_bank(bank_id: int) -> Iterator[None]:
    # Per process: a second click (or a second admin) must not start a parallel EM.
    with _running_lock:
        if bank_id in _running:
            raise Conflict("Kalibrasi bank ini sedang berjalan. Tunggu sampai selesai.")
        _running.add(bank_id)
    try:
        yield
    finally:
        with _running_lock:
            _running.discard(bank_id)


def _em_percent(iteration: int, change: float, first_change: float) -> int:
    """EM has no known length: progress is how far the largest parameter change has
    fallen from its first value towards the tolerance (log scale), or the iteration
    budget used, whichever is further."""
    by_iter = iteration / EM_MAX_ITER
    by_change = 0.0
    if first_change > EM_TOLERANCE and change > 0:
        span = math.log(first_change / EM_TOLERANCE)
        by_change = math.log(first_change / max(change, EM_TOLERANCE)) / span
    fraction = min(1.0, max(by_iter, by_change, 0.0))
    return 5 + int(80 * fraction)


def _em_progress(iteration: int, change: float, first_change: float) -> CalibrationProgress:
    """What the page shows after an EM iteration; the last one hands over to the SEs."""
    if change < EM_TOLERANCE or iteration >= EM_MAX_ITER:
        return CalibrationProgress(
            "finish",
            "EM selesai; menghitung galat baku dan kecocokan butir…",
            88,
            iteration,
            change,
        )
    return CalibrationProgress(
        "em",
        f"Iterasi EM {iteration}: perubahan parameter terbesar {change:.4f}",
        _em_percent(iteration, change, first_change),
        iteration,
        change,
    )


def _read_answers(bank_id: int, min_responses: int, report: ProgressSink) -> tuple[str, _Data]:
    """The bank's name and first answers, the count shown growing while they are read."""
    report(CalibrationProgress("data", "Mengumpulkan jawaban siswa…", 2))

    def on_chunk(loaded: int) -> None:
        # A platform-sized bank takes a while to read: show the count growing.
        report(
            CalibrationProgress(
                "data", f"Mengumpulkan jawaban siswa… {format_int(loaded)} jawaban terbaca", 2
            )
        )

    with unit_of_work() as session:
        bank = stats_repo.get_bank(session=session, bank_id=bank_id)
        if bank is None or bank.id is None:
            raise NotFound("Bank soal tidak ditemukan.")
        bank_name = bank.name
        data = _load_data(session, bank, min_responses, on_chunk)
    report(
        CalibrationProgress(
            "data",
            f"{format_int(data.responses)} jawaban pertama dari {format_int(data.persons)} "
            "siswa terbaca; memulai EM…",
            4,
        )
    )
    return bank_name, data


def run_calibration(
    *,
    actor: CurrentUser,
    bank_id: int,
    min_responses: int = MIN_RESPONSES_PER_ITEM,
    progress: ProgressSink | None = None,
) -> CalibrationRun:
    """Estimate new parameters for a bank and keep them as its pending run (replacing an
    earlier one). Writes nothing to the database; too few answers changes nothing."""
    require_admin(actor)
    _check_min_responses(min_responses)

    def report(p: CalibrationProgress) -> None:
        if progress is not None:
            progress(p)

    bank_name, data = _read_answers(bank_id, min_responses, report)
    if len(data.items) - len(data.fixed) < MIN_FREE_ITEMS:
        raise _too_few(bank_name, data, min_responses)

    first: list[float] = []

    def on_iteration(iteration: int, change: float) -> None:
        if not first:
            first.append(change)
        report(_em_progress(iteration, change, first[0]))

    with _one_run_per_bank(bank_id):
        started = time.perf_counter()
        result = _estimate(data, on_iteration)
        seconds = time.perf_counter() - started
    run = CalibrationRun(
        run_id=uuid.uuid4().hex,
        bank_id=bank_id,
        bank_name=bank_name,
        created_at=utcnow(),
        created_by=actor.username,
        min_responses=min_responses,
        persons=data.persons,
        responses=data.responses,
        iterations=result.iterations,
        converged=result.converged,
        seconds=round(seconds, 2),
        items=tuple(_report_items(data, result)),
    )
    _save_run(run)
    report(CalibrationProgress("done", "Kalibrasi selesai.", 100, result.iterations))
    return run


def latest_calibration(*, actor: CurrentUser, bank_id: int) -> CalibrationRun | None:
    """The bank's pending run (not yet applied or discarded), if any."""
    require_admin(actor)
    return _load_run(bank_id)


def discard_calibration(*, actor: CurrentUser, bank_id: int) -> None:
    require_admin(actor)
    _run_path(bank_id).unlink(missing_ok=True)


def apply_calibration(
    *, actor: CurrentUser, bank_id: int, run_id: str, question_ids: Collection[int]
) -> ApplyResult:
    """Write the new parameters of the selected items of the pending run, and record the
    calibration on the bank, in one transaction; then the run is done with."""
    require_admin(actor)
    run = _load_run(bank_id)
    if run is None or run.run_id != run_id:
        raise Conflict(
            "Hasil kalibrasi ini sudah tidak berlaku (sudah diterapkan, dibuang, atau diganti "
            "kalibrasi yang lebih baru). Muat ulang halaman."
        )
    chosen = set(question_ids)
    if not chosen:
        raise InvalidInput("Pilih minimal satu soal yang parameternya akan diterapkan.")
    by_id = {i.question_id: i for i in run.items}
    not_estimated = sorted(q for q in chosen if q not in by_id or by_id[q].held_fixed)
    if not_estimated:
        raise InvalidInput(
            "Soal ini tidak diestimasi dalam kalibrasi ini: "
            + ", ".join(f"#{q}" for q in not_estimated)
        )
    with unit_of_work() as session:
        bank = stats_repo.get_bank(session=session, bank_id=bank_id)
        if bank is None:
            raise NotFound("Bank soal tidak ditemukan.")
        live = {q.id: q for q in question_repo.list_bank_items(session=session, bank_id=bank_id)}
        changed = sorted(
            q
            for q in chosen
            if q not in live
            or any(
                abs(now - then) > _SAME_PARAMS
                for now, then in zip(_old_params(live[q]), by_id[q].old, strict=True)
            )
        )
        if changed:
            raise Conflict(
                "Soal berikut sudah diubah atau dihapus sejak kalibrasi dijalankan: "
                + ", ".join(f"#{q}" for q in changed)
                + ". Jalankan kalibrasi ulang. Tidak ada yang diubah."
            )
        for question_id in sorted(chosen):
            question = live[question_id]
            _write_params(question, by_id[question_id].new)
            session.add(question)
        when = _mark_calibrated(bank, run.responses)
        session.add(bank)
        name = bank.name
    # Only after the commit: a failed transaction leaves the proposal to retry.
    _run_path(bank_id).unlink(missing_ok=True)
    return ApplyResult(
        bank_name=name, applied_count=len(chosen), calibration_date=when, sample_size=run.responses
    )
