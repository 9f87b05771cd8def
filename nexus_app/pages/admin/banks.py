"""/admin/banks: question banks (counts, create, import) and the items of one bank."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.admin import admin_page, error_callout, success_callout
from nexus_app.components.csv_import import csv_import_panel
from nexus_app.components.shell import BRAND_COLOR, SELECT_STYLE
from nexus_app.components.tables import pager
from nexus_app.components.values import either, match_value
from nexus_app.state.admin.banks import UPLOAD_ID, AdminBanksState, BankListRow, ItemListRow
from nexus_app.state.admin.sections import SECTION

STATUS_COLORS = {
    "draft": "gray",
    "pending": "amber",
    "reviewed": "green",
    "ambiguous": "orange",
    "deleted": "red",
}


def _bank_table() -> rx.Component:
    state = AdminBanksState
    headers = [
        "Nama",
        "Sumber",
        "Total",
        "Per subtes",
        "Direview",
        "Ambigu",
        "Dihapus",
        "Bank direview",
        "Kalibrasi",
        "",
    ]

    def row(bank: ObjectVar[BankListRow]) -> rx.Component:
        return rx.table.row(
            rx.table.cell(rx.text(bank.name, weight="medium")),
            rx.table.cell(bank.source),
            rx.table.cell(bank.total),
            rx.table.cell(bank.per_section),
            rx.table.cell(bank.reviewed),
            rx.table.cell(bank.ambiguous),
            rx.table.cell(bank.deleted),
            rx.table.cell(bank.bank_reviewed),
            rx.table.cell(bank.calibrated),
            rx.table.cell(
                rx.button(
                    "Lihat soal",
                    size="1",
                    variant=either(bank.id == state.selected_bank_id, "solid", "soft"),
                    on_click=AdminBanksState.open_bank(bank.id),
                    id="open-bank-" + bank.id.to_string(),
                    white_space="nowrap",
                )
            ),
            id="bank-row-" + bank.id.to_string(),
            class_name="bank-row",
        )

    return rx.cond(
        state.banks.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(state.banks, row)),
            variant="surface",
            size="1",
            width="100%",
            id="bank-table",
        ),
        rx.text("Belum ada bank soal. Buat satu di bawah.", color_scheme="gray"),
    )


def _create_form() -> rx.Component:
    state = AdminBanksState
    return rx.card(
        rx.vstack(
            rx.heading("Buat bank soal", size="4"),
            rx.flex(
                rx.input(
                    placeholder="Nama bank (unik), mis. Tryout Oktober 2026",
                    value=state.new_name,
                    on_change=state.set_new_name,
                    id="bank-name",
                    max_length=255,
                    min_width="min(320px, 100%)",
                ),
                rx.el.select(
                    rx.foreach(
                        state.source_options,
                        lambda o: rx.el.option(o.label, value=o.value),
                    ),
                    value=state.new_source,
                    on_change=state.set_new_source,
                    id="bank-source",
                    style=SELECT_STYLE,
                ),
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.text_area(
                placeholder="Deskripsi (opsional): asal soal, tahun, catatan untuk reviewer",
                value=state.new_description,
                on_change=state.set_new_description,
                id="bank-description",
                rows="2",
                width="100%",
            ),
            rx.button(
                "Buat bank",
                on_click=state.create_bank,
                id="create-bank",
                color_scheme=BRAND_COLOR,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _import_panel() -> rx.Component:
    state = AdminBanksState
    return csv_import_panel(
        heading="Impor soal dari CSV atau JSON",
        help_text=(
            "Kolom wajib: section, text, option_a … option_e, correct_answer. Opsional: "
            "sub_type, explanation, explanation_en, strategy_tip, related_concept, "
            "discrimination, difficulty, guessing (kosong = nilai bawaan). Berkas UTF-8, "
            "maksimal 5 MB. Semua baris diperiksa dulu: jika ada yang salah, tidak ada yang "
            "diimpor, kecuali Anda memilih melewati baris yang salah."
        ),
        drop_prompt="Seret berkas .csv / .json ke sini, atau klik untuk memilih.",
        submit_label="Impor ke bank ini",
        upload_id=UPLOAD_ID,
        ids="",
        on_template=state.download_template,
        on_import=state.import_file,
        skip_invalid=state.skip_invalid,
        on_skip_change=state.set_skip_invalid,
        import_error=state.import_error,
        import_message=state.import_message,
        import_errors=state.import_errors,
    )


def _item_row(item: ObjectVar[ItemListRow]) -> rx.Component:
    state = AdminBanksState
    item_id = item.id.to_string()
    return rx.table.row(
        rx.table.cell(
            rx.cond(
                item.can_approve,
                rx.checkbox(
                    checked=state.selected_ids.contains(item.id),
                    on_change=lambda checked: state.toggle_item(item.id, checked),
                    id="select-item-" + item_id,
                    aria_label="Pilih soal #" + item_id,
                ),
                rx.cond(
                    item.approval_refusal != "",
                    rx.tooltip(
                        rx.icon("user-x", size=16, color=rx.color("amber", 10)),
                        content=item.approval_refusal,
                    ),
                ),
            )
        ),
        rx.table.cell(item.id),
        rx.table.cell(item.section),
        rx.table.cell(item.sub_type),
        rx.table.cell(rx.text(item.text, size="2")),
        rx.table.cell(item.key),
        rx.table.cell(item.difficulty),
        rx.table.cell(
            rx.badge(
                item.status_label,
                color_scheme=match_value(
                    item.status,
                    *[(k, v) for k, v in STATUS_COLORS.items()],
                    default="gray",
                ),
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(item.approvals),
                rx.cond(
                    item.approval_refusal != "",
                    rx.text(
                        "Persetujuan pertama dari Anda",
                        size="1",
                        color_scheme="amber",
                        id="item-refusal-" + item_id,
                    ),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(item.last_review),
        rx.table.cell(
            rx.link(
                rx.button("Ubah / review", size="1", variant="soft"),
                href="/admin/questions/" + item_id,
                id="edit-question-" + item_id,
                underline="none",
            )
        ),
        class_name="item-row",
    )


def _review_tools() -> rx.Component:
    """The review queue (one item after another in the editor) and the bulk approval."""
    state = AdminBanksState
    return rx.card(
        rx.vstack(
            rx.heading("Review", size="4"),
            rx.flex(
                rx.text(
                    "Antrean review Anda: ",
                    rx.text.strong(state.queue_count),
                    " soal menunggu persetujuan Anda.",
                    size="2",
                    id="review-queue-count",
                ),
                rx.cond(
                    state.queue_first_id > 0,
                    rx.link(
                        rx.button(rx.icon("play", size=16), "Mulai review", size="2"),
                        href="/admin/questions/" + state.queue_first_id.to_string(),
                        id="start-review-queue",
                        underline="none",
                    ),
                ),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                "Di editor, 'Setujui & berikutnya' menyetujui soal lalu membuka soal berikutnya "
                "di antrean. Untuk reviewer kedua: centang soal di halaman ini lalu setujui "
                "sekaligus. Soal yang persetujuan pertamanya dari Anda tidak bisa dicentang: "
                "persetujuan kedua harus dari reviewer lain.",
                size="1",
                color_scheme="gray",
            ),
            rx.flex(
                rx.checkbox(
                    "Pilih semua di halaman ini",
                    checked=state.all_selected,
                    on_change=state.toggle_all,
                    disabled=state.selectable_count == 0,
                    id="select-all-items",
                ),
                rx.button(
                    rx.icon("check-check", size=16),
                    "Setujui yang dipilih (",
                    state.selected_count,
                    ")",
                    on_click=state.approve_selected,
                    disabled=state.selected_count == 0,
                    id="bulk-approve",
                    color_scheme="green",
                ),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            error_callout(state.bulk_error, "bulk-error"),
            success_callout(state.bulk_message, "bulk-success"),
            rx.cond(
                state.bulk_refusals.length() > 0,
                rx.box(
                    rx.text("Tidak disetujui:", weight="medium", size="2"),
                    rx.foreach(
                        state.bulk_refusals,
                        lambda line: rx.text(line, size="2", class_name="bulk-refusal"),
                    ),
                    id="bulk-refusals",
                    padding="0.8em",
                    border_radius="6px",
                    background_color=rx.color("amber", 2),
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _items() -> rx.Component:
    state = AdminBanksState
    return rx.vstack(
        rx.heading("Soal di bank: ", state.selected_bank_name, size="5", id="items-heading"),
        _import_panel(),
        _review_tools(),
        rx.hstack(
            rx.el.select(
                rx.el.option("Semua subtes", value=""),
                rx.foreach(state.sections, lambda s: rx.el.option(s.label, value=s.code)),
                value=state.filter_section,
                on_change=state.set_filter_section,
                id="items-section",
                style=SELECT_STYLE,
            ),
            rx.el.select(
                rx.el.option("Semua yang belum dihapus", value=""),
                rx.foreach(state.status_options, lambda o: rx.el.option(o.label, value=o.value)),
                value=state.filter_status,
                on_change=state.set_filter_status,
                id="items-status",
                style=SELECT_STYLE,
            ),
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            state.items.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in [
                                "",
                                "ID",
                                "Subtes",
                                "Topik",
                                "Soal",
                                "Kunci",
                                "b",
                                "Status",
                                "Persetujuan",
                                "Review terakhir",
                                "",
                            ]
                        ]
                    )
                ),
                rx.table.body(rx.foreach(state.items, _item_row)),
                variant="surface",
                size="1",
                width="100%",
                id="items-table",
            ),
            rx.text("Tidak ada soal yang cocok dengan filter ini.", color_scheme="gray"),
        ),
        pager(state, "items", state.page_label),
        spacing="4",
        width="100%",
        id="bank-items",
    )


def _content() -> rx.Component:
    state = AdminBanksState
    return rx.vstack(
        rx.text(
            "Soal hanya muncul di latihan siswa setelah disetujui dua reviewer berbeda, tidak "
            "ditandai ambigu, dan tidak dihapus.",
            color_scheme="gray",
        ),
        error_callout(state.error, "banks-error"),
        success_callout(state.success, "banks-success"),
        _bank_table(),
        _create_form(),
        rx.cond(state.selected_bank_id > 0, _items()),
        spacing="4",
        width="100%",
    )


def admin_banks_page() -> rx.Component:
    return admin_page(SECTION["banks"], _content)()
