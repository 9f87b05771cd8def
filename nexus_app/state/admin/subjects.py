"""State of /admin/subjects (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nexus_app.services import subjects
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import admin_event, admin_setter
from nexus_app.state.auth import AuthState

ALL_GRADES = "semua"
GRADE_CHOICES = ("10", "11", "12")


def _grade(value: str) -> int:
    if value not in GRADE_CHOICES:
        raise ValueError(value)
    return int(value)


@dataclasses.dataclass
class SubjectRow:
    id: int
    grade: int
    name: str
    code: str
    books: int


@dataclasses.dataclass
class CascadeItem:
    """What deleting a subject takes along: `count` records of one kind (`key`)."""

    key: str
    label: str
    count: int
    effect: str


class AdminSubjectsState(AuthState):
    grade_filter: rx.Field[str] = rx.field(ALL_GRADES)
    subjects: rx.Field[list[SubjectRow]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    message: rx.Field[str] = rx.field("")

    # The create/edit form: edit_id 0 means a new subject.
    edit_id: rx.Field[int] = rx.field(0)
    form_grade: rx.Field[str] = rx.field("10")
    form_name: rx.Field[str] = rx.field("")
    form_code: rx.Field[str] = rx.field("")

    # The delete confirmation: the counts the admin saw are what the service re-checks.
    delete_open: rx.Field[bool] = rx.field(False)
    delete_id: rx.Field[int] = rx.field(0)
    delete_label: rx.Field[str] = rx.field("")
    delete_items: rx.Field[list[CascadeItem]] = rx.field(default_factory=list)
    delete_has_cascade: rx.Field[bool] = rx.field(False)
    _delete_counts: dict[str, int] = {}

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        self._reload(actor)

    def _reload(self, actor: CurrentUser) -> None:
        grade = None if self.grade_filter == ALL_GRADES else int(self.grade_filter)
        self.subjects = [
            SubjectRow(id=s.id, grade=s.grade, name=s.name, code=s.code, books=s.book_count)
            for s in subjects.admin_list_subjects(actor=actor, grade=grade)
        ]

    @admin_event
    def set_grade_filter(self, actor: CurrentUser, value: str) -> None:
        self.grade_filter = value if value in GRADE_CHOICES else ALL_GRADES
        self._reload(actor)

    set_form_grade = admin_setter("form_grade", str)

    set_form_name = admin_setter("form_name", str)

    @admin_event
    def set_form_code(self, value: str) -> None:
        # Codes are uppercase; show it while typing so there are no surprises on save.
        self.form_code = value.upper()

    def _reset_form(self) -> None:
        self.edit_id = 0
        self.form_grade = "10"
        self.form_name = ""
        self.form_code = ""

    @admin_event
    def start_edit(self, subject_id: int) -> None:
        self.error = ""
        self.message = ""
        row = next((s for s in self.subjects if s.id == int(subject_id)), None)
        if row is None:
            self.error = "Mata pelajaran tidak ditemukan; muat ulang halaman."
            return
        self.edit_id = row.id
        self.form_grade = str(row.grade)
        self.form_name = row.name
        self.form_code = row.code

    @admin_event
    def cancel_edit(self) -> None:
        self._reset_form()

    @admin_event(error="error")
    def save(self, actor: CurrentUser) -> None:
        self.error = ""
        self.message = ""
        try:
            grade = _grade(self.form_grade)
        except ValueError:
            self.error = "Kelas harus 10, 11 atau 12."
            return
        if self.edit_id:
            view = subjects.admin_update_subject(
                actor=actor,
                subject_id=self.edit_id,
                grade=grade,
                name=self.form_name,
                code=self.form_code,
            )
            self.message = f"Mata pelajaran {view.code} diperbarui."
        else:
            view = subjects.admin_create_subject(
                actor=actor, grade=grade, name=self.form_name, code=self.form_code
            )
            self.message = f"Mata pelajaran {view.code} ({view.name}, kelas {view.grade}) dibuat."
        self._reset_form()
        self._reload(actor)

    @admin_event
    def ask_delete(self, actor: CurrentUser, subject_id: int) -> None:
        self.error = ""
        self.message = ""
        try:
            summary = subjects.subject_cascade_summary(actor=actor, subject_id=int(subject_id))
        except ServiceError as exc:
            self.error = exc.message
            self._reload(actor)
            return
        self.delete_id = summary.subject_id
        self.delete_label = f"{summary.code} · {summary.name} (kelas {summary.grade})"
        self.delete_items = [
            CascadeItem(key=i.key, label=i.label, count=i.count, effect=i.effect)
            for i in summary.items()
            if i.count
        ]
        self.delete_has_cascade = not summary.is_empty
        self._delete_counts = summary.counts()
        self.delete_open = True

    @admin_event
    def cancel_delete(self) -> None:
        self._close_delete()

    def _close_delete(self) -> None:
        self.delete_open = False
        self.delete_id = 0
        self.delete_label = ""
        self.delete_items = []
        self.delete_has_cascade = False
        self._delete_counts = {}

    @admin_event
    def set_delete_open(self, value: bool) -> None:
        if not value:
            self._close_delete()

    @admin_event
    def confirm_delete(self, actor: CurrentUser) -> None:
        if not self.delete_id:
            return
        label = self.delete_label
        try:
            subjects.admin_delete_subject(
                actor=actor,
                subject_id=self.delete_id,
                confirmed=dict(self._delete_counts) if self.delete_has_cascade else None,
            )
        except ServiceError as exc:
            self.error = exc.message
            self._close_delete()
            self._reload(actor)
            return
        self._close_delete()
        self.message = f"Mata pelajaran {label} dihapus."
        self._reload(actor)
        if self.edit_id and not any(s.id == self.edit_id for s in self.subjects):
            self._reset_form()  # the subject being edited is gone
