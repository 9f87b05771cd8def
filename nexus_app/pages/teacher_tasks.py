"""/teacher/tugas: give a class, a group or single students a practice set or a tryout with a
due date; completion and results per student and per item (with CSV), and the "soal sulit"
report."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.shell import BRAND_COLOR, SELECT_STYLE, app_shell
from nexus_app.components.tables import simple_table
from nexus_app.components.values import either
from nexus_app.state.teacher_tasks import ROUTE as STATE_ROUTE
from nexus_app.state.teacher_tasks import TeacherTaskState as S

ROUTE = STATE_ROUTE
ROLES = ["guru", "admin"]


def _labelled(label: str, control: rx.Component, control_id: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=control_id, style={"font_size": "13px", "font_weight": "500"}),
        control,
        spacing="1",
        width="100%",
    )


def _student_box(s: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.checkbox(
        s["name"].to(str) + " (" + s["username"].to(str) + ")",
        checked=S.picked.contains(s["id"]),
        on_change=lambda checked: S.toggle_student(s["id"], checked),
        id="task-student-" + s["username"].to(str),
    )


def _form() -> rx.Component:
    return rx.card(
        rx.vstack(
            _labelled(
                "Kelas",
                rx.el.select(
                    rx.foreach(S.classes, lambda c: rx.el.option(c, value=c)),
                    value=S.task_class,
                    on_change=S.set_task_class,
                    id="task-class",
                    style=SELECT_STYLE,
                ),
                "task-class",
            ),
            _labelled(
                "Latihan (subtes UTBK, topik mata pelajaran, atau tryout)",
                rx.el.select(
                    rx.foreach(S.targets, lambda t: rx.el.option(t["label"], value=t["key"])),
                    value=S.target,
                    on_change=S.set_target,
                    id="task-target",
                    style=SELECT_STYLE,
                ),
                "task-target",
            ),
            rx.hstack(
                rx.cond(
                    S.target_is_tryout,
                    rx.text(
                        "Tryout: jumlah soal dan waktunya mengikuti cetak biru. Tugas selesai "
                        "begitu siswa menyelesaikan satu tryout ini; skornya tampil di hasil.",
                        size="2",
                        color_scheme="gray",
                        id="task-tryout-note",
                    ),
                    _labelled(
                        "Jumlah soal",
                        rx.input(
                            value=S.count,
                            on_change=S.set_count,
                            type="number",
                            min=1,
                            max=50,
                            id="task-count",
                        ),
                        "task-count",
                    ),
                ),
                _labelled(
                    "Batas waktu (WIB)",
                    rx.input(
                        value=S.due, on_change=S.set_due, type="datetime-local", id="task-due"
                    ),
                    "task-due",
                ),
                wrap="wrap",
                width="100%",
            ),
            _labelled(
                "Judul (boleh kosong)",
                rx.input(
                    value=S.title,
                    on_change=S.set_title,
                    placeholder="mis. PR Pecahan minggu ini",
                    id="task-title-input",
                ),
                "task-title-input",
            ),
            rx.text(
                "Siswa: biarkan semua tidak dicentang untuk seluruh kelas, atau centang "
                "sebagian untuk kelompok atau satu siswa.",
                size="2",
                color_scheme="gray",
            ),
            rx.flex(
                rx.foreach(S.students, _student_box),
                wrap="wrap",
                gap="0.75em",
                id="task-students-pick",
            ),
            rx.button("Berikan tugas", on_click=S.save, id="task-save", color_scheme=BRAND_COLOR),
            spacing="3",
            width="100%",
        ),
        id="task-form",
        width="100%",
    )


def _task_row(t: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(t["title"]),
        rx.table.cell(t["target"]),
        rx.table.cell(t["class_name"]),
        rx.table.cell(
            t["due"],
            rx.cond(t["overdue"] != "", rx.badge("lewat", color_scheme="red", margin_left="0.4em")),
        ),
        rx.table.cell(t["done"]),
        rx.table.cell(
            rx.hstack(
                rx.button(
                    "Hasil",
                    size="1",
                    variant="soft",
                    on_click=S.open_results(t["id"]),
                    id="task-open-" + t["id"].to(str),
                ),
                rx.button(
                    "Tarik",
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    on_click=S.withdraw(t["id"]),
                    id="task-withdraw-" + t["id"].to(str),
                ),
            )
        ),
        id="task-row-" + t["id"].to(str),
    )


def _task_list() -> rx.Component:
    return rx.cond(
        S.rows.length() > 0,
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in ("Tugas", "Latihan", "Kelas", "Batas", "Selesai", "")
                        ]
                    )
                ),
                rx.table.body(rx.foreach(S.rows, _task_row)),
                size="1",
                width="100%",
                id="task-list",
            ),
            overflow_x="auto",
            width="100%",
        ),
        rx.text(
            'Belum ada tugas. Tekan "Tugas baru" untuk memberi latihan kepada kelas Anda.',
            size="2",
            color_scheme="gray",
            id="no-task-rows",
        ),
    )


def _results() -> rx.Component:
    return rx.cond(
        S.result_id > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading("Hasil: ", S.result_title, size="4"),
                    rx.spacer(),
                    rx.button("Tutup", size="1", variant="ghost", on_click=S.close_results),
                    width="100%",
                ),
                rx.text(S.result_line, size="2", color_scheme="gray", id="task-result-line"),
                rx.hstack(
                    rx.heading("Per siswa", size="3"),
                    rx.button(
                        "Unduh CSV",
                        size="1",
                        variant="soft",
                        on_click=S.download_students,
                        id="task-export",
                    ),
                    align="center",
                ),
                rx.box(
                    simple_table(
                        ["Siswa", "Nama", "Status", "Dijawab", "Benar", "Skor", "Selesai pada"],
                        S.student_rows,
                        ["username", "name", "status", "answered", "correct", "score", "completed"],
                        "task-students",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                rx.hstack(
                    rx.heading("Per soal (tersulit dulu)", size="3"),
                    rx.button(
                        "Unduh CSV",
                        size="1",
                        variant="soft",
                        on_click=S.download_items,
                        id="task-export-items",
                    ),
                    align="center",
                ),
                rx.cond(
                    S.item_rows.length() > 0,
                    rx.box(
                        simple_table(
                            ["No", "Soal", "Kunci", "Dijawab", "Benar", "% benar", "Pilihan salah"],
                            S.item_rows,
                            ["number", "text", "key", "answers", "correct", "rate", "distractors"],
                            "task-items",
                        ),
                        overflow_x="auto",
                        width="100%",
                    ),
                    rx.text(
                        "Belum ada jawaban. Hasil per soal muncul begitu siswa mulai mengerjakan.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            id="task-results",
            width="100%",
        ),
    )


def _hard_items() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Soal sulit", size="5"),
            rx.button(
                "Unduh CSV", size="1", variant="soft", on_click=S.download_hard, id="hard-export"
            ),
            align="center",
        ),
        rx.text(
            "Soal dengan persentase benar terendah di kelas Anda (minimal 3 jawaban), dengan "
            "pilihan salah yang dipilih siswa dan seberapa sering.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            S.hard.length() > 0,
            rx.box(
                simple_table(
                    ["Bidang", "Soal", "Kunci", "Dijawab", "% benar", "Pilihan salah"],
                    S.hard,
                    ["area", "text", "key", "answers", "rate", "distractors"],
                    "hard-items",
                ),
                overflow_x="auto",
                width="100%",
            ),
            rx.text(
                "Belum cukup jawaban dari siswa kelas Anda untuk menilai soal mana yang sulit.",
                size="2",
                color_scheme="gray",
                id="hard-items-empty",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Tugas kelas", size="7"),
            rx.spacer(),
            rx.link("Kembali ke peta kelas", href="/teacher", size="2"),
            width="100%",
            align="center",
        ),
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="shield-alert", color_scheme="red", id="task-error"),
        ),
        rx.cond(
            S.message != "",
            rx.callout(S.message, icon="circle-check", color_scheme="green", id="task-message"),
        ),
        rx.cond(
            S.notice != "",
            rx.callout(S.notice, icon="info", color_scheme="amber", id="task-notice"),
            rx.vstack(
                rx.button(
                    either(S.form_open, "Tutup formulir", "Tugas baru"),
                    on_click=S.open_form,
                    id="task-new",
                    color_scheme=BRAND_COLOR,
                ),
                rx.cond(S.form_open, _form()),
                spacing="3",
                width="100%",
            ),
        ),
        _task_list(),
        _results(),
        _hard_items(),
        spacing="4",
        width="100%",
    )


def teacher_tasks_page() -> rx.Component:
    return app_shell(_content)()
