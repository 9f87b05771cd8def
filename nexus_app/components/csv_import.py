"""The CSV import card the admin pages share: column help, a template to download, a file
drop, "skip the bad rows", and the line-by-line report of refused rows. Each page passes its
own state's vars and handlers, and an id prefix so its browser tests can find the parts."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ArrayVar

from nexus_app.components.admin import error_callout, success_callout
from nexus_app.components.shell import BRAND_COLOR
from nexus_app.state.uploads import upload_headers


def template_button(on_click: Any, button_id: str) -> rx.Component:
    return rx.button(
        rx.icon("download", size=16),
        "Unduh templat CSV",
        on_click=on_click,
        variant="soft",
        id=button_id,
    )


def row_report(errors: ArrayVar[Any], report_id: str, row_class: str) -> rx.Component:
    """The refused rows, one line each ("Baris 7: …"), in a scrolling red box."""
    return rx.cond(
        errors.length() > 0,
        rx.box(
            rx.text("Laporan baris yang salah:", weight="medium", size="2"),
            rx.foreach(errors, lambda line: rx.text(line, size="2", class_name=row_class)),
            id=report_id,
            padding="0.8em",
            border_radius="6px",
            background_color=rx.color("red", 2),
            max_height="260px",
            overflow_y="auto",
            width="100%",
        ),
    )


def csv_import_panel(
    *,
    heading: str,
    help_text: str,
    drop_prompt: str,
    submit_label: str,
    upload_id: str,
    ids: str,
    on_template: Any,
    on_import: Any,
    skip_invalid: rx.Var[bool],
    on_skip_change: Any,
    import_error: rx.Var[str],
    import_message: rx.Var[str],
    import_errors: ArrayVar[Any],
    submit_disabled: rx.Var[bool] | bool = False,
) -> rx.Component:
    """`ids` prefixes every element id: `{ids}import-download-template`,
    `{ids}import-file-name`, `{ids}import-skip`, `{ids}import-submit`, `{ids}import-error`,
    `{ids}import-success`, `{ids}import-report` and the rows' class `{ids}import-row-error`.
    `on_import` is the state's upload handler; it is called with this card's files."""
    return rx.card(
        rx.vstack(
            rx.heading(heading, size="4"),
            rx.text(help_text, size="2", color_scheme="gray"),
            template_button(on_template, f"{ids}import-download-template"),
            rx.upload(
                rx.vstack(
                    rx.icon("upload", size=22),
                    rx.text(drop_prompt),
                    align="center",
                    spacing="1",
                ),
                id=upload_id,
                multiple=False,
                max_files=1,
                border=f"1px dashed {rx.color('gray', 8)}",
                padding="1.2em",
                width="100%",
                cursor="pointer",
            ),
            rx.foreach(
                rx.selected_files(upload_id),
                lambda name: rx.text(
                    "Berkas: ", rx.code(name), size="2", id=f"{ids}import-file-name"
                ),
            ),
            rx.flex(
                rx.checkbox(
                    "Lewati baris yang salah (impor baris yang benar saja)",
                    checked=skip_invalid,
                    on_change=on_skip_change,
                    id=f"{ids}import-skip",
                ),
                rx.spacer(),
                rx.button(
                    rx.icon("file-up", size=16),
                    submit_label,
                    on_click=on_import(
                        rx.upload_files(upload_id=upload_id, extra_headers=upload_headers())
                    ),
                    id=f"{ids}import-submit",
                    color_scheme=BRAND_COLOR,
                    disabled=submit_disabled,
                ),
                width="100%",
                align="center",
                wrap="wrap",
                spacing="3",
            ),
            error_callout(import_error, f"{ids}import-error"),
            success_callout(import_message, f"{ids}import-success"),
            row_report(import_errors, f"{ids}import-report", f"{ids}import-row-error"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
