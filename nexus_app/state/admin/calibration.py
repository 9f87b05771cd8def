"""State of /admin/calibration (admin only; every handler re-checks the role on the server).

The calibration itself runs in a worker thread from a background event; the page polls
its latest progress. The result lives on the server (the bank's pending run), so a reload
shows it again until it is applied or discarded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Callable

import reflex as rx
from reflex_base.event import EventHandler

from nexus_app.formatting import EMPTY
from nexus_app.services import calibration, timefmt
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import Choice, admin_event
from nexus_app.state.auth import AuthState

MIN_RESPONSE_CHOICES = ["10", "15", "20", "25", "30", "50", "100", "200", "500"]
# A change of b this large moves an item across a whole difficulty band: worth a look.
LARGE_B_CHANGE = 0.5
_POLL_SECONDS = 0.3


def _num(value: float, digits: int = 2) -> str:
    return EMPTY if not math.isfinite(value) else f"{value:.{digits}f}"


def _signed(value: float) -> str:
    return EMPTY if not math.isfinite(value) else f"{value:+.2f}"


def _triple(values: tuple[float, float, float], fmt: Callable[[float], str] = _num) -> str:
    return " / ".join(fmt(v) for v in values)


def _fit_label(item: calibration.ItemCalibration) -> str:
    if item.held_fixed:
        return "ditahan"
    return "tidak cocok" if item.misfit else "cocok"


@dataclasses.dataclass
class CalibrationRow:
    """One item of a calibration run, as the result table shows it."""

    id: str
    section: str
    text: str
    n: str
    old: str
    new: str
    change: str
    large: bool  # a change of b worth a second look
    se: str
    infit: str
    outfit: str
    fit: str
    held: bool  # kept at its reviewed values: not selectable
    well: bool  # fits well: selected by default


def _row(item: calibration.ItemCalibration) -> CalibrationRow:
    held = item.held_fixed
    return CalibrationRow(
        id=str(item.question_id),
        section=item.section + (f" · {item.sub_type}" if item.sub_type else ""),
        text=item.text,
        n=str(item.n_responses),
        old=_triple(item.old),
        new="sama (ditahan)" if held else _triple(item.new),
        change=EMPTY if held else _triple(item.change, _signed),
        large=not held and abs(item.change_b) >= LARGE_B_CHANGE,
        se=EMPTY if held else _triple(item.se),
        infit=_num(item.infit),
        outfit=_num(item.outfit),
        fit=_fit_label(item),
        held=held,
        well=item.well_fitting,
    )


def _bank_counts(
    actor: CurrentUser, bank_id: int, min_responses: int
) -> tuple[calibration.BankData, calibration.CalibrationRun | None]:
    """Runs in a worker thread (see `AdminCalibrationState.refresh_counts`)."""
    data = calibration.bank_data(actor=actor, bank_id=bank_id, min_responses=min_responses)
    return data, calibration.latest_calibration(actor=actor, bank_id=bank_id)


class _LatestProgress:
    """Written by the calibration thread, read by the event loop (one reference swap)."""

    def __init__(self) -> None:
        self.value: calibration.CalibrationProgress | None = None

    def put(self, value: calibration.CalibrationProgress) -> None:
        self.value = value


class AdminCalibrationState(AuthState):
    banks: rx.Field[list[Choice]] = rx.field(default_factory=list)
    bank_id: rx.Field[str] = rx.field("")
    min_responses: rx.Field[str] = rx.field(str(calibration.MIN_RESPONSES_PER_ITEM))
    min_choices: rx.Field[list[str]] = rx.field(default_factory=lambda: list(MIN_RESPONSE_CHOICES))

    bank_name: rx.Field[str] = rx.field("")
    bank_status: rx.Field[str] = rx.field("")
    bank_calibrated: rx.Field[bool] = rx.field(False)
    students: rx.Field[int] = rx.field(0)
    first_responses: rx.Field[int] = rx.field(0)
    items_ready: rx.Field[int] = rx.field(0)
    live_items: rx.Field[int] = rx.field(0)
    enough: rx.Field[bool] = rx.field(False)

    running: rx.Field[bool] = rx.field(False)
    # The progress card stays up after a run (at 100%) until the admin moves on.
    show_progress: rx.Field[bool] = rx.field(False)
    progress: rx.Field[int] = rx.field(0)
    progress_message: rx.Field[str] = rx.field("")

    run_id: rx.Field[str] = rx.field("")
    run_summary: rx.Field[str] = rx.field("")
    rows: rx.Field[list[CalibrationRow]] = rx.field(default_factory=list)
    selected: rx.Field[list[str]] = rx.field(default_factory=list)

    error: rx.Field[str] = rx.field("")
    success: rx.Field[str] = rx.field("")

    # Whether the next count refresh keeps the admin's item selection (same run shown again).
    _keep_selection: bool = True

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def low_minimum(self) -> bool:
        return self.min_responses.isdigit() and (
            int(self.min_responses) < calibration.MIN_RESPONSES_PER_ITEM
        )

    @admin_event
    def load(self, actor: CurrentUser) -> EventHandler | None:
        self.error = ""
        banks = calibration.list_banks(actor=actor)
        self.banks = [
            Choice(value=str(b.bank_id), label=f"{b.name} ({b.live_items} soal)") for b in banks
        ]
        if self.bank_id not in {b.value for b in self.banks}:
            self.bank_id = self.banks[0].value if self.banks else ""
        return self._refresh(keep_selection=True)

    def _refresh(self, *, keep_selection: bool) -> EventHandler | None:
        """Reload the chosen bank's counts and its pending run (if any) in `refresh_counts`:
        the counts read every answer of the bank, which must not hold up the event loop
        that serves every other user."""
        if not self.running:
            self.show_progress = False
        if not self.bank_id:
            self._clear_bank()
            return None
        self._keep_selection = keep_selection
        # `AdminCalibrationState.refresh_counts`, read where its type is known (EventHandler).
        return AdminCalibrationState.event_handlers["refresh_counts"]

    @rx.event(background=True)
    async def refresh_counts(self) -> None:
        async with self:
            actor = await self._require_async("admin")
            login_id = self._login_nonce
            bank_id, min_responses = self.bank_id, self.min_responses
            keep_selection = self._keep_selection
        if not bank_id.isdigit() or not min_responses.isdigit():
            return
        try:
            data, run = await asyncio.to_thread(
                _bank_counts, actor, int(bank_id), int(min_responses)
            )
        except ServiceError as exc:
            async with self:
                if self._same_login(login_id):
                    self.error = exc.message
            return
        async with self:
            # A slower refresh for an earlier choice must not overwrite a newer one.
            if (
                self._same_login(login_id)
                and self.bank_id == bank_id
                and self.min_responses == min_responses
            ):
                self._show_counts(data, run, keep_selection=keep_selection)

    def _show_counts(
        self,
        data: calibration.BankData,
        run: calibration.CalibrationRun | None,
        *,
        keep_selection: bool,
    ) -> None:
        bank = data.bank
        self.bank_name = bank.name
        self.bank_calibrated = bank.is_calibrated
        if bank.is_calibrated and bank.calibration_date is not None:
            self.bank_status = (
                f"Terkalibrasi {bank.calibration_date.isoformat()} "
                f"(sampel {bank.calibration_sample_size or 0} jawaban)"
            )
        else:
            self.bank_status = "Belum dikalibrasi"
        self.students = data.students
        self.first_responses = data.first_responses
        self.items_ready = data.items_ready
        self.live_items = bank.live_items
        self.enough = data.enough
        self._show_run(run, keep_selection=keep_selection)

    def _clear_bank(self) -> None:
        self.bank_name = ""
        self.bank_status = ""
        self.bank_calibrated = False
        self.students = self.first_responses = self.items_ready = self.live_items = 0
        self.enough = False
        self._show_run(None, keep_selection=False)

    def _show_run(self, run: calibration.CalibrationRun | None, *, keep_selection: bool) -> None:
        if run is None:
            self.run_id = ""
            self.run_summary = ""
            self.rows = []
            self.selected = []
            return
        same_run = run.run_id == self.run_id
        self.run_id = run.run_id
        converged = "konvergen" if run.converged else "BELUM konvergen"
        self.run_summary = (
            f"Dijalankan {timefmt.format_datetime(run.created_at)} oleh {run.created_by}: "
            f"{run.persons} siswa, {run.responses} jawaban pertama, minimal "
            f"{run.min_responses} jawaban per soal. {run.estimated} soal diestimasi "
            f"({run.misfitting} tidak cocok), {len(run.items) - run.estimated} ditahan. "
            f"EM {run.iterations} iterasi ({converged}), {run.seconds:.1f} detik."
        )
        self.rows = [_row(i) for i in run.items]
        if not (keep_selection and same_run):
            # A fresh result starts with the items that are safe to apply.
            self.selected = [r.id for r in self.rows if r.well]

    @admin_event
    def set_bank(self, value: str) -> EventHandler | None:
        self.bank_id = value
        self.error = ""
        self.success = ""
        # Not the previous bank's counts under the new bank's name while they load.
        self._clear_bank()
        return self._refresh(keep_selection=False)

    @admin_event
    def set_min_responses(self, value: str) -> EventHandler | None:
        if value not in MIN_RESPONSE_CHOICES:
            self.error = "Pilih batas minimal jawaban dari daftar."
            return None
        self.min_responses = value
        self.error = ""
        return self._refresh(keep_selection=True)

    @admin_event
    def toggle_item(self, question_id: str, checked: bool) -> None:
        rest = [q for q in self.selected if q != question_id]
        self.selected = [*rest, question_id] if checked else rest

    @admin_event
    def select_all(self) -> None:
        self.selected = [r.id for r in self.rows if not r.held]

    @admin_event
    def select_none(self) -> None:
        self.selected = []

    @admin_event
    def select_well_fitting(self) -> None:
        self.selected = [r.id for r in self.rows if r.well]

    @rx.event(background=True)
    async def run_calibration(self) -> None:
        async with self:
            actor = await self._require_async("admin")
            login_id = self._login_nonce
            if self.running or not self.bank_id:
                return
            bank_id, min_responses = int(self.bank_id), int(self.min_responses)
            self.running = True
            self.show_progress = True
            self.progress = 0
            self.progress_message = "Menyiapkan kalibrasi…"
            self.error = ""
            self.success = ""
        latest = _LatestProgress()
        task = asyncio.create_task(
            asyncio.to_thread(
                calibration.run_calibration,
                actor=actor,
                bank_id=bank_id,
                min_responses=min_responses,
                progress=latest.put,
            )
        )
        try:
            shown: calibration.CalibrationProgress | None = None
            while not task.done():
                await asyncio.wait({task}, timeout=_POLL_SECONDS)
                step = latest.value
                if step is not None and step is not shown:
                    shown = step
                    async with self:
                        if self._same_login(login_id):
                            self.progress = step.percent
                            self.progress_message = step.message
            run = task.result()
        except ServiceError as exc:
            async with self:
                if self._same_login(login_id):
                    self.error = exc.message
                    self.show_progress = False
        else:
            async with self:
                # The run is saved either way; only a tab still under this login shows it.
                if self._same_login(login_id):
                    self.progress = 100
                    self.progress_message = "Kalibrasi selesai."
                    if str(run.bank_id) == self.bank_id:
                        self._show_run(run, keep_selection=False)
        finally:
            async with self:
                if self._same_login(login_id):
                    self.running = False

    @admin_event(error="error")
    def apply_selected(self, actor: CurrentUser) -> EventHandler | None:
        self.error = ""
        self.success = ""
        if not self.run_id:
            self.error = "Belum ada hasil kalibrasi untuk diterapkan."
            return None
        result = calibration.apply_calibration(
            actor=actor,
            bank_id=int(self.bank_id),
            run_id=self.run_id,
            question_ids=[int(q) for q in self.selected],
        )
        self.success = (
            f"Parameter baru diterapkan pada {result.applied_count} soal. Bank "
            f"'{result.bank_name}' ditandai terkalibrasi pada "
            f"{result.calibration_date.isoformat()} dengan sampel {result.sample_size} jawaban."
        )
        return self._refresh(keep_selection=False)

    @admin_event
    def discard(self, actor: CurrentUser) -> EventHandler | None:
        self.error = ""
        if not self.bank_id:
            return None
        try:
            calibration.discard_calibration(actor=actor, bank_id=int(self.bank_id))
        except ServiceError as exc:
            self.error = exc.message
            return None
        self.success = "Hasil kalibrasi dibuang. Tidak ada parameter yang diubah."
        return self._refresh(keep_selection=False)
