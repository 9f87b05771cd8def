"""/onboarding: target PTN, target score, exam date, study hours per week."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.shell import BRAND_COLOR, app_shell
from nexus_app.components.values import either
from nexus_app.state.onboarding import OnboardingState

ROUTE = "/onboarding"
ROLES = ["siswa"]


def _field(label: str, hint: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        control,
        rx.text(hint, size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def _ptn_free_text() -> rx.Component:
    """No PTN table yet (a new school): free text, with the well-known PTNs suggested."""
    state = OnboardingState
    return _field(
        "PTN tujuan",
        "Pilih dari daftar atau tulis sendiri.",
        rx.fragment(
            rx.input(
                id="onboarding-ptn",
                name="target_ptn",
                list="ptn-list",
                default_value=state.target_ptn,
                max_length=100,
                width="100%",
                placeholder="mis. Universitas Indonesia (UI)",
            ),
            rx.el.datalist(
                rx.foreach(state.ptn_choices, lambda p: rx.el.option(value=p)),
                id="ptn-list",
            ),
        ),
    )


def _program_pick() -> rx.Component:
    """The school's PTN table: type part of a PTN or programme name, pick a match (free
    text stays allowed for a programme the table lacks)."""
    state = OnboardingState
    return _field(
        "PTN dan program studi tujuan",
        "Ketik nama PTN atau program studi, lalu pilih dari daftar. Kalau tidak ada, "
        "tulis sendiri.",
        rx.vstack(
            rx.input(
                id="onboarding-ptn",
                name="target_ptn",
                value=state.target_ptn,
                on_change=state.type_ptn,
                debounce_timeout=250,
                max_length=100,
                width="100%",
                auto_complete="off",
                placeholder="mis. UI Ilmu Komputer",
            ),
            rx.cond(
                state.show_matches,
                rx.vstack(
                    rx.foreach(
                        state.program_matches,
                        lambda label, i: rx.button(
                            label,
                            type="button",
                            id="onboarding-program-" + (i + 1).to(str),
                            class_name="onboarding-program",
                            variant="soft",
                            color_scheme="gray",
                            size="2",
                            width="100%",
                            justify="start",
                            on_click=state.pick_program(label),
                        ),
                    ),
                    rx.cond(
                        state.program_matches.length() == 0,
                        rx.text(
                            "Tidak ada di daftar sekolahmu; teks ini disimpan apa adanya.",
                            size="1",
                            color_scheme="gray",
                        ),
                    ),
                    id="onboarding-programs",
                    spacing="1",
                    width="100%",
                ),
            ),
            spacing="2",
            width="100%",
        ),
    )


def _content() -> rx.Component:
    state = OnboardingState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(
                    either(state.editing, "Ubah target belajarmu", "Kenalan dulu, yuk!"),
                    size="6",
                ),
                rx.text(
                    "Jawabanmu dipakai untuk menghitung kesiapan UTBK dan rencana belajar harian.",
                    color_scheme="gray",
                    size="2",
                ),
                rx.cond(state.program_count > 0, _program_pick(), _ptn_free_text()),
                _field(
                    "Target skor UTBK",
                    "Skala perkiraan Nexus 200–900; kebanyakan program studi 550–750.",
                    rx.input(
                        id="onboarding-target",
                        name="target_score",
                        type="number",
                        default_value=state.target_score,
                        width="100%",
                    ),
                ),
                _field(
                    "Tanggal ujian",
                    "Tanggal UTBK yang kamu ikuti.",
                    rx.input(
                        id="onboarding-exam-date",
                        name="exam_date",
                        type="date",
                        default_value=state.exam_date,
                        width="100%",
                    ),
                ),
                _field(
                    "Jam belajar per minggu",
                    "Dipakai untuk menakar rencana harianmu (1–80 jam).",
                    rx.input(
                        id="onboarding-hours",
                        name="hours",
                        type="number",
                        default_value=state.hours,
                        width="100%",
                    ),
                ),
                rx.cond(
                    state.error != "",
                    rx.callout(
                        state.error,
                        icon="triangle-alert",
                        color_scheme="red",
                        id="onboarding-error",
                        width="100%",
                    ),
                ),
                rx.button(
                    "Simpan",
                    id="onboarding-submit",
                    type="submit",
                    size="3",
                    color_scheme=BRAND_COLOR,
                ),
                # Kelas 10 often has no UTBK target yet: everything opens without one.
                rx.cond(
                    ~state.editing,
                    rx.vstack(
                        rx.text(
                            "Belum punya target UTBK (misalnya masih kelas 10)? Lewati dulu; "
                            "latihan dan Tutor AI tetap bisa dipakai. Target bisa diisi nanti "
                            'lewat tombol "Ubah target" di dasbor.',
                            size="2",
                            color_scheme="gray",
                        ),
                        rx.button(
                            "Lewati, isi nanti",
                            id="onboarding-skip",
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=state.skip_target,
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                spacing="4",
                width="100%",
            ),
            on_submit=state.save,
            reset_on_submit=False,
        ),
        max_width="560px",
        width="100%",
    )


def onboarding_page() -> rx.Component:
    return app_shell(_content)()
