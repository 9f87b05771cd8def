"""State of /teacher/tugas: assign a practice set or a tryout, follow completion and results,
export them, and the "soal sulit" report. Thin: every handler re-checks guru/admin and the
service checks that the class is the actor's own. Every handler's body runs off the event
loop (state/off_loop.py).

The class the form assigns to is `task_class`, not `class_name`: AuthState has a
`class_name` of its own (the user's class), which `_set_user` writes through `self` on every
session check. Through the public `require` (an AuthState handler, which Reflex binds to the
AuthState instance) that was AuthState's field; through `_require_reused`, the plain helper
the off-loop bodies call on this state, it was this state's field of the same name, so each
handler's check reset the class the page load picked to the guru's own class, "", and the
save said "Pilih kelas yang diberi tugas." (tests/unit/state/test_auth_fields_not_shadowed.py
keeps every state from shadowing an AuthState field)."""

from __future__ import annotations

import reflex as rx
from reflex_base.event import EventSpec

from nexus_app.services import tasks
from nexus_app.services.errors import ServiceError
from nexus_app.state.auth import AuthState
from nexus_app.state.events import event
from nexus_app.state.off_loop import off_loop

ROUTE = "/teacher/tugas"
ROLES = ("guru", "admin")
DEFAULT_COUNT = "5"


