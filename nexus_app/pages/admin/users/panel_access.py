"""/admin/users, the Kelola panel: (de)activation, password reset and removal."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.admin import error_callout
from nexus_app.pages.admin.users._common import SELECTED, S, shown_once, status_badge


def panel_status() -> rx.Component:
    deactivate = rx.cond(
        S.confirm_deactivate,
        rx.hstack(
            rx.text("Akun ini tidak akan bisa masuk dan semua sesinya diakhiri.", size="2"),
            rx.button(
                "Ya, nonaktifkan",
                color_scheme="red",
                on_click=S.deactivate,
                id="panel-deactivate-confirm",
            ),
            rx.button("Batal", variant="soft", color_scheme="gray", on_click=S.cancel_deactivate),
            align="center",
            spacing="3",
        ),
        rx.button(
            "Nonaktifkan",
            color_scheme="red",
            variant="soft",
            on_click=S.ask_deactivate,
            disabled=SELECTED.is_self,
            id="panel-deactivate",
        ),
    )
    return rx.hstack(
        rx.text("Status", weight="medium", width="7em"),
        status_badge(SELECTED.active.to(bool), SELECTED.status.to(str)),
        rx.cond(
            SELECTED.active,
            deactivate,
            rx.button(
                "Aktifkan kembali",
                color_scheme="green",
                on_click=S.reactivate,
                id="panel-reactivate",
            ),
        ),
        align="center",
        spacing="3",
    )


def panel_password() -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.text("Kata sandi", weight="medium", width="7em"),
                rx.input(
                    name="new_password",
                    type="password",
                    placeholder="Kata sandi baru (min. 8 karakter)",
                    auto_complete="new-password",
                    id="panel-new-password",
                    width="260px",
                ),
                rx.button("Ganti kata sandi", type="submit", id="panel-reset-password"),
                rx.button(
                    "Buat otomatis",
                    type="button",
                    variant="soft",
                    on_click=S.reset_password_generated,
                    id="panel-generate-password",
                ),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            on_submit=S.reset_password,
            reset_on_submit=True,
        ),
        rx.cond(
            S.reset_password_shown != "",
            shown_once(S.reset_password_shown, "panel-password-result", S.dismiss_reset_password),
        ),
        rx.cond(
            SELECTED.is_self,
            rx.text(
                "Ini akun Anda sendiri: peran, status dan kata sandinya tidak diubah di sini.",
                size="2",
                color_scheme="gray",
            ),
        ),
        spacing="2",
        width="100%",
    )


_REMOVAL_MODES = (
    (
        "anonymise",
        "Anonimkan (disarankan): nama, nama pengguna, email, kelas dan kata sandi dihapus; "
        "pesan tutor, penguasaan topik dan area lemahnya dihapus; jawaban latihan tetap "
        "dihitung dalam statistik soal dan kelas tanpa nama.",
    ),
    (
        "delete",
        "Hapus seluruhnya: akun beserta semua jawaban latihan, sesi belajar, pesan tutor dan "
        "penguasaan topiknya dihapus; statistik soal dihitung tanpa jawabannya. Tidak bisa "
        "untuk akun yang punya pembayaran atau riwayat telaah soal.",
    ),
)


def _removal_choice(value: str, text: str) -> rx.Component:
    return rx.hstack(
        rx.el.input(
            type="radio",
            name="removal_mode",
            value=value,
            checked=S.removal_mode == value,
            on_change=S.set_removal_mode(value),
            id=f"removal-mode-{value}",
            disabled=(value == "delete") & (S.removal_delete_blocked != ""),
        ),
        rx.el.label(rx.text(text, size="2"), html_for=f"removal-mode-{value}"),
        align="start",
        spacing="2",
    )


def _removal_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text("Hapus data pengguna yang keluar", weight="bold"),
            rx.text(
                "Tersimpan: " + S.removal_counts,
                size="2",
                id="removal-counts",
            ),
            *[_removal_choice(value, text) for value, text in _REMOVAL_MODES],
            rx.cond(
                S.removal_delete_blocked != "",
                rx.text(
                    "Hapus seluruhnya tidak tersedia: " + S.removal_delete_blocked,
                    size="2",
                    color_scheme="orange",
                    id="removal-delete-blocked",
                ),
            ),
            rx.text(
                "Ketik nama pengguna " + SELECTED.username.to(str) + " untuk mengonfirmasi. "
                "Tindakan ini tidak bisa dibatalkan.",
                size="2",
            ),
            rx.input(
                name="confirm_username",
                id="removal-confirm-username",
                auto_complete="off",
                width="260px",
            ),
            error_callout(S.removal_error, "removal-error"),
            rx.hstack(
                rx.button("Hapus data", type="submit", color_scheme="red", id="removal-submit"),
                rx.button(
                    "Batal",
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.cancel_remove,
                    id="removal-cancel",
                ),
                spacing="3",
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=S.remove_user,
        reset_on_submit=False,
    )


def panel_removal() -> rx.Component:
    """A leaving user: what is stored, what each choice keeps, the username typed to confirm."""
    return rx.cond(
        S.removal_open,
        rx.card(
            _removal_form(),
            id="removal-box",
            width="100%",
        ),
        rx.button(
            "Hapus atau anonimkan akun…",
            color_scheme="red",
            variant="outline",
            on_click=S.ask_remove,
            disabled=SELECTED.is_self,
            id="panel-remove",
        ),
    )
