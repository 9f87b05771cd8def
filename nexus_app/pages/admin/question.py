"""/admin/questions/[question_id]: edit one item beside a live student preview, and review it."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.admin import admin_page, error_callout, success_callout
from nexus_app.components.shell import BRAND_COLOR, SELECT_STYLE
from nexus_app.components.tables import simple_table
from nexus_app.components.values import either
from nexus_app.state.admin.question import AdminQuestionState, PreviewOption
from nexus_app.state.admin.sections import SECTION

_FULL_SELECT = {**SELECT_STYLE, "width": "100%"}
# mypy reads the dict Field as an array; the JavaScript is the same.
FORM = AdminQuestionState.form.to(ObjectVar, dict[str, str])


def _label(text: str) -> rx.Component:
    return rx.text(text, size="2", weight="medium")


def _text_input(
    label: str, field: str, element_id: str, max_length: int | None = None
) -> rx.Component:
    return rx.vstack(
        _label(label),
        rx.input(
            value=FORM[field],
            on_change=lambda v: AdminQuestionState.set_field(field, v),
            id=element_id,
            width="100%",
            max_length=max_length,
        ),
        spacing="1",
        width="100%",
    )


def _text_area(label: str, field: str, element_id: str, rows: str = "3") -> rx.Component:
    return rx.vstack(
        _label(label),
        rx.text_area(
            value=FORM[field],
            on_change=lambda v: AdminQuestionState.set_field(field, v),
            id=element_id,
            rows=rows,
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def _editor() -> rx.Component:
    state = AdminQuestionState
    return rx.card(
        rx.vstack(
            rx.heading("Isi soal", size="4"),
            rx.grid(
                rx.vstack(
                    _label("Subtes"),
                    rx.el.select(
                        rx.foreach(state.sections, lambda s: rx.el.option(s.label, value=s.code)),
                        value=FORM["section"],
                        on_change=lambda v: state.set_field("section", v),
                        id="q-section",
                        style=_FULL_SELECT,
                    ),
                    spacing="1",
                ),
                _text_input("Topik (sub_type)", "sub_type", "q-sub-type", max_length=50),
                _text_input("Konsep terkait", "related_concept", "q-concept", max_length=255),
                columns="3",
                spacing="3",
                width="100%",
            ),
            _text_area("Teks soal (boleh berisi bacaan singkat)", "text", "q-text", rows="6"),
            *[
                _text_input(f"Opsi {letter}", f"option_{letter.lower()}", f"q-option-{letter}")
                for letter in ("A", "B", "C", "D", "E")
            ],
            rx.vstack(
                _label("Kunci jawaban"),
                rx.el.select(
                    *[rx.el.option(letter, value=letter) for letter in ("A", "B", "C", "D", "E")],
                    value=FORM["correct_answer"],
                    on_change=lambda v: state.set_field("correct_answer", v),
                    id="q-correct",
                    style=SELECT_STYLE,
                ),
                spacing="1",
            ),
            _text_area("Pembahasan", "explanation", "q-explanation"),
            _text_area(
                "Pembahasan (bahasa Inggris, opsional)", "explanation_en", "q-explanation-en"
            ),
            _text_area("Tips strategi", "strategy_tip", "q-strategy", rows="2"),
            rx.heading("Parameter IRT (3PL)", size="3", margin_top="0.5em"),
            rx.grid(
                _text_input("Daya beda a (0,05–4)", "discrimination", "q-a"),
                _text_input("Kesulitan b (−4 s.d. 4)", "difficulty", "q-b"),
                _text_input("Tebakan c (0–0,5)", "guessing", "q-c"),
                columns="3",
                spacing="3",
                width="100%",
            ),
            rx.text(
                "Kosong berarti nilai bawaan (a = 1, b = 0, c = 0,2), seperti saat impor. "
                "Pakai titik sebagai pemisah desimal.",
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                state.resets_review,
                rx.callout(
                    "Perubahan teks, opsi, kunci, pembahasan, atau subtes membatalkan "
                    "persetujuan yang sudah ada: setelah disimpan, soal harus direview ulang "
                    "oleh dua reviewer.",
                    icon="info",
                    color_scheme="amber",
                    id="review-reset-warning",
                ),
            ),
            rx.hstack(
                rx.button(
                    rx.icon("save", size=16),
                    "Simpan perubahan",
                    on_click=state.save,
                    id="save-question",
                    color_scheme=BRAND_COLOR,
                    disabled=state.is_deleted,
                ),
                rx.button(
                    "Batalkan perubahan",
                    on_click=state.discard_changes,
                    id="discard-changes",
                    variant="soft",
                    color_scheme="gray",
                    disabled=~state.is_dirty,
                ),
                spacing="3",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _preview_choice(option: ObjectVar[PreviewOption]) -> rx.Component:
    state = AdminQuestionState
    letter = option.letter
    is_key = state.preview_answered & (FORM["correct_answer"] == letter)
    return rx.button(
        rx.hstack(
            rx.badge(letter, size="2", variant="solid"),
            rx.text(option.text, text_align="left", white_space="normal"),
            rx.cond(is_key, rx.icon("circle-check", size=18)),
            align="center",
            spacing="3",
            width="100%",
        ),
        id="preview-choice-" + letter.to(str),
        variant=either(is_key, "soft", "outline"),
        color_scheme=either(is_key, "green", "gray"),
        width="100%",
        height="auto",
        padding="0.8em",
        justify_content="flex-start",
        type="button",
    )


def _preview() -> rx.Component:
    state = AdminQuestionState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Pratinjau siswa", size="4"),
                rx.spacer(),
                rx.button(
                    either(state.preview_answered, "Sembunyikan jawaban", "Tampilkan jawaban"),
                    on_click=state.toggle_preview_answer,
                    size="1",
                    variant="soft",
                    id="preview-toggle-answer",
                ),
                width="100%",
                align="center",
            ),
            rx.hstack(
                rx.badge(FORM["section"], color_scheme=BRAND_COLOR),
                rx.cond(
                    FORM["sub_type"] != "",
                    rx.badge(FORM["sub_type"], variant="soft"),
                ),
                spacing="2",
            ),
            rx.card(
                rx.text(FORM["text"], white_space="pre-wrap", size="3", id="preview-text"),
                width="100%",
            ),
            rx.vstack(
                rx.foreach(state.preview_options, _preview_choice), width="100%", spacing="2"
            ),
            rx.cond(
                state.preview_answered,
                rx.vstack(
                    rx.text("Jawaban benar ", rx.text.strong(FORM["correct_answer"]), "."),
                    rx.cond(
                        FORM["explanation"] != "",
                        rx.box(rx.text.strong("Pembahasan: "), FORM["explanation"]),
                    ),
                    rx.cond(
                        FORM["strategy_tip"] != "",
                        rx.box(rx.text.strong("Tips: "), FORM["strategy_tip"]),
                    ),
                    spacing="2",
                    id="preview-result",
                ),
            ),
            spacing="3",
            width="100%",
            id="preview",
        ),
        width="100%",
    )


def _review_panel() -> rx.Component:
    state = AdminQuestionState
    return rx.card(
        rx.vstack(
            rx.heading("Review", size="4"),
            rx.hstack(
                rx.text("Status:", size="2"),
                rx.badge(state.status_label, id="review-state", size="2"),
                rx.text("Persetujuan: ", state.approvals, "/2", size="2", id="review-approvals"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                state.reviewer_1_name != "",
                rx.text(
                    "Reviewer 1: ",
                    rx.text.strong(state.reviewer_1_name),
                    rx.cond(
                        state.reviewer_1_notes != "",
                        rx.text(" — ", state.reviewer_1_notes, as_="span"),
                    ),
                    size="2",
                    id="reviewer-1",
                ),
            ),
            rx.cond(
                state.reviewer_2_name != "",
                rx.text(
                    "Reviewer 2: ",
                    rx.text.strong(state.reviewer_2_name),
                    rx.cond(
                        state.reviewer_2_notes != "",
                        rx.text(" — ", state.reviewer_2_notes, as_="span"),
                    ),
                    size="2",
                    id="reviewer-2",
                ),
            ),
            rx.text(
                "Soal dipakai di latihan setelah disetujui dua reviewer berbeda. "
                "'Perlu revisi' atau 'Ditolak' membatalkan persetujuan yang ada.",
                size="1",
                color_scheme="gray",
            ),
            rx.el.select(
                rx.el.option("Disetujui", value="approved"),
                rx.el.option("Perlu revisi", value="needs_revision"),
                rx.el.option("Ditolak", value="rejected"),
                value=state.review_status,
                on_change=state.set_review_status,
                id="review-status",
                style=_FULL_SELECT,
            ),
            rx.hstack(
                rx.foreach(
                    state.aspect_options,
                    lambda o: rx.checkbox(
                        o.label,
                        checked=state.review_aspects.contains(o.value),
                        on_change=lambda checked: state.toggle_aspect(o.value, checked),
                        id="review-aspect-" + o.value,
                    ),
                ),
                spacing="3",
                wrap="wrap",
            ),
            rx.cond(
                state.review_status == "needs_revision",
                rx.el.select(
                    rx.el.option("Jenis revisi (opsional)", value=""),
                    rx.foreach(
                        state.revision_options,
                        lambda o: rx.el.option(o.label, value=o.value),
                    ),
                    value=state.revision_type,
                    on_change=state.set_revision_type,
                    id="review-revision-type",
                    style=_FULL_SELECT,
                ),
            ),
            rx.text_area(
                placeholder="Catatan review (wajib untuk 'Perlu revisi' dan 'Ditolak')",
                value=state.review_notes,
                on_change=state.set_review_notes,
                id="review-notes",
                rows="3",
                width="100%",
            ),
            rx.flex(
                rx.button(
                    rx.icon("clipboard-check", size=16),
                    "Catat review",
                    on_click=state.submit_review,
                    id="submit-review",
                    color_scheme=BRAND_COLOR,
                    disabled=state.is_deleted | state.review_blocked,
                ),
                rx.button(
                    rx.icon("check-check", size=16),
                    "Setujui & berikutnya",
                    on_click=state.approve_and_next,
                    id="approve-next",
                    color_scheme="green",
                    variant="soft",
                    disabled=state.is_deleted | (state.approval_refusal != ""),
                ),
                spacing="3",
                wrap="wrap",
            ),
            rx.cond(
                state.approval_refusal != "",
                rx.text(
                    state.approval_refusal, size="2", color_scheme="amber", id="approve-refusal"
                ),
            ),
            error_callout(state.review_error, "review-error"),
            rx.text(
                "Antrean review Anda di bank ini: ",
                rx.text.strong(state.queue_count),
                " soal. 'Setujui & berikutnya' menyetujui soal ini lalu membuka soal berikutnya.",
                size="1",
                color_scheme="gray",
                id="review-queue-count",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _actions() -> rx.Component:
    state = AdminQuestionState
    return rx.card(
        rx.vstack(
            rx.heading("Tindakan lain", size="4"),
            rx.text(
                "Soal ambigu atau yang dihapus tetap tersimpan bersama riwayat jawabannya, "
                "tetapi tidak diberikan ke siswa.",
                size="1",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.button(
                    either(state.is_ambiguous, "Hapus tanda ambigu", "Tandai ambigu"),
                    on_click=state.toggle_ambiguous,
                    id="toggle-ambiguous",
                    variant="soft",
                    color_scheme="orange",
                ),
                rx.cond(
                    state.is_deleted,
                    rx.button(
                        "Pulihkan soal",
                        on_click=state.restore,
                        id="restore-question",
                        variant="soft",
                        color_scheme="green",
                    ),
                    rx.alert_dialog.root(
                        rx.alert_dialog.trigger(
                            rx.button(
                                "Hapus soal",
                                id="delete-question",
                                variant="soft",
                                color_scheme="red",
                            )
                        ),
                        rx.alert_dialog.content(
                            rx.alert_dialog.title("Hapus soal ini?"),
                            rx.alert_dialog.description(
                                "Soal disembunyikan dari bank dan latihan. Jawaban siswa dan "
                                "riwayat review tetap tersimpan, dan soal bisa dipulihkan."
                            ),
                            rx.hstack(
                                rx.alert_dialog.cancel(
                                    rx.button("Batal", variant="soft", color_scheme="gray")
                                ),
                                rx.alert_dialog.action(
                                    rx.button(
                                        "Hapus",
                                        color_scheme="red",
                                        on_click=state.delete,
                                        id="confirm-delete",
                                    )
                                ),
                                spacing="3",
                                justify="end",
                                margin_top="1em",
                            ),
                        ),
                    ),
                ),
                spacing="3",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _history() -> rx.Component:
    state = AdminQuestionState
    return rx.vstack(
        rx.heading("Riwayat review", size="4"),
        rx.cond(
            state.history.length() > 0,
            simple_table(
                ["Waktu", "Reviewer", "Hasil", "Catatan", "Aspek", "Jenis revisi"],
                state.history,
                ["when", "reviewer", "status_label", "notes", "aspects", "revision_type"],
                "review-history",
                row_class="review-log-row",
            ),
            rx.text("Belum ada review untuk soal ini.", color_scheme="gray", id="review-history"),
        ),
        spacing="2",
        width="100%",
    )


def _found() -> rx.Component:
    state = AdminQuestionState
    return rx.vstack(
        rx.hstack(
            rx.link(
                rx.button(rx.icon("arrow-left", size=16), "Kembali ke bank", variant="soft"),
                href="/admin/banks?bank=" + state.bank_id.to_string(),
                id="back-to-bank",
                underline="none",
            ),
            rx.text(
                "Soal #",
                state.editing_id,
                " · Bank ",
                rx.text.strong(state.bank_name),
                " · dijawab ",
                state.attempt_count,
                " kali",
                size="2",
                color_scheme="gray",
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            state.is_deleted,
            rx.callout(
                "Soal ini sudah dihapus. Pulihkan dulu untuk mengubah atau mereviewnya.",
                icon="trash-2",
                color_scheme="red",
                id="deleted-notice",
            ),
        ),
        rx.cond(
            state.is_ambiguous,
            rx.callout(
                "Soal ini ditandai ambigu dan tidak diberikan ke siswa.",
                icon="circle-help",
                color_scheme="orange",
                id="ambiguous-notice",
            ),
        ),
        error_callout(state.error, "question-error"),
        success_callout(state.success, "question-success"),
        rx.grid(
            rx.vstack(_editor(), _actions(), spacing="4", width="100%"),
            rx.vstack(_preview(), _review_panel(), spacing="4", width="100%"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        _history(),
        spacing="4",
        width="100%",
    )


def _content() -> rx.Component:
    state = AdminQuestionState
    return rx.cond(
        state.found,
        _found(),
        rx.cond(
            state.load_error != "",
            rx.vstack(
                rx.callout(
                    state.load_error, icon="triangle-alert", color_scheme="red", id="question-error"
                ),
                rx.link("Kembali ke daftar bank soal", href="/admin/banks"),
            ),
            rx.center(rx.spinner(size="3"), padding="3em"),
        ),
    )


def admin_question_page() -> rx.Component:
    return admin_page(SECTION["question"], _content)()
