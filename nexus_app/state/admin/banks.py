"""State of /admin/banks (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date

import reflex as rx
from reflex_base.event import EventSpec

from nexus_app.formatting import EMPTY
from nexus_app.services import bank_admin, bank_import
from nexus_app.services.auth import CurrentUser
from nexus_app.services.bank_admin import BankSummary, ItemRow
from nexus_app.services.bank_import import MAX_FILE_BYTES
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import Paged, admin_event, admin_setter
from nexus_app.state.admin.question import ChoiceOption, SectionOption
from nexus_app.state.auth import AuthState

UPLOAD_ID = "bank-upload"
EXCERPT_CHARS = 90


def _date(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value is not None else ""


@dataclasses.dataclass
class BankListRow:
    id: int = 0
    name: str = ""
    description: str = ""
    source: str = ""
    total: str = ""
    per_section: str = ""
    reviewed: str = ""
    bank_reviewed: str = ""
    ambiguous: str = ""
    deleted: str = ""
    calibrated: str = ""


@dataclasses.dataclass
class ItemListRow:
    id: int = 0
    section: str = ""
    sub_type: str = ""
    text: str = ""
    key: str = ""
    difficulty: str = ""
    status: str = ""
    status_label: str = ""
    approvals: str = ""
    last_review: str = ""
    # Why this admin may not approve it now ("" when she may); only then can it be selected.
    approval_refusal: str = ""
    can_approve: bool = False


def _bank_row(bank: BankSummary, section_order: list[str]) -> BankListRow:
    per_section = " · ".join(
        f"{code} {bank.by_section[code]}" for code in section_order if bank.by_section.get(code)
    )
    if bank.is_calibrated:
        calibrated = f"Ya ({_date(bank.calibration_date)}, n={bank.calibration_sample_size or 0})"
    else:
        calibrated = "Belum"
    return BankListRow(
        id=bank.id,
        name=bank.name,
        description=bank.description,
        source=bank_admin.SOURCE_LABELS.get(bank.source, bank.source or EMPTY),
        total=str(bank.total),
        per_section=per_section or EMPTY,
        reviewed=f"{bank.reviewed}/{bank.total}",
        bank_reviewed="Ya" if bank.is_reviewed else "Belum",
        ambiguous=str(bank.ambiguous),
        deleted=str(bank.deleted),
        calibrated=calibrated,
    )


def _item_row(r: ItemRow) -> ItemListRow:
    return ItemListRow(
        id=r.question_id,
        section=r.section,
        sub_type=r.sub_type or EMPTY,
        text=r.text if len(r.text) <= EXCERPT_CHARS else r.text[: EXCERPT_CHARS - 1] + "…",
        key=r.correct_answer,
        difficulty=EMPTY if r.difficulty is None else f"{r.difficulty:.2f}",
        status=r.status,
        status_label=bank_admin.STATUS_LABELS.get(r.status, r.status),
        approvals=f"{r.approvals}/2",
        last_review=bank_admin.REVIEW_LABELS.get(r.last_review, EMPTY),
        approval_refusal=r.approval_refusal,
        can_approve=r.status in ("draft", "pending") and not r.approval_refusal,
    )


class AdminBanksState(Paged, AuthState):
    banks: rx.Field[list[BankListRow]] = rx.field(default_factory=list)
    sections: rx.Field[list[SectionOption]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    success: rx.Field[str] = rx.field("")

    new_name: rx.Field[str] = rx.field("")
    new_description: rx.Field[str] = rx.field("")
    new_source: rx.Field[str] = rx.field("user_created")

    selected_bank_id: rx.Field[int] = rx.field(0)
    selected_bank_name: rx.Field[str] = rx.field("")
    skip_invalid: rx.Field[bool] = rx.field(False)
    import_errors: rx.Field[list[str]] = rx.field(default_factory=list)
    import_message: rx.Field[str] = rx.field("")
    import_error: rx.Field[str] = rx.field("")

    filter_section: rx.Field[str] = rx.field("")
    filter_status: rx.Field[str] = rx.field("")
    total_items: rx.Field[int] = rx.field(0)
    items: rx.Field[list[ItemListRow]] = rx.field(default_factory=list)

    # The review queue of the open bank (what this admin may approve) and its first item.
    queue_count: rx.Field[int] = rx.field(0)
    queue_first_id: rx.Field[int] = rx.field(0)
    # Bulk approval: the ticked items of this page, and what the last approval did.
    selected_ids: rx.Field[list[int]] = rx.field(default_factory=list)
    bulk_message: rx.Field[str] = rx.field("")
    bulk_error: rx.Field[str] = rx.field("")
    bulk_refusals: rx.Field[list[str]] = rx.field(default_factory=list)

    @rx.var
    def source_options(self) -> list[ChoiceOption]:
        return [
            ChoiceOption(value=value, label=bank_admin.SOURCE_LABELS[value])
            for value in bank_admin.BANK_SOURCES
        ]

    @rx.var
    def status_options(self) -> list[ChoiceOption]:
        return [
            ChoiceOption(value=value, label=label)
            for value, label in bank_admin.STATUS_LABELS.items()
        ]

    @rx.var
    def selectable_count(self) -> int:
        return sum(1 for r in self.items if r.can_approve)

    @rx.var
    def all_selected(self) -> bool:
        chosen = set(self.selected_ids)
        selectable = [r.id for r in self.items if r.can_approve]
        return bool(selectable) and all(i in chosen for i in selectable)

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected_ids)

    @rx.var
    def page_label(self) -> str:
        return f"Halaman {self.page} dari {self.page_count} ({self.total_items} soal)"

    def _load_banks(self) -> None:
        actor = self._require_reused("admin")
        sections = bank_admin.list_sections(actor=actor)
        self.sections = [SectionOption(code=c, label=f"{c} – {n}") for c, n in sections]
        order = [c for c, _ in sections]
        self.banks = [_bank_row(b, order) for b in bank_admin.list_banks(actor=actor)]

    def _load_page(self, actor: CurrentUser) -> None:
        self._load_items(actor)

    def _load_items(self, actor: CurrentUser | None = None) -> None:
        actor = actor or self._require_reused("admin")
        self.selected_ids = []
        if not self.selected_bank_id:
            self.items, self.total_items, self.page, self.page_count = [], 0, 1, 1
            self.queue_count = self.queue_first_id = 0
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
        self.items = [_item_row(r) for r in result.rows]
        queue = bank_admin.review_queue(actor=actor, bank_id=self.selected_bank_id)
        self.queue_count = queue.count
        self.queue_first_id = queue.question_ids[0] if queue.question_ids else 0

    @admin_event
    def load(self) -> None:
        self.error = self.success = ""
        self._reset_import()
        self._reset_bulk()
        self._load_banks()
        # "Kembali ke bank" from the item editor links here with ?bank=ID.
        wanted = self.router.url.query_parameters.get("bank", "")
        ids = [b.id for b in self.banks]
        if wanted.isdigit() and int(wanted) in ids:
            self.selected_bank_id, self.page = int(wanted), 1
        elif self.selected_bank_id not in ids:
            self.selected_bank_id = ids[0] if ids else 0
        self._load_items()

    def _reset_import(self) -> None:
        self.import_errors, self.import_message, self.import_error = [], "", ""

    def _reset_bulk(self) -> None:
        self.bulk_message, self.bulk_error, self.bulk_refusals = "", "", []

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
    def open_bank(self, bank_id: int) -> None:
        self.error = self.success = ""
        self._reset_bulk()
        self.selected_bank_id = int(bank_id) if str(bank_id).isdigit() else 0
        self.page = 1
        self.filter_section = self.filter_status = ""
        self._reset_import()
        self._load_items()

    @admin_event
    def toggle_item(self, question_id: int, checked: bool) -> None:
        """Tick or untick an item of this page for the bulk approval (only items this admin
        may approve can be ticked)."""
        allowed = {r.id for r in self.items if r.can_approve}
        rest = [i for i in self.selected_ids if i != question_id]
        self.selected_ids = [*rest, question_id] if checked and question_id in allowed else rest

    @admin_event
    def toggle_all(self, checked: bool) -> None:
        self.selected_ids = [r.id for r in self.items if r.can_approve] if checked else []

    @admin_event(error="bulk_error")
    def approve_selected(self, actor: CurrentUser) -> None:
        """The second reviewer's bulk approval: the same rules as one approval, item by item
        (an item the rules refuse is listed with its reason; the others are approved)."""
        self._reset_bulk()
        self.error = self.success = ""
        result = bank_admin.approve_many(actor=actor, question_ids=list(self.selected_ids))
        parts = [f"{len(result.approved)} soal disetujui"]
        if result.completed:
            parts.append(f"{len(result.completed)} di antaranya kini lengkap dua persetujuan")
        self.bulk_message = ", ".join(parts) + "."
        self.bulk_refusals = [f"Soal #{qid}: {reason}" for qid, reason in result.refused]
        self._load_banks()
        self._load_items(actor)

    @admin_event
    def download_template(self) -> EventSpec:
        """The import template, built next to the importer's columns so it cannot drift."""
        return rx.download(data=bank_import.csv_template(), filename=bank_import.TEMPLATE_FILENAME)

    @admin_event
    def set_skip_invalid(self, value: bool) -> None:
        self.skip_invalid = bool(value)

    @admin_event
    async def import_file(self, actor: CurrentUser, files: list[rx.UploadFile]) -> EventSpec | None:
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
            result = await asyncio.to_thread(
                bank_admin.import_into_bank,
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
        await asyncio.to_thread(self._load_banks)
        self.filter_section = self.filter_status = ""
        self.page = 1
        await asyncio.to_thread(self._load_items)
        cleared: EventSpec = rx.clear_selected_files(UPLOAD_ID)
        return cleared

    @admin_event
    def set_filter_section(self, value: str) -> None:
        self._reset_bulk()
        self.filter_section, self.page = value, 1
        self._load_items()

    @admin_event
    def set_filter_status(self, value: str) -> None:
        self._reset_bulk()
        self.filter_status, self.page = value, 1
        self._load_items()
