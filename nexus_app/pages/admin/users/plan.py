"""/admin/users: the card of the default tier of new students."""

from __future__ import annotations

import reflex as rx

from nexus_app.components.admin import error_callout, success_callout
from nexus_app.pages.admin.users._common import S


def _plan_choice(value: str, text: str) -> rx.Component:
    return rx.hstack(
        rx.el.input(
            type="radio",
            name="plan_choice",
            value=value,
            checked=S.plan_choice == value,
            on_change=S.set_plan_choice(value),
            id=f"plan-choice-{value}",
        ),
        rx.el.label(rx.text(text, size="2"), html_for=f"plan-choice-{value}"),
        align="center",
        spacing="2",
    )


def plan_card() -> rx.Component:
    """The school's default for new students, chosen once (shown first until it is)."""
    return rx.card(
        rx.vstack(
            rx.heading("Paket bawaan siswa", size="4"),
            rx.cond(
                ~S.plan_chosen,
                rx.callout(
                    "Sekolah belum memilih paket bawaan siswa. Pilih sekali di sini; "
                    "batas hariannya bisa diubah kapan saja di menu Langganan.",
                    icon="info",
                    color_scheme="amber",
                    id="plan-not-chosen",
                ),
            ),
            _plan_choice(
                "sekolah", "Sekolah: tanpa batas harian (disarankan untuk server sekolah)"
            ),
            _plan_choice(
                "gratis", "Gratis: 40 soal latihan, 10 umpan balik AI, 20 pertanyaan tutor per hari"
            ),
            rx.checkbox(
                "Server ini menjual paket berbayar (pesan kuota boleh menawarkan paket)",
                checked=S.plan_sells,
                on_change=S.set_plan_sells,
                id="plan-sells",
            ),
            rx.button("Simpan pilihan", on_click=S.save_plan, id="plan-save"),
            error_callout(S.plan_error, "plan-error"),
            success_callout(S.plan_message, "plan-message"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="plan-card",
    )
