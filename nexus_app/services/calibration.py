"""Recalibrate a bank's 3PL parameters from the answers students have given.

Each student's first answer to each item is one record of the sparse `Answers` the engine
estimates from (never a persons × items matrix: a platform-sized bank has 100,000 students
and 5 M answers); the answers are read from the database in chunks.
Items with too few answers cannot be estimated: they are held at their current values and
so also anchor the scale (linking), and the others are estimated by MML-EM with priors.
Nothing changes until the result is applied.

Two callers:

* `calibrate_bank` (the `nexus irt calibrate` CLI): estimate and optionally apply in one go.
* the admin page: `run_calibration` estimates and keeps the result as the bank's pending
  run, `apply_calibration` writes the items the admin selected from it (one transaction),
  `discard_calibration` drops it.

The pending run is a JSON file per bank in `<data dir>/calibration/`, not a database row:
it is a large, throw-away proposal (one record per item, SEs and fit) that must survive a
page reload or a server restart but has no business in backups, and the data folder is
already the server's place for such files. Applying checks that every selected item still
has the parameters the run started from, so a stale proposal can never overwrite an edit
made after it.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session

from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.engine.calibration import Answers, CalibrationResult, calibrate_answers
from nexus_app.models import Question, QuestionBank, utcnow
from nexus_app.repositories import item_stats as stats_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput, NotFound

MIN_RESPONSES_PER_ITEM = 30
# The admin may go lower (a small school), but below this the priors decide everything.
MIN_RESPONSES_FLOOR = 10
MAX_RESPONSES_SETTING = 100_000
MIN_FREE_ITEMS = 2
DEFAULT_A, DEFAULT_B, DEFAULT_C = 1.0, 0.0, 0.2
EM_TOLERANCE = 1e-4
EM_MAX_ITER = 500
TEXT_PREVIEW_CHARS = 90
RUN_FORMAT = 1
# Parameters read back from the database equal what was written up to float noise.
_SAME_PARAMS = 1e-9


@dataclass(frozen=True)
class ItemCalibration:
    question_id: int
    section: str
    sub_type: str
    n_responses: int
    held_fixed: bool
    old: tuple[float, float, float]
    new: tuple[float, float, float]
    se: tuple[float, float, float]  # nan for held items
    infit: float  # nan when nobody answered the item
    outfit: float
    misfit: bool
    chi2_p: float = math.nan  # nan with fewer than 80 answers (too few for the grouping)
    text: str = ""

    @property
    def change(self) -> tuple[float, float, float]:
        return (
            self.new[0] - self.old[0],
            self.new[1] - self.old[1],
            self.new[2] - self.old[2],
        )

    @property
    def change_b(self) -> float:
        return self.new[1] - self.old[1]

    @property
    def well_fitting(self) -> bool:
        """Estimated and not flagged by the fit statistics: safe to apply."""
        return not self.held_fixed and not self.misfit


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


@dataclass(frozen=True)
class CalibrationRun:
    """A pending calibration of one bank: the proposal the admin applies from."""

    run_id: str
    bank_id: int
    bank_name: str
    created_at: datetime
    created_by: str
    min_responses: int
    persons: int
    responses: int
    iterations: int
    converged: bool
    seconds: float
    items: tuple[ItemCalibration, ...]

    @property
    def estimated(self) -> int:
        return sum(1 for i in self.items if not i.held_fixed)

    @property
    def misfitting(self) -> int:
        return sum(1 for i in self.items if not i.held_fixed and i.misfit)


@dataclass(frozen=True)
class CalibrationProgress:
    """What the page shows while a run is busy."""

    stage: str  # "data", "em", "finish", "done"
    message: str
    percent: int
    iteration: int = 0
    change: float = math.nan


@dataclass(frozen=True)
class BankChoice:
    bank_id: int
    name: str
    live_items: int
    is_calibrated: bool
    calibration_date: date | None
    calibration_sample_size: int | None


@dataclass(frozen=True)
class BankData:
    """How much a bank's calibration would have to work with."""

    bank: BankChoice
    students: int
    first_responses: int
    items_answered: int
    items_ready: int  # items with at least min_responses first answers
    min_responses: int

    @property
    def enough(self) -> bool:
        return self.items_ready >= MIN_FREE_ITEMS


@dataclass(frozen=True)
class ApplyResult:
    bank_name: str
    applied_count: int
    calibration_date: date
    sample_size: int


ProgressSink = Callable[[CalibrationProgress], None]


# --- estimation shared by the CLI and the admin page ----------------------------------------


