"""State of /admin/banks (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

from datetime import date

import reflex as rx

from nexus_app.formatting import EMPTY
from nexus_app.services import bank_admin, bank_import
from nexus_app.services.auth import CurrentUser
from nexus_app.services.bank_admin import BankSummary
from nexus_app.services.bank_import import MAX_FILE_BYTES
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import Paged, admin_event, admin_setter
from nexus_app.state.auth import AuthState

UPLOAD_ID = "bank-upload"
EXCERPT_CHARS = 90


def _date(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value is not None else ""


def _bank_row(bank: BankSummary, section_order: list[str]) -> dict[str, str]:
    per_section = " · ".join(
        f"{code} {bank.by_section[code]}" for code in section_order if bank.by_section.get(code)
    )
    if bank.is_calibrated:
        calibrated = f"Ya ({_date(bank.calibration_date)}, n={bank.calibration_sample_size or 0})"
    else:
        calibrated = "Belum"
    return {
        "id": str(bank.id),
        "name": bank.name,
        "description": bank.description,
        "source": bank_admin.SOURCE_LABELS.get(bank.source, bank.source or EMPTY),
        "total": str(bank.total),
        "per_section": per_section or EMPTY,
        "reviewed": f"{bank.reviewed}/{bank.total}",
        "bank_reviewed": "Ya" if bank.is_reviewed else "Belum",
        "ambiguous": str(bank.ambiguous),
        "deleted": str(bank.deleted),
        "calibrated": calibrated,
    }


class AdminBanksState(Paged, AuthState):
    banks: list[dict[str, str]] = []
    sections: list[dict[str, str]] = []
    error: str = ""
    success: str = ""

    new_name: str = ""
    new_description: str = ""
    new_source: str = "user_created"

    selected_bank_id: int = 0
    selected_bank_name: str = ""
    skip_invalid: bool = False
    import_errors: list[str] = []
    import_message: str = ""
    import_error: str = ""

    filter_section: str = ""
    filter_status: str = ""
    total_items: int = 0
    items: list[dict[str, str]] = []

    @rx.var
    def source_options(self) -> list[dict[str, str]]:
        return [
            {"value": value, "label": bank_admin.SOURCE_LABELS[value]}
            for value in bank_admin.BANK_SOURCES
        ]

    @rx.var
    def status_options(self) -> list[dict[str, str]]:
        return [
            {"value": value, "label": label} for value, label in bank_admin.STATUS_LABELS.items()
        ]

    @rx.var
    def page_label(self) -> str:
        return f"Halaman {self.page} dari {self.page_count} ({self.total_items} soal)"

    def _load_banks(self) -> None:
        actor = self.require("admin")
        sections = bank_admin.list_sections(actor=actor)
        self.sections = [{"code": c, "label": f"{c} – {n}"} for c, n in sections]
        order = [c for c, _ in sections]
        self.banks = [_bank_row(b, order) for b in bank_admin.list_banks(actor=actor)]

    def _load_page(self, actor: CurrentUser) -> None:
        self._load_items(actor)

    def _load_items(self, actor: CurrentUser | None = None) -> None:
        actor = actor or self.require("admin")
        if not self.selected_bank_id:
            self.items, self.total_items, self.page, self.page_count = [], 0, 1, 1
            return
        try:
            result = bank_admin.list_items(
                actor=actor,
                bank_id=self.selected_bank_id,
                section=self.filter_section,
                status=self.filter_status,
                page=self.page,
            )
        except ServiceError as exc:
            self.error = exc.message
            self.selected_bank_id = 0
            self.items = []
            return
        self.selected_bank_name = result.bank.name
        self.page, self.page_count, self.total_items = result.page, result.pages, result.total
        self.items = [
            {
                "id": str(r.question_id),
                "section": r.section,
                "sub_type": r.sub_type or EMPTY,
                "text": r.text
                if len(r.text) <= EXCERPT_CHARS
                else r.text[: EXCERPT_CHARS - 1] + "…",
                "key": r.correct_answer,
                "difficulty": EMPTY if r.difficulty is None else f"{r.difficulty:.2f}",
                "status": r.status,
                "status_label": bank_admin.STATUS_LABELS.get(r.status, r.status),
                "approvals": f"{r.approvals}/2",
                "last_review": bank_admin.REVIEW_LABELS.get(r.last_review, EMPTY),
            }
            for r in result.rows
        ]

    @admin_event
    def load(self) -> None:
        self.error = self.success = ""
        self._reset_import()
        self._load_banks()
        # "Kembali ke bank" from the item editor links here with ?bank=ID.
        wanted = self.router.url.query_parameters.get("bank", "")
        ids = [b["id"] for b in self.banks]
        if wanted in ids:
            self.selected_bank_id, self.page = int(wanted), 1
        elif str(self.selected_bank_id) not in ids:
            self.selected_bank_id = int(ids[0]) if ids else 0
        self._load_items()

    def _reset_import(self) -> None:
        self.import_errors, self.import_message, self.import_error = [], "", ""

    set_new_name = admin_setter("new_name", str)

    set_new_description = admin_setter("new_description", str)

    set_new_source = admin_setter("new_source", str)

    @admin_event(error="error")
    def create_bank(self, actor: CurrentUser) -> None:
        self.error = self.success = ""
        bank = bank_admin.create_bank(
            actor=actor,
            name=self.new_name,
            description=self.new_description,
            source=self.new_source,
        )
        self.success = f"Bank soal '{bank.name}' dibuat. Impor soal ke dalamnya di bawah."
        self.new_name = self.new_description = ""
        self._load_banks()
        self.selected_bank_id, self.page = bank.id, 1
        self.filter_section = self.filter_status = ""
        self._reset_import()
        self._load_items()

    @admin_event
    def open_bank(self, bank_id: str) -> None:
        self.error = self.success = ""
        self.selected_bank_id = int(bank_id) if str(bank_id).isdigit() else 0
        self.page = 1
        self.filter_section = self.filter_status = ""
        self._reset_import()
        self._load_items()

    @admin_event
    def download_template(self):
        """The import template, built next to the importer's columns so it cannot drift."""
        return rx.download(data=bank_import.csv_template(), filename=bank_import.TEMPLATE_FILENAME)

    @admin_event
    def set_skip_invalid(self, value: bool) -> None:
        self.skip_invalid = bool(value)

    @admin_event
    async def import_file(self, actor: CurrentUser, files: list[rx.UploadFile]):
        self._reset_import()
        self.error = self.success = ""
        if not self.selected_bank_id:
            self.import_error = "Pilih bank soal tujuan dulu."
            return None
        if not files:
            self.import_error = "Pilih berkas .csv atau .json dulu."
            return None
        upload = files[0]
        # Read one byte past the limit: enough to refuse an oversized file without
        # holding all of it in memory.
        data = await upload.read(MAX_FILE_BYTES + 1)
        try:
            result = bank_admin.import_into_bank(
                actor=actor,
                bank_id=self.selected_bank_id,
                filename=upload.name or "",
                data=data,
                skip_invalid=self.skip_invalid,
            )
        except ServiceError as exc:
            self.import_error = exc.message
            return None
        self.import_errors = list(result.errors)
        if result.errors and not self.skip_invalid:
            self.import_error = (
                f"{len(result.errors)} baris salah; tidak ada soal yang diimpor. Perbaiki "
                "berkasnya, atau centang 'lewati baris yang salah' untuk mengimpor yang benar saja."
            )
            return None
        self.import_message = f"{result.imported} soal diimpor ke '{result.bank_name}'" + (
            f", {result.skipped} baris salah dilewati." if result.skipped else "."
        )
        self._load_banks()
        self.filter_section = self.filter_status = ""
        self.page = 1
        self._load_items()
        return rx.clear_selected_files(UPLOAD_ID)

    @admin_event
    def set_filter_section(self, value: str) -> None:
        self.filter_section, self.page = value, 1
        self._load_items()

    @admin_event
    def set_filter_status(self, value: str) -> None:
        self.filter_status, self.page = value, 1
        self._load_items()
