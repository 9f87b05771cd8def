"""The "Tugas" card of the student dashboard: due, done and overdue tasks, one click to start."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from nexus_app.components.shell import BRAND_COLOR
from nexus_app.state.student_tasks import StudentTasksState as S
from nexus_app.state.student_tasks import TaskRow


def _task(t: ObjectVar[TaskRow]) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.text(t.title, weight="bold"),
                rx.text(t.target, " · batas ", t.due, size="2", color_scheme="gray"),
                rx.hstack(
                    rx.badge(t.status, color_scheme=t.color),
                    rx.text(t.progress, size="2"),
                    spacing="2",
                    align="center",
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                t.done == "",
                rx.link(
                    rx.button("Kerjakan", color_scheme=BRAND_COLOR),
                    href=t.link,
                    id="task-start-" + t.id.to(str),
                ),
                rx.link(
                    rx.button("Lihat", variant="soft", color_scheme="gray"),
                    href=t.link,
                    id="task-view-" + t.id.to(str),
                ),
            ),
            align="center",
            width="100%",
            wrap="wrap",
        ),
        id="task-row-" + t.id.to(str),
        class_name="student-task",
        width="100%",
    )


def student_tasks() -> rx.Component:
    return rx.vstack(
        rx.heading("Tugas", size="5"),
        rx.cond(
            S.items.length() > 0,
            rx.vstack(rx.foreach(S.items, _task), width="100%", spacing="2"),
            rx.text(
                "Belum ada tugas dari guru. Tugas yang diberikan gurumu muncul di sini, "
                "lengkap dengan batas waktunya.",
                size="2",
                color_scheme="gray",
                id="no-tasks",
            ),
        ),
        id="student-tasks",
        spacing="2",
        width="100%",
    )