def _old_params(q: Question) -> tuple[float, float, float]:
    a, b, c = q.discrimination, q.difficulty_irt, q.guessing_param
    return (
        float(a if a is not None else DEFAULT_A),
        float(b if b is not None else DEFAULT_B),
        float(c if c is not None else DEFAULT_C),
    )


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
                text=text
                if len(text) <= TEXT_PREVIEW_CHARS
                else text[: TEXT_PREVIEW_CHARS - 1] + "…",
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


def _thousands(n: int) -> str:
    """12345 -> '12.345' (Indonesian digit grouping)."""
    return f"{n:,}".replace(",", ".")


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

    report(CalibrationProgress("data", "Mengumpulkan jawaban siswa…", 2))

    def on_chunk(loaded: int) -> None:
        # A platform-sized bank takes a while to read: show the count growing.
        report(
            CalibrationProgress(
                "data", f"Mengumpulkan jawaban siswa… {_thousands(loaded)} jawaban terbaca", 2
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
            f"{_thousands(data.responses)} jawaban pertama dari {_thousands(data.persons)} "
            "siswa terbaca; memulai EM…",
            4,
        )
    )
    if len(data.items) - len(data.fixed) < MIN_FREE_ITEMS:
        raise _too_few(bank_name, data, min_responses)

    first: list[float] = []

    def on_iteration(iteration: int, change: float) -> None:
        if not first:
            first.append(change)
        done = change < EM_TOLERANCE or iteration >= EM_MAX_ITER
        if done:
            report(
                CalibrationProgress(
                    "finish",
                    "EM selesai; menghitung galat baku dan kecocokan butir…",
                    88,
                    iteration,
                    change,
                )
            )
        else:
            report(
                CalibrationProgress(
                    "em",
                    f"Iterasi EM {iteration}: perubahan parameter terbesar {change:.4f}",
                    _em_percent(iteration, change, first[0]),
                    iteration,
                    change,
                )
            )

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


# --- the pending run on disk ------------------------------------------------------------------


def _run_path(bank_id: int) -> Path:
    return get_settings().data_dir / "calibration" / f"bank-{int(bank_id)}.json"


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _item_to_json(item: ItemCalibration) -> dict[str, Any]:
    raw = asdict(item)
    raw["se"] = [_finite_or_none(v) for v in item.se]
    for key in ("infit", "outfit", "chi2_p"):
        raw[key] = _finite_or_none(raw[key])
    return raw


def _item_from_json(raw: dict[str, Any]) -> ItemCalibration:
    def num(value: float | None) -> float:
        return math.nan if value is None else float(value)

    return ItemCalibration(
        question_id=int(raw["question_id"]),
        section=str(raw["section"]),
        sub_type=str(raw["sub_type"]),
        n_responses=int(raw["n_responses"]),
        held_fixed=bool(raw["held_fixed"]),
        old=tuple(float(v) for v in raw["old"]),  # type: ignore[arg-type]
        new=tuple(float(v) for v in raw["new"]),  # type: ignore[arg-type]
        se=tuple(num(v) for v in raw["se"]),  # type: ignore[arg-type]
        infit=num(raw["infit"]),
        outfit=num(raw["outfit"]),
        misfit=bool(raw["misfit"]),
        chi2_p=num(raw["chi2_p"]),
        text=str(raw["text"]),
    )


def _save_run(run: CalibrationRun) -> None:
    path = _run_path(run.bank_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": RUN_FORMAT,
        "run_id": run.run_id,
        "bank_id": run.bank_id,
        "bank_name": run.bank_name,
        "created_at": run.created_at.isoformat(),
        "created_by": run.created_by,
        "min_responses": run.min_responses,
        "persons": run.persons,
        "responses": run.responses,
        "iterations": run.iterations,
        "converged": run.converged,
        "seconds": run.seconds,
        "items": [_item_to_json(i) for i in run.items],
    }
    # Write then rename: a reader never sees half a file, even if the server stops midway.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(payload, allow_nan=False), encoding="utf-8")
    os.replace(tmp, path)


def _load_run(bank_id: int) -> CalibrationRun | None:
    path = _run_path(bank_id)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != RUN_FORMAT or int(raw["bank_id"]) != bank_id:
            return None
        return CalibrationRun(
            run_id=str(raw["run_id"]),
            bank_id=int(raw["bank_id"]),
            bank_name=str(raw["bank_name"]),
            created_at=datetime.fromisoformat(raw["created_at"]),
            created_by=str(raw["created_by"]),
            min_responses=int(raw["min_responses"]),
            persons=int(raw["persons"]),
            responses=int(raw["responses"]),
            iterations=int(raw["iterations"]),
            converged=bool(raw["converged"]),
            seconds=float(raw["seconds"]),
            items=tuple(_item_from_json(i) for i in raw["items"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # An unreadable proposal is as good as none: the admin simply runs it again.
        return None
