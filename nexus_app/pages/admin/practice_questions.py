"""/admin/practice-questions: the practice questions of the school subjects, for gurus and
admins: list by subject, topic and difficulty; create, edit, delete; import a CSV."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.admin import admin_page, error_callout, success_callout
from nexus_app.components.csv_import import csv_import_panel
from nexus_app.components.shell import BRAND_COLOR, SELECT_STYLE
from nexus_app.components.values import either
from nexus_app.state.admin.practice_questions import (
    OPTION_LETTERS,
    UPLOAD_ID,
    AdminPracticeQuestionsState,
    PracticeRow,
)
from nexus_app.state.admin.sections import SECTION

_FULL_SELECT = {**SELECT_STYLE, "width": "100%"}


def _filters() -> rx.Component:
    state = AdminPracticeQuestionsState
    return rx.flex(
        rx.el.select(
            rx.foreach(state.subjects, lambda s: rx.el.option(s.label, value=s.id.to_string())),
            value=state.subject_id.to_string(),
            on_change=state.set_subject,
            id="pq-subject",
            style=SELECT_STYLE,
        ),
        rx.el.select(
            rx.el.option("Semua topik", value=""),
            rx.foreach(state.topics, lambda t: rx.el.option(t, value=t)),
            value=state.filter_topic,
            on_change=state.set_filter_topic,
            id="pq-topic",
            style=SELECT_STYLE,
        ),
        rx.el.select(
            rx.el.option("Semua tingkat", value=""),
            rx.foreach(state.difficulty_options, lambda o: rx.el.option(o.label, value=o.value)),
            rx.el.option("Tanpa tingkat", value="none"),
            value=state.filter_difficulty,
            on_change=state.set_filter_difficulty,
            id="pq-difficulty",
            style=SELECT_STYLE,
        ),
        rx.el.select(
            rx.el.option("Semua status", value=""),
            rx.el.option("Draf (belum disetujui)", value="draft"),
            rx.el.option("Disetujui", value="approved"),
            value=state.filter_status,
            on_change=state.set_filter_status,
            id="pq-status",
            style=SELECT_STYLE,
        ),
        rx.button(
            rx.icon("plus", size=16),
            "Soal baru",
            on_click=state.new_question,
            id="pq-new",
            color_scheme=BRAND_COLOR,
            disabled=state.subject_id == 0,
        ),
        spacing="3",
        wrap="wrap",
        align="center",
    )


def _row(row: ObjectVar[PracticeRow]) -> rx.Component:
    state = AdminPracticeQuestionsState
    row_id = row.id.to_string()
    return rx.table.row(
        rx.table.cell(row.id),
        rx.table.cell(
            rx.vstack(
                rx.text(row.topic),
                rx.cond(row.is_draft, rx.badge("Draf", color_scheme="amber")),
                spacing="1",
            )
        ),
        rx.table.cell(row.difficulty),
        rx.table.cell(row.kind),
        rx.table.cell(rx.text(row.question, size="2")),
        rx.table.cell(rx.text(row.answer, size="2")),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row.is_draft,
                    rx.button(
                        "Setujui",
                        size="1",
                        color_scheme="green",
                        on_click=state.approve_draft(row.id),
                        id="pq-approve-" + row_id,
                    ),
                ),
                rx.button(
                    "Ubah",
                    size="1",
                    variant="soft",
                    on_click=state.edit_question(row.id),
                    id="pq-edit-" + row_id,
                ),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(
                        rx.button(
                            "Hapus",
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            id="pq-delete-" + row_id,
                        )
                    ),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title("Hapus soal latihan ini?"),
                        rx.alert_dialog.description(
                            "Soal dihapus permanen. Nilai penguasaan topik siswa tetap tersimpan."
                        ),
                        rx.hstack(
                            rx.alert_dialog.cancel(
                                rx.button("Batal", variant="soft", color_scheme="gray")
                            ),
                            rx.alert_dialog.action(
                                rx.button(
                                    "Hapus",
                                    color_scheme="red",
                                    on_click=state.delete_question(row.id),
                                    id="pq-confirm-delete-" + row_id,
                                )
                            ),
                            spacing="3",
                            justify="end",
                            margin_top="1em",
                        ),
                    ),
                ),
                spacing="2",
            )
        ),
        class_name="pq-row",
    )


def _table() -> rx.Component:
    state = AdminPracticeQuestionsState
    headers = ["ID", "Topik", "Tingkat", "Jenis", "Soal", "Jawaban / kunci", ""]
    return rx.vstack(
        rx.cond(
            state.rows.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(*[rx.table.column_header_cell(h) for h in headers])
                    ),
                    rx.table.body(rx.foreach(state.rows, _row)),
                    variant="surface",
                    size="1",
                    width="100%",
                    id="pq-table",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text(
                "Belum ada soal latihan yang cocok. Tambahkan satu, atau impor CSV di bawah.",
                color_scheme="gray",
                id="pq-empty",
            ),
        ),
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=16),
                "Sebelumnya",
                variant="soft",
                disabled=~state.has_previous,
                on_click=state.prev_page,
                id="pq-prev",
            ),
            rx.text(state.page_label, size="2", id="pq-page"),
            rx.button(
                "Berikutnya",
                rx.icon("chevron-right", size=16),
                variant="soft",
                disabled=~state.has_next,
                on_click=state.next_page,
                id="pq-next",
            ),
            align="center",
            spacing="3",
        ),
        spacing="3",
        width="100%",
    )


def _label(text: str) -> rx.Component:
    return rx.text(text, size="2", weight="medium")


def _editor() -> rx.Component:
    state = AdminPracticeQuestionsState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(either(state.editing_id > 0, "Ubah soal latihan", "Soal latihan baru")),
            rx.vstack(
                _label("Topik"),
                rx.input(
                    value=state.f_topic,
                    on_change=state.set_f_topic,
                    id="pq-f-topic",
                    max_length=255,
                    width="100%",
                ),
                _label("Soal"),
                rx.text_area(
                    value=state.f_question,
                    on_change=state.set_f_question,
                    id="pq-f-question",
                    rows="4",
                    width="100%",
                ),
                _label("Pilihan (kosongkan semua untuk soal isian)"),
                *[
                    rx.input(
                        placeholder=f"Pilihan {letter}",
                        value=state.f_options[i],
                        on_change=lambda v, i=i: state.set_option(i, v),
                        id=f"pq-f-option-{letter}",
                        width="100%",
                    )
                    for i, letter in enumerate(OPTION_LETTERS)
                ],
                _label("Jawaban: huruf kunci (pilihan ganda) atau jawaban model (isian)"),
                rx.text_area(
                    value=state.f_answer,
                    on_change=state.set_f_answer,
                    id="pq-f-answer",
                    rows="2",
                    width="100%",
                ),
                _label("Tingkat kesulitan"),
                rx.el.select(
                    rx.el.option("Tanpa tingkat", value=""),
                    rx.foreach(
                        state.difficulty_options, lambda o: rx.el.option(o.label, value=o.value)
                    ),
                    value=state.f_difficulty,
                    on_change=state.set_f_difficulty,
                    id="pq-f-difficulty",
                    style=_FULL_SELECT,
                ),
                error_callout(state.editor_error, "pq-editor-error"),
                rx.hstack(
                    rx.dialog.close(rx.button("Batal", variant="soft", color_scheme="gray")),
                    rx.button(
                        "Simpan",
                        on_click=state.save_question,
                        id="pq-save",
                        color_scheme=BRAND_COLOR,
                    ),
                    spacing="3",
                    justify="end",
                    width="100%",
                ),
                spacing="2",
                width="100%",
            ),
            max_width="640px",
        ),
        open=state.editor_open,
        on_open_change=state.set_editor_open,
    )


def _import_panel() -> rx.Component:
    state = AdminPracticeQuestionsState
    return csv_import_panel(
        heading="Impor soal latihan dari CSV",
        help_text=(
            "Kolom wajib: topic, question, answer. Opsional: difficulty (mudah, sedang, "
            "sulit) dan option_a … option_e untuk pilihan ganda (answer berisi huruf "
            "kuncinya). Berkas UTF-8, maksimal 2 MB, masuk ke mata pelajaran yang dipilih "
            "di atas. Semua baris diperiksa dulu: jika ada yang salah, tidak ada yang "
            "diimpor, kecuali Anda memilih melewati baris yang salah."
        ),
        drop_prompt="Seret berkas .csv ke sini, atau klik untuk memilih.",
        submit_label="Impor",
        upload_id=UPLOAD_ID,
        ids="pq-",
        on_template=state.download_template,
        on_import=state.import_file,
        skip_invalid=state.skip_invalid,
        on_skip_change=state.set_skip_invalid,
        import_error=state.import_error,
        import_message=state.import_message,
        import_errors=state.import_errors,
        submit_disabled=state.subject_id == 0,
    )


def _draft_panel() -> rx.Component:
    state = AdminPracticeQuestionsState
    return rx.card(
        rx.vstack(
            rx.heading("Draf soal dari buku (AI lokal)", size="4"),
            rx.text(
                "Tulis judul bab atau topik dari buku mata pelajaran ini. Model AI di server "
                "membaca bagian buku yang paling cocok lalu menyusun soal pilihan ganda. "
                "Hasilnya disimpan sebagai draf (topiknya judul bab ini) dan baru dipakai "
                "siswa setelah Anda menyetujuinya satu per satu. Bisa memakan beberapa menit.",
                size="2",
                color_scheme="gray",
            ),
            rx.flex(
                rx.input(
                    placeholder="Judul bab atau topik, mis. Kecepatan",
                    value=state.draft_chapter,
                    on_change=state.set_draft_chapter,
                    id="pq-draft-chapter",
                    max_length=255,
                    min_width="min(320px, 100%)",
                ),
                rx.el.select(
                    *[rx.el.option(f"{n} soal", value=str(n)) for n in range(1, 6)],
                    value=state.draft_count,
                    on_change=state.set_draft_count,
                    id="pq-draft-count",
                    style=SELECT_STYLE,
                ),
                rx.button(
                    rx.cond(state.drafting, rx.spinner(size="2"), rx.icon("sparkles", size=16)),
                    either(state.drafting, "Menyusun draf…", "Buat draf"),
                    on_click=state.draft_with_ai,
                    disabled=state.drafting | (state.subject_id == 0),
                    id="pq-draft-submit",
                ),
                spacing="3",
                wrap="wrap",
                align="center",
            ),
            error_callout(state.draft_error, "pq-draft-error"),
            success_callout(state.draft_message, "pq-draft-success"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _content() -> rx.Component:
    state = AdminPracticeQuestionsState
    return rx.vstack(
        rx.text(
            "Soal latihan per mata pelajaran, topik, dan tingkat kesulitan: siswa berlatih "
            "dengannya di /practice, dan setiap jawaban memperbarui penguasaan topiknya. "
            "Guru dan admin dapat mengelola soal semua mata pelajaran.",
            color_scheme="gray",
        ),
        rx.cond(
            state.subjects.length() == 0,
            rx.callout(
                "Belum ada mata pelajaran. Admin menambahkannya di halaman Mata pelajaran.",
                icon="info",
                id="pq-no-subjects",
            ),
        ),
        error_callout(state.error, "pq-error"),
        success_callout(state.success, "pq-success"),
        _filters(),
        _table(),
        _import_panel(),
        _draft_panel(),
        _editor(),
        spacing="4",
        width="100%",
    )


def admin_practice_questions_page() -> rx.Component:
    return admin_page(SECTION["practice_questions"], _content)()