class TeacherTaskState(AuthState):
    classes: rx.Field[list[str]] = rx.field(default_factory=list)
    targets: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    notice: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    message: rx.Field[str] = rx.field("")

    form_open: rx.Field[bool] = rx.field(False)
    task_class: rx.Field[str] = rx.field("")
    target: rx.Field[str] = rx.field("")
    count: rx.Field[str] = rx.field(DEFAULT_COUNT)
    due: rx.Field[str] = rx.field("")
    title: rx.Field[str] = rx.field("")
    students: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    picked: rx.Field[list[str]] = rx.field(default_factory=list)

    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    result_id: rx.Field[int] = rx.field(0)
    result_title: rx.Field[str] = rx.field("")
    result_line: rx.Field[str] = rx.field("")
    student_rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    item_rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    hard: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    @rx.var
    def target_is_tryout(self) -> bool:
        """A tryout's length is its blueprint's: the form hides the question count."""
        return self.target.startswith("tryout:")

    def _fail(self, exc: ServiceError) -> None:
        self.error = exc.message
        self.message = ""

    @rx.event
    @off_loop
    def load(self) -> None:
        actor = self._require_reused(*ROLES)
        self.error = ""
        try:
            opts = tasks.options(actor=actor)
        except ServiceError as exc:
            self._fail(exc)
            return
        self.classes = opts.classes
        self.notice = opts.notice
        self.targets = [{"key": t.key, "label": t.label} for t in opts.targets]
        if self.task_class not in self.classes:
            self.task_class = self.classes[0] if self.classes else ""
            self.students, self.picked = [], []
        if self.target not in {t.key for t in opts.targets}:
            self.target = opts.targets[0].key if opts.targets else ""
        self._refresh()

    def _refresh(self) -> None:
        actor = self._require_reused(*ROLES)
        try:
            listed = tasks.list_tasks(actor=actor)
            hard = tasks.hard_items(actor=actor)
        except ServiceError as exc:
            self._fail(exc)
            return
        self.rows = [
            {
                "id": str(t.id),
                "title": t.title,
                "target": t.target,
                "class_name": t.class_name,
                "count": str(t.question_count),
                "due": t.due,
                "overdue": "1" if t.overdue else "",
                "done": f"{t.completed}/{t.recipients} selesai",
            }
            for t in listed
        ]
        self.hard = [
            {
                "area": h.area,
                "text": h.text,
                "key": h.key,
                "answers": str(h.answers),
                "rate": h.rate,
                "distractors": h.distractors,
            }
            for h in hard
        ]

    def _load_students(self) -> None:
        actor = self._require_reused(*ROLES)
        self.picked = []
        if not self.task_class:
            self.students = []
            return
        try:
            found = tasks.class_students(actor=actor, class_name=self.task_class)
        except ServiceError as exc:
            self.students = []
            self._fail(exc)
            return
        self.students = [
            {"id": str(s.id), "username": s.username, "name": s.full_name} for s in found
        ]

    @rx.event
    @off_loop
    def open_form(self) -> None:
        self._require_reused(*ROLES)
        self.form_open = not self.form_open
        self.error = ""
        self.message = ""
        if self.form_open:
            self._load_students()

    @rx.event
    @off_loop
    def set_task_class(self, value: str) -> None:
        self._require_reused(*ROLES)
        self.task_class = value
        self._load_students()

    @rx.event
    @off_loop
    def set_target(self, value: str) -> None:
        self._require_reused(*ROLES)
        self.target = value

    @rx.event
    @off_loop
    def set_count(self, value: str) -> None:
        self._require_reused(*ROLES)
        self.count = value[:3]

    @rx.event
    @off_loop
    def set_due(self, value: str) -> None:
        self._require_reused(*ROLES)
        self.due = value[:20]

    @rx.event
    @off_loop
    def set_title(self, value: str) -> None:
        self._require_reused(*ROLES)
        self.title = value[:200]

    @event
    @off_loop
    def toggle_student(self, student_id: str, checked: bool) -> None:
        self._require_reused(*ROLES)
        picked = [p for p in self.picked if p != student_id]
        self.picked = [*picked, student_id] if checked else picked

    @rx.event
    @off_loop
    def save(self) -> None:
        actor = self._require_reused(*ROLES)
        try:
            count = int(self.count.strip() or "0")
        except ValueError:
            self.error = "Jumlah soal harus berupa angka."
            return
        try:
            task_id = tasks.create_task(
                actor=actor,
                class_name=self.task_class,
                target=self.target,
                question_count=count,
                due=self.due,
                student_ids=[int(p) for p in self.picked if p.isdigit()],
                title=self.title,
            )
        except ServiceError as exc:
            self._fail(exc)
            return
        who = f"{len(self.picked)} siswa" if self.picked else f"seluruh kelas {self.task_class}"
        self.message = f"Tugas diberikan kepada {who}."
        self.error = ""
        self.form_open = False
        self.title = ""
        self.picked = []
        self._refresh()
        self._show_results(task_id)

    def _show_results(self, task_id: int) -> None:
        actor = self._require_reused(*ROLES)
        try:
            results = tasks.task_results(actor=actor, task_id=task_id)
        except ServiceError as exc:
            self._fail(exc)
            return
        self.result_id = results.task_id
        self.result_title = results.title
        size = "" if results.is_tryout else f" · {results.question_count} soal"
        self.result_line = (
            f"{results.target} · kelas {results.class_name}{size} · "
            f"batas {results.due} · {results.completed}/{results.recipients} selesai"
        )
        self.student_rows = [
            dict(
                zip(
                    ("username", "name", "status", "answered", "correct", "score", "completed"),
                    s.cells(),
                    strict=True,
                )
            )
            for s in results.students
        ]
        self.item_rows = [
            dict(
                zip(
                    ("number", "text", "key", "answers", "correct", "rate", "distractors"),
                    i.cells(),
                    strict=True,
                )
            )
            for i in results.items
        ]

    @event
    @off_loop
    def open_results(self, task_id: str) -> None:
        self._require_reused(*ROLES)
        if not str(task_id).isdigit():
            self.error = "Tugas tidak ditemukan."
            return
        self.error = ""
        self._show_results(int(task_id))

    @rx.event
    @off_loop
    def close_results(self) -> None:
        self._require_reused(*ROLES)
        self.result_id = 0
        self.student_rows, self.item_rows = [], []

    @event
    @off_loop
    def withdraw(self, task_id: str) -> None:
        actor = self._require_reused(*ROLES)
        if not str(task_id).isdigit():
            return
        try:
            tasks.delete_task(actor=actor, task_id=int(task_id))
        except ServiceError as exc:
            self._fail(exc)
            return
        if self.result_id == int(task_id):
            self.result_id = 0
        self.message = "Tugas ditarik."
        self._refresh()

    @rx.event
    @off_loop
    def download_students(self) -> EventSpec | None:
        actor = self._require_reused(*ROLES)
        if not self.result_id:
            return None
        try:
            data = tasks.students_csv(actor=actor, task_id=self.result_id)
        except ServiceError as exc:
            self._fail(exc)
            return None
        return rx.download(data=data, filename=f"hasil-tugas-{self.result_id}-siswa.csv")

    @rx.event
    @off_loop
    def download_items(self) -> EventSpec | None:
        actor = self._require_reused(*ROLES)
        if not self.result_id:
            return None
        try:
            data = tasks.items_csv(actor=actor, task_id=self.result_id)
        except ServiceError as exc:
            self._fail(exc)
            return None
        return rx.download(data=data, filename=f"hasil-tugas-{self.result_id}-soal.csv")

    @rx.event
    @off_loop
    def download_hard(self) -> EventSpec | None:
        actor = self._require_reused(*ROLES)
        try:
            data = tasks.hard_items_csv(actor=actor)
        except ServiceError as exc:
            self._fail(exc)
            return None
        return rx.download(data=data, filename="soal-sulit.csv")
