"""/tryout: the full timed UTBK simulation, section by section, then the result."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from nexus_app.components.shell import BRAND_COLOR, SELECT_STYLE, app_shell
from nexus_app.components.values import either, match_value
from nexus_app.state.tryout import TryoutState

ROUTE = "/tryout"
ROLES = ["siswa"]

_CELL_COLOR = {"answered": "green", "doubt": "amber", "unanswered": "gray"}


def _error() -> rx.Component:
    return rx.cond(
        TryoutState.error != "",
        rx.callout(
            TryoutState.error,
            icon="triangle-alert",
            color_scheme="red",
            id="tryout-error",
            width="100%",
        ),
    )


def _start() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Tryout UTBK lengkap", size="5"),
            rx.text(
                "Semua subtes berurutan dengan waktunya masing-masing, seperti ujian "
                "sebenarnya. Waktu berjalan di server: menutup halaman tidak menghentikannya. "
                "Subtes yang sudah berakhir tidak bisa dibuka lagi. Pembahasan tampil setelah "
                "seluruh tryout selesai.",
                size="2",
                color_scheme="gray",
            ),
            rx.text("Cetak biru", size="2", weight="medium"),
            rx.el.select(
                rx.foreach(
                    TryoutState.blueprints,
                    lambda b: rx.el.option(b["label"], value=b["id"]),
                ),
                id="tryout-blueprint",
                value=TryoutState.blueprint_id,
                on_change=TryoutState.set_blueprint,
                style={**SELECT_STYLE, "width": "100%"},
            ),
            _error(),
            rx.button(
                "Mulai tryout",
                id="tryout-start",
                on_click=TryoutState.start,
                size="3",
                color_scheme=BRAND_COLOR,
            ),
            spacing="3",
            width="100%",
        ),
        max_width="560px",
        width="100%",
    )


def _cell(cell: ObjectVar[dict[str, str]]) -> rx.Component:
    number = cell["number"]
    status = cell["status"]
    return rx.button(
        number,
        id="grid-" + number.to(str),
        on_click=TryoutState.go(number),
        aria_label=cell["label"],
        custom_attrs={"data-status": status},
        size="2",
        min_width="2.6em",
        variant=either(number == TryoutState.number.to_string(), "solid", "soft"),
        color_scheme=match_value(
            status,
            ("answered", _CELL_COLOR["answered"]),
            ("doubt", _CELL_COLOR["doubt"]),
            default=_CELL_COLOR["unanswered"],
        ),
    )


def _choice(option: ArrayVar[list[str]]) -> rx.Component:
    letter = option[0]
    chosen = TryoutState.selected == letter
    return rx.button(
        rx.hstack(
            rx.badge(letter, size="2", variant="solid"),
            rx.text(option[1], text_align="left", white_space="normal"),
            align="center",
            spacing="3",
            width="100%",
        ),
        id="choice-" + letter.to(str),
        on_click=TryoutState.choose(letter),
        variant=either(chosen, "soft", "outline"),
        color_scheme=either(chosen, BRAND_COLOR, "gray"),
        width="100%",
        height="auto",
        padding="0.8em",
        justify_content="flex-start",
    )


def _confirm() -> rx.Component:
    return rx.cond(
        TryoutState.confirm_open,
        rx.callout(
            rx.vstack(
                rx.text(
                    "Akhiri subtes ",
                    TryoutState.section_name,
                    " sekarang? Kamu tidak bisa kembali ke subtes ini.",
                ),
                rx.hstack(
                    rx.button(
                        "Ya, akhiri subtes",
                        id="tryout-confirm",
                        on_click=TryoutState.confirm_end_section,
                        color_scheme="red",
                    ),
                    rx.button(
                        "Batal",
                        id="tryout-cancel",
                        on_click=TryoutState.cancel_end_section,
                        variant="soft",
                    ),
                    wrap="wrap",
                ),
                spacing="2",
            ),
            icon="circle-alert",
            color_scheme="amber",
            width="100%",
        ),
    )


def _section() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(TryoutState.section_code, color_scheme=BRAND_COLOR, size="2"),
            rx.text(TryoutState.section_label, id="tryout-section", weight="medium"),
            rx.spacer(),
            rx.hstack(
                rx.icon("timer", size=18),
                # Filled by the page's countdown script (state/tryout.py), not by React.
                rx.el.span(
                    id="tryout-timer",
                    custom_attrs={
                        "data-deadline": TryoutState.deadline_ms,
                        "data-now": TryoutState.server_now_ms,
                        "aria-live": "off",
                    },
                    style={"fontWeight": "600", "fontVariantNumeric": "tabular-nums"},
                ),
                align="center",
                spacing="1",
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.flex(
            rx.foreach(TryoutState.cells, _cell),
            id="tryout-grid",
            wrap="wrap",
            gap="0.4em",
            width="100%",
        ),
        rx.text(
            "Hijau: dijawab · kuning: ragu-ragu · abu-abu: belum dijawab. "
            "Tombol A–E menjawab, panah kiri/kanan berpindah soal.",
            size="1",
            color_scheme="gray",
        ),
        rx.card(
            rx.text("Soal ", TryoutState.number, weight="medium", size="2"),
            rx.text(TryoutState.item_text, white_space="pre-wrap", size="4", id="tryout-text"),
            width="100%",
        ),
        rx.vstack(rx.foreach(TryoutState.options, _choice), width="100%", spacing="2"),
        _error(),
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=16),
                "Sebelumnya",
                id="tryout-prev",
                on_click=TryoutState.prev_item,
                variant="soft",
            ),
            rx.button(
                rx.icon("flag", size=16),
                either(TryoutState.doubt, "Hapus tanda ragu-ragu", "Ragu-ragu"),
                id="tryout-doubt",
                on_click=TryoutState.toggle_doubt,
                color_scheme="amber",
                variant=either(TryoutState.doubt, "solid", "soft"),
            ),
            rx.button(
                "Berikutnya",
                rx.icon("chevron-right", size=16),
                id="tryout-next",
                on_click=TryoutState.next_item,
                variant="soft",
            ),
            rx.spacer(),
            rx.button(
                "Akhiri subtes",
                id="tryout-end-section",
                on_click=TryoutState.ask_end_section,
                color_scheme="red",
                variant="outline",
            ),
            width="100%",
            wrap="wrap",
        ),
        _confirm(),
        rx.cond(
            TryoutState.next_section_name != "",
            rx.text("Berikutnya: ", TryoutState.next_section_name, size="1", color_scheme="gray"),
        ),
        rx.button("", id="tryout-timeout", on_click=TryoutState.time_up, display="none"),
        spacing="3",
        width="100%",
        max_width="820px",
    )


def _score_card(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(row["code"], " · ", row["name"], size="2", weight="medium"),
            rx.heading(row["score"], size="6", id="tryout-score-" + row["code"].to(str)),
            rx.text("Rentang ", row["range"], size="1", color_scheme="gray"),
            rx.text(row["correct"], " benar · ", row["time"], size="1", color_scheme="gray"),
            spacing="1",
        ),
        min_width="200px",
    )


def _review_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(row["section"]),
                rx.text("Soal ", row["number"], weight="medium"),
                rx.badge(
                    row["verdict"],
                    color_scheme=match_value(
                        row["verdict"], ("Benar", "green"), ("Salah", "red"), default="gray"
                    ),
                ),
                align="center",
                wrap="wrap",
            ),
            rx.text(row["text"], white_space="pre-wrap"),
            rx.text(row["options"], white_space="pre-wrap", size="2", color_scheme="gray"),
            rx.text(
                "Kunci ",
                rx.text.strong(row["key"]),
                " · jawabanmu ",
                rx.text.strong(row["choice"]),
                size="2",
            ),
            rx.text(rx.text.strong("Pembahasan: "), row["explanation"], size="2"),
            spacing="1",
            width="100%",
        ),
        width="100%",
    )


def _chance_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.badge(row["kind"], variant="soft"),
        rx.text(row["label"], weight="medium"),
        rx.text("batas perkiraan ", row["cutoff"], size="2", color_scheme="gray"),
        rx.text("peluang ", rx.text.strong(row["chance"]), size="2"),
        wrap="wrap",
        align="center",
        width="100%",
    )


def _chances() -> rx.Component:
    return rx.cond(
        TryoutState.program_choices.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading("Cukupkah untuk program studimu? (perkiraan)", size="4"),
                rx.el.select(
                    rx.foreach(
                        TryoutState.program_choices,
                        lambda p: rx.el.option(p["label"], value=p["id"]),
                    ),
                    id="tryout-program",
                    value=TryoutState.program_id,
                    on_change=TryoutState.set_program,
                    style={**SELECT_STYLE, "width": "100%"},
                ),
                rx.vstack(rx.foreach(TryoutState.chances, _chance_row), width="100%"),
                rx.text(
                    "Perkiraan: nilai batas resmi SNBT tidak diumumkan. Batas dihitung dari daya "
                    "tampung dan jumlah peminat (atau data sekolah bila ada), peluang dari skor "
                    "totalmu beserta rentangnya.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="2",
                width="100%",
                id="tryout-chance",
            ),
            width="100%",
        ),
    )


def _result() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.text(TryoutState.blueprint_name, " · selesai ", TryoutState.result_when),
                rx.hstack(
                    rx.text("Skor total (rata-rata subtes):", size="4"),
                    rx.heading(TryoutState.total, size="8", id="tryout-total"),
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    "Skor dan rentangnya adalah perkiraan Nexus dari jawabanmu (skala 200–900, "
                    "rata-rata 500), bukan konversi resmi UTBK.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(
                    TryoutState.standing_shown,
                    rx.vstack(
                        rx.text(TryoutState.standing_text, weight="medium", id="tryout-percentile"),
                        rx.foreach(
                            TryoutState.standing_sections,
                            lambda s: rx.text(s["text"], size="2", color_scheme="gray"),
                        ),
                        spacing="1",
                    ),
                    rx.text(
                        TryoutState.standing_note,
                        size="2",
                        color_scheme="gray",
                        id="tryout-percentile-pending",
                    ),
                ),
                rx.button(
                    "Mulai tryout baru",
                    id="tryout-new",
                    on_click=TryoutState.new_tryout,
                    color_scheme=BRAND_COLOR,
                    variant="soft",
                ),
                spacing="2",
            ),
            width="100%",
        ),
        rx.flex(rx.foreach(TryoutState.result_sections, _score_card), wrap="wrap", gap="0.8em"),
        _chances(),
        rx.heading("Pembahasan", size="5"),
        rx.vstack(
            rx.foreach(TryoutState.review, _review_row),
            id="tryout-review",
            spacing="2",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.window_event_listener(on_key_down=TryoutState.on_key),
        rx.heading("Tryout UTBK", size="7"),
        rx.match(
            TryoutState.phase,
            ("section", _section()),
            ("result", _result()),
            _start(),
        ),
        spacing="4",
        width="100%",
    )


def tryout_page() -> rx.Component:
    return app_shell(_content)()
