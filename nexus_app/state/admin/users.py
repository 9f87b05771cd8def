"""State of /admin/users (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx
from reflex_base.event import EventSpec

from nexus_app.formatting import EMPTY
from nexus_app.services import school_setup, timefmt
from nexus_app.services import users as user_admin
from nexus_app.services.auth import ROLE_LABELS, CurrentUser, run_password_work
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import Paged, admin_event, admin_setter
from nexus_app.state.auth import AuthState

UPLOAD_ID = "users-csv"
ALL = ""
CREDENTIALS_FILENAME = "akun-baru-nexus.csv"
MAX_IMPORT_BYTES = user_admin.MAX_IMPORT_BYTES
_REJECTION_REASONS = {
    "file-too-large": f"berkas lebih besar dari {MAX_IMPORT_BYTES // 1024} KB",
    "file-invalid-type": "bukan berkas .csv",
    "too-many-files": "pilih satu berkas saja",
}


@dataclasses.dataclass
class UserListRow:
    """One account as the list and the panel show it (every field empty: none selected)."""

    id: str = ""
    username: str = ""
    full_name: str = ""
    role: str = ""
    role_label: str = ""
    class_name: str = ""
    grade: str = ""
    email: str = ""
    # The list's "Kelas" column: a student's class, the classes a guru teaches.
    class_cell: str = ""
    # The edit form's starting values (empty, not EMPTY).
    full_name_raw: str = ""
    class_raw: str = ""
    grade_raw: str = ""
    email_raw: str = ""
    active: bool = False
    status: str = ""
    last_login: str = ""
    is_self: bool = False


def _user_row(row: user_admin.UserRow, actor_id: int) -> UserListRow:
    return UserListRow(
        id=str(row.id),
        username=row.username,
        full_name=row.full_name or EMPTY,
        role=row.role,
        role_label=ROLE_LABELS.get(row.role, row.role),
        class_name=row.class_name or EMPTY,
        grade=EMPTY if row.grade is None else str(row.grade),
        email=row.email or EMPTY,
        class_cell=(
            ("mengajar " + ", ".join(row.classes) if row.classes else "belum ada kelas")
            if row.role == "guru"
            else row.class_name or EMPTY
        ),
        full_name_raw=row.full_name or "",
        class_raw=row.class_name or "",
        grade_raw="" if row.grade is None else str(row.grade),
        email_raw=row.email or "",
        active=row.is_active,
        status="Aktif" if row.is_active else "Nonaktif",
        last_login=timefmt.format_datetime(row.last_login, empty="belum pernah"),
        is_self=row.id == actor_id,
    )


@dataclasses.dataclass
class CredentialRow:
    """One imported account's first password, shown once after a CSV import."""

    username: str = ""
    full_name: str = ""
    role_label: str = ""
    class_name: str = ""
    password: str = ""


@dataclasses.dataclass
class MoveRow:
    """One student in the preview of a class move (kenaikan kelas)."""

    username: str = ""
    full_name: str = ""
    grade: str = ""
    status: str = ""


def _credential_row(c: user_admin.NewCredential) -> CredentialRow:
    return CredentialRow(
        username=c.username,
        full_name=c.full_name,
        role_label=ROLE_LABELS.get(c.role, c.role),
        class_name=c.class_name or EMPTY,
        password=c.password,
    )


def _parse_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class AdminUsersState(Paged, AuthState):
    # The list.
    search: rx.Field[str] = rx.field("")
    role_filter: rx.Field[str] = rx.field(ALL)
    status_filter: rx.Field[str] = rx.field("all")
    total: rx.Field[int] = rx.field(0)
    rows: rx.Field[list[UserListRow]] = rx.field(default_factory=list)
    list_error: rx.Field[str] = rx.field("")
    search_form_key: rx.Field[int] = rx.field(0)

    # Create one account.
    new_role: rx.Field[str] = rx.field("siswa")
    create_error: rx.Field[str] = rx.field("")
    create_message: rx.Field[str] = rx.field("")
    created_password: rx.Field[str] = rx.field("")  # a generated password, shown once
    form_key: rx.Field[int] = rx.field(0)  # bumped after a success: the form remounts empty

    # CSV import.
    import_skip: rx.Field[bool] = rx.field(False)
    import_busy: rx.Field[bool] = rx.field(False)
    import_progress: rx.Field[int] = rx.field(0)
    import_progress_text: rx.Field[str] = rx.field("")
    import_error: rx.Field[str] = rx.field("")
    import_summary: rx.Field[str] = rx.field("")
    import_ok: rx.Field[bool] = rx.field(False)
    import_errors: rx.Field[list[str]] = rx.field(default_factory=list)
    import_credentials: rx.Field[list[CredentialRow]] = rx.field(default_factory=list)
    # The downloadable copy stays on the server; the page only asks for it.
    _credentials_csv: str = ""

    # The panel of one selected account.
    selected_id: rx.Field[int] = rx.field(0)
    selected: rx.Field[UserListRow] = rx.field(default_factory=UserListRow)
    panel_role: rx.Field[str] = rx.field("")
    confirm_deactivate: rx.Field[bool] = rx.field(False)
    panel_error: rx.Field[str] = rx.field("")
    panel_message: rx.Field[str] = rx.field("")
    reset_password_shown: rx.Field[str] = rx.field("")  # the new password, shown once
    profile_key: rx.Field[int] = rx.field(
        0
    )  # bumped when the panel shows another state of the account
    # Rename a class / kenaikan kelas: a preview first, then the move.
    move_classes: rx.Field[list[str]] = rx.field(default_factory=list)
    move_grade_mode: rx.Field[str] = rx.field("up")
    move_teachers: rx.Field[bool] = rx.field(True)
    move_rows: rx.Field[list[MoveRow]] = rx.field(default_factory=list)
    move_summary: rx.Field[str] = rx.field("")
    move_error: rx.Field[str] = rx.field("")
    move_message: rx.Field[str] = rx.field("")
    move_form_key: rx.Field[int] = rx.field(0)
    # What the admin saw in the preview (backend only): the move must match it.
    _move_request: dict[str, str] = {}
    _move_fingerprint: str = ""
    panel_classes: rx.Field[list[str]] = rx.field(default_factory=list)  # a guru's classes
    # Removing a leaving user: what it touches first, then anonymise or delete.
    removal_open: rx.Field[bool] = rx.field(False)
    removal_mode: rx.Field[str] = rx.field("anonymise")
    removal_counts: rx.Field[str] = rx.field("")
    removal_delete_blocked: rx.Field[str] = rx.field("")
    removal_error: rx.Field[str] = rx.field("")
    removed_message: rx.Field[str] = rx.field("")
    # The school's default tier for new students (chosen once; services/school_setup.py).
    plan_chosen: rx.Field[bool] = rx.field(True)
    plan_choice: rx.Field[str] = rx.field("sekolah")
    plan_sells: rx.Field[bool] = rx.field(False)
    plan_message: rx.Field[str] = rx.field("")
    plan_error: rx.Field[str] = rx.field("")
    class_options: rx.Field[list[str]] = rx.field(
        default_factory=list
    )  # classes that have students, to pick from
    class_form_key: rx.Field[int] = rx.field(0)

    @rx.var
    def total_text(self) -> str:
        return f"{self.total} pengguna"

    # --- the list ---------------------------------------------------------------------

    def _load_page(self, actor: CurrentUser) -> None:
        self.list_error = ""
        try:
            result = user_admin.list_users(
                actor=actor,
                search=self.search,
                role=self.role_filter,
                status=self.status_filter,
                page=self.page,
            )
        except ServiceError as exc:
            self.list_error = exc.message
            return
        self.rows = [_user_row(r, actor.id) for r in result.rows]
        self.total = result.total
        self.page = result.page
        self.page_count = result.pages
        # Any change to the list (an import, a moved student) may change the classes.
        self.move_classes = user_admin.class_choices(actor=actor)

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        # Passwords are shown once: a new visit to the page does not show them again.
        self.created_password = ""
        self.create_message = ""
        self.create_error = ""
        self.reset_password_shown = ""
        self._clear_import()
        self._close_panel()
        self._clear_move()
        self.move_message = ""
        self.removed_message = ""
        self._load_plan(actor)
        self._load_page(actor)

    def _forget_secrets(self) -> None:
        """AuthState calls this at every page load and before every hydrate: a generated
        password lives only while its panel shows it (docs/security.md)."""
        if self.created_password:
            self.created_password = ""
        if self.reset_password_shown:
            self.reset_password_shown = ""
        if self.import_credentials:
            self.import_credentials = []
        if self._credentials_csv:
            self._credentials_csv = ""

    @admin_event
    def apply_search(self, actor: CurrentUser, form_data: dict[str, Any]) -> None:
        self.search = str(form_data.get("search") or "").strip()
        self.page = 1
        self._load_page(actor)

    @admin_event
    def clear_search(self, actor: CurrentUser) -> None:
        self.search = ""
        self.role_filter = ALL
        self.status_filter = "all"
        self.page = 1
        self.search_form_key += 1
        self._load_page(actor)

    @admin_event
    def set_role_filter(self, actor: CurrentUser, value: str) -> None:
        self.role_filter = value if value in ROLE_LABELS else ALL
        self.page = 1
        self._load_page(actor)

    @admin_event
    def set_status_filter(self, actor: CurrentUser, value: str) -> None:
        self.status_filter = value if value in user_admin.STATUS_FILTERS else "all"
        self.page = 1
        self._load_page(actor)

    # --- create -----------------------------------------------------------------------

    @admin_event
    def set_new_role(self, value: str) -> None:
        self.new_role = value if value in ROLE_LABELS else "siswa"

    @admin_event(error="create_error")
    async def create_user(self, actor: CurrentUser, form_data: dict[str, Any]) -> None:
        self.create_error = ""
        self.create_message = ""
        self.created_password = ""
        is_student = self.new_role == "siswa"
        is_teacher = self.new_role == "guru"
        # argon2 hashing runs in its own thread pool, off the event loop.
        created = await run_password_work(
            user_admin.create_user,
            actor=actor,
            username=str(form_data.get("username") or ""),
            full_name=str(form_data.get("full_name") or ""),
            role=self.new_role,
            class_name=str(form_data.get("class_name") or "") if is_student else None,
            grade=form_data.get("grade") if is_student else None,
            email=str(form_data.get("email") or ""),
            password=str(form_data.get("password") or ""),
            classes=str(form_data.get("classes") or "") if is_teacher else None,
        )
        label = ROLE_LABELS.get(created.role, created.role)
        self.create_message = f"Akun {created.username} ({label}) dibuat."
        if created.generated:
            self.created_password = created.password
        self.form_key += 1
        await asyncio.to_thread(self._load_page, actor)

    @admin_event
    def dismiss_created(self) -> None:
        self.created_password = ""
        self.create_message = ""

    # --- CSV import -------------------------------------------------------------------

    def _clear_import(self) -> None:
        self.import_error = ""
        self.import_summary = ""
        self.import_ok = False
        self.import_errors = []
        self.import_credentials = []
        self._credentials_csv = ""
        self.import_progress = 0
        self.import_progress_text = ""

    @admin_event
    def set_import_skip(self, value: bool) -> None:
        self.import_skip = bool(value)

    @admin_event
    def upload_rejected(self, rejected: list[dict[str, Any]]) -> None:
        """The browser refused the file before sending it (too large or not .csv)."""
        self._clear_import()
        codes = [
            str(error.get("code", ""))
            for item in rejected
            if isinstance(item, dict)
            for error in item.get("errors", [])
            if isinstance(error, dict)
        ]
        reasons = [_REJECTION_REASONS[c] for c in dict.fromkeys(codes) if c in _REJECTION_REASONS]
        self.import_error = (
            "Berkas ditolak: "
            + ("; ".join(reasons) if reasons else "unggah satu berkas .csv")
            + "."
        )

    @admin_event
    async def import_csv(
        self, actor: CurrentUser, files: list[rx.UploadFile]
    ) -> AsyncIterator[EventSpec | None]:
        self._clear_import()
        if not files:
            self.import_error = "Pilih berkas CSV terlebih dahulu."
            return
        upload = files[0]
        # One byte over the limit is enough for the service to refuse the file.
        data = await upload.read(user_admin.MAX_IMPORT_BYTES + 1)
        progress = {"done": 0, "total": 0}

        def on_progress(done: int, total: int) -> None:
            progress["done"], progress["total"] = done, total

        self.import_busy = True
        self.import_progress_text = "Memeriksa setiap baris…"
        yield None
        # argon2 hashing is slow: run it off the event loop and stream progress meanwhile.
        task = asyncio.ensure_future(
            asyncio.to_thread(
                user_admin.import_users_csv,
                actor=actor,
                filename=upload.filename or "",
                data=data,
                skip_invalid=self.import_skip,
                progress=on_progress,
            )
        )
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=0.5)
                if progress["total"] and not task.done():
                    self.import_progress = round(100 * progress["done"] / progress["total"])
                    self.import_progress_text = (
                        f"Menyimpan akun {progress['done']} dari {progress['total']}…"
                    )
                    yield None
            report = task.result()
        except ServiceError as exc:
            self.import_error = exc.message
            return
        finally:
            self.import_busy = False
            self.import_progress_text = ""
        self._show_report(report)
        if report.imported:
            self._load_page(actor)
            yield rx.clear_selected_files(UPLOAD_ID)

    def _show_report(self, report: user_admin.UserImportReport) -> None:
        bad = len(report.errors)
        self.import_errors = [str(e) for e in report.errors]
        self.import_ok = report.imported > 0
        if report.imported and not bad:
            self.import_summary = f"{report.imported} pengguna diimpor."
        elif report.imported:
            self.import_summary = (
                f"{report.imported} pengguna diimpor; {bad} baris salah dilewati (lihat daftar)."
            )
        elif bad == report.rows:
            self.import_summary = f"Tidak ada yang diimpor: semua {bad} baris salah."
        else:
            self.import_summary = (
                f"Tidak ada yang diimpor: {bad} dari {report.rows} baris salah. Perbaiki berkas, "
                "atau centang “Lewati baris yang salah” untuk mengimpor "
                f"{report.rows - bad} baris yang benar."
            )
        self.import_credentials = [_credential_row(c) for c in report.credentials]
        self._credentials_csv = (
            user_admin.credentials_csv(report.credentials) if report.credentials else ""
        )

    @admin_event
    def download_template(self) -> EventSpec:
        """The import template, built next to the importer's columns so it cannot drift."""
        return rx.download(data=user_admin.csv_template(), filename=user_admin.TEMPLATE_FILENAME)

    @admin_event
    def download_credentials(self) -> EventSpec | None:
        if not self._credentials_csv:
            self.import_error = "Tidak ada kata sandi baru untuk diunduh."
            return None
        return rx.download(data=self._credentials_csv, filename=CREDENTIALS_FILENAME)

    @admin_event
    def dismiss_credentials(self) -> None:
        self.import_credentials = []
        self._credentials_csv = ""

    # --- one account ------------------------------------------------------------------

    def _close_panel(self) -> None:
        self.selected_id = 0
        self.selected = UserListRow()
        self.panel_role = ""
        self.confirm_deactivate = False
        self.panel_error = ""
        self.panel_message = ""
        self.reset_password_shown = ""
        self.panel_classes = []
        self._clear_removal()

    def _show(self, row: user_admin.UserRow, actor: CurrentUser) -> None:
        self.selected_id = row.id
        self.selected = _user_row(row, actor.id)
        self.panel_role = row.role
        self.panel_classes = list(row.classes)
        self.profile_key += 1
        if row.role == "guru":
            self.class_options = user_admin.class_choices(actor=actor)

    @admin_event(error="panel_error")
    def open_user(self, actor: CurrentUser, user_id: str) -> None:
        self._close_panel()
        self.removed_message = ""
        row = user_admin.get_user(actor=actor, user_id=_parse_id(user_id))
        self._show(row, actor)

    @admin_event
    def close_panel(self) -> None:
        self._close_panel()

    set_panel_role = admin_setter("panel_role", str)

    @admin_event(error="panel_error")
    def save_role(self, actor: CurrentUser) -> None:
        self.panel_error = ""
        self.panel_message = ""
        row = user_admin.change_role(actor=actor, user_id=self.selected_id, role=self.panel_role)
        self._show(row, actor)
        self.panel_message = f"Peran {row.username} sekarang {ROLE_LABELS.get(row.role)}."
        self._load_page(actor)

    @admin_event
    def ask_deactivate(self) -> None:
        self.confirm_deactivate = True

    @admin_event
    def cancel_deactivate(self) -> None:
        self.confirm_deactivate = False

    @admin_event(error="panel_error")
    def deactivate(self, actor: CurrentUser) -> None:
        self.panel_error = ""
        self.panel_message = ""
        self.confirm_deactivate = False
        result = user_admin.deactivate_user(actor=actor, user_id=self.selected_id)
        self._show(result.user, actor)
        self.panel_message = (
            f"Akun {result.user.username} dinonaktifkan; {result.sessions_ended} sesi "
            "masuknya diakhiri."
        )
        self._load_page(actor)

    @admin_event(error="panel_error")
    def reactivate(self, actor: CurrentUser) -> None:
        self.panel_error = ""
        self.panel_message = ""
        row = user_admin.reactivate_user(actor=actor, user_id=self.selected_id)
        self._show(row, actor)
        self.panel_message = f"Akun {row.username} aktif kembali dan bisa masuk."
        self._load_page(actor)

    # --- the school's default tier ---------------------------------------------------------

    def _load_plan(self, actor: CurrentUser) -> None:
        plan = school_setup.get_school_plan(actor=actor)
        self.plan_chosen = plan.chosen
        self.plan_choice = plan.choice or "sekolah"
        self.plan_sells = plan.sells_plans
        self.plan_message = ""
        self.plan_error = ""

    set_plan_choice = admin_setter("plan_choice", str)
    set_plan_sells = admin_setter("plan_sells", bool)

    @admin_event(error="plan_error")
    def save_plan(self, actor: CurrentUser) -> None:
        self.plan_error = ""
        plan = school_setup.set_default_tier(
            actor=actor, choice=self.plan_choice, sells_plans=self.plan_sells
        )
        self._load_plan(actor)
        self.plan_message = f"Disimpan: {school_setup.CHOICE_LABELS[plan.choice]}. " + (
            "Pesan kuota menyebut paket berbayar."
            if plan.sells_plans
            else "Siswa tidak melihat ajakan membeli paket."
        )

    # --- a leaving user: anonymise or delete ---------------------------------------------

    def _clear_removal(self) -> None:
        self.removal_open = False
        self.removal_mode = "anonymise"
        self.removal_counts = ""
        self.removal_delete_blocked = ""
        self.removal_error = ""

    @admin_event(error="panel_error")
    def ask_remove(self, actor: CurrentUser) -> None:
        self._clear_removal()
        preview = user_admin.removal_preview(actor=actor, user_id=self.selected_id)
        self.removal_counts = (
            f"{preview.attempts} jawaban latihan, {preview.study_sessions} sesi belajar, "
            f"{preview.chats} pesan tutor, {preview.mastery_rows} catatan penguasaan topik, "
            f"{preview.weak_areas} area lemah, {preview.payments} pembayaran, "
            f"{preview.reviews} telaah soal."
        )
        self.removal_delete_blocked = preview.delete_blocked_reason
        self.removal_open = True

    @admin_event
    def cancel_remove(self) -> None:
        self._clear_removal()

    set_removal_mode = admin_setter("removal_mode", str)

    @admin_event(error="removal_error")
    def remove_user(self, actor: CurrentUser, form_data: dict[str, Any]) -> None:
        self.removal_error = ""
        result = user_admin.remove_user(
            actor=actor,
            user_id=self.selected_id,
            mode=self.removal_mode,
            confirm_username=str(form_data.get("confirm_username") or ""),
        )
        self._close_panel()
        self.removed_message = result.message
        self._load_page(actor)

    async def _reset(self, actor: CurrentUser, password: str | None) -> None:
        self.panel_error = ""
        self.panel_message = ""
        self.reset_password_shown = ""
        try:
            # argon2 hashing runs in its own thread pool, off the event loop.
            result = await run_password_work(
                user_admin.reset_password,
                actor=actor,
                user_id=self.selected_id,
                new_password=password,
            )
        except ServiceError as exc:
            self.panel_error = exc.message
            return
        self.panel_message = (
            f"Kata sandi {result.username} diganti; {result.sessions_ended} sesi masuknya "
            "diakhiri. Sampaikan kata sandi baru kepada pemilik akun."
        )
        if result.generated:
            self.reset_password_shown = result.password

    @admin_event
    async def reset_password(self, actor: CurrentUser, form_data: dict[str, Any]) -> None:
        typed = str(form_data.get("new_password") or "")
        if not typed:
            self.panel_error = "Ketik kata sandi baru, atau pilih “Buat otomatis”."
            return
        await self._reset(actor, typed)

    @admin_event
    def dismiss_reset_password(self) -> None:
        self.reset_password_shown = ""

    @admin_event
    async def reset_password_generated(self, actor: CurrentUser) -> None:
        await self._reset(actor, None)

    # --- profile and a guru's classes ----------------------------------------------------

    @admin_event(error="panel_error")
    def save_profile(self, actor: CurrentUser, form_data: dict[str, Any]) -> None:
        self.panel_error = ""
        self.panel_message = ""
        is_student = self.selected.role == "siswa"
        row = user_admin.update_profile(
            actor=actor,
            user_id=self.selected_id,
            full_name=str(form_data.get("full_name") or ""),
            class_name=str(form_data.get("class_name") or "") if is_student else None,
            grade=form_data.get("grade") if is_student else None,
            email=str(form_data.get("email") or ""),
        )
        self._show(row, actor)
        self.panel_message = f"Data {row.username} disimpan."
        self._load_page(actor)

    @admin_event(error="panel_error")
    def add_class(self, actor: CurrentUser, form_data: dict[str, Any]) -> None:
        self.panel_error = ""
        self.panel_message = ""
        # Typing a class nobody is in yet is allowed here: its students may come later.
        change = user_admin.assign_class(
            actor=actor,
            user_id=self.selected_id,
            class_name=str(form_data.get("class_name") or ""),
            allow_empty=True,
        )
        self.panel_classes = list(change.classes)
        self.class_form_key += 1
        if not change.changed:
            self.panel_message = f"{change.username} sudah mengajar {change.class_name}."
        elif change.has_students:
            self.panel_message = f"{change.username} sekarang mengajar {change.class_name}."
        else:
            self.panel_message = (
                f"{change.username} sekarang mengajar {change.class_name}. Kelas ini belum "
                "punya siswa: periksa penulisannya, atau impor siswanya dengan kelas yang sama."
            )
        self._load_page(actor)

    @admin_event(error="panel_error")
    def remove_class(self, actor: CurrentUser, class_name: str) -> None:
        self.panel_error = ""
        self.panel_message = ""
        change = user_admin.unassign_class(
            actor=actor, user_id=self.selected_id, class_name=str(class_name or "")
        )
        self.panel_classes = list(change.classes)
        self.panel_message = f"{change.username} tidak lagi mengajar {change.class_name}."
        self._load_page(actor)

    # --- rename a class / kenaikan kelas ---------------------------------------------------

    def _clear_move(self) -> None:
        self.move_rows = []
        self.move_summary = ""
        self.move_error = ""
        self._move_request = {}
        self._move_fingerprint = ""

    @admin_event
    def set_move_grade_mode(self, value: str) -> None:
        self.move_grade_mode = value if value in user_admin.GRADE_MODES else "keep"
        self._clear_move()

    @admin_event
    def set_move_teachers(self, value: bool) -> None:
        self.move_teachers = bool(value)
        self._clear_move()

    @admin_event(error="move_error")
    def preview_move(self, actor: CurrentUser, form_data: dict[str, Any]) -> None:
        self._clear_move()
        self.move_message = ""
        request = {
            "class_name": str(form_data.get("move_from") or ""),
            "new_class_name": str(form_data.get("move_to") or ""),
            "grade_mode": self.move_grade_mode,
        }
        plan = user_admin.preview_class_move(
            actor=actor, move_teachers=self.move_teachers, **request
        )
        self._move_request = request
        self._move_fingerprint = plan.fingerprint
        self.move_rows = [
            MoveRow(
                username=m.username,
                full_name=m.full_name or EMPTY,
                grade=(
                    EMPTY
                    if m.grade_before is None
                    else f"{m.grade_before} → {m.grade_after}"
                    if m.grade_before != m.grade_after
                    else str(m.grade_before)
                ),
                status="Aktif" if m.is_active else "Nonaktif",
            )
            for m in plan.students
        ]
        self.move_summary = _move_summary(plan, done=False)

    @admin_event
    def cancel_move(self) -> None:
        self._clear_move()

    @admin_event
    def confirm_move(self, actor: CurrentUser) -> None:
        if not self._move_request:
            self.move_error = "Lihat pratinjau terlebih dahulu."
            return
        try:
            plan = user_admin.move_class(
                actor=actor,
                move_teachers=self.move_teachers,
                fingerprint=self._move_fingerprint,
                **self._move_request,
            )
        except ServiceError as exc:
            self._clear_move()
            self.move_error = exc.message
            return
        self._clear_move()
        self.move_message = _move_summary(plan, done=True)
        self.move_form_key += 1
        self._load_page(actor)


def _move_summary(plan: user_admin.ClassMovePlan, *, done: bool) -> str:
    count = len(plan.students)
    grade = " dan naik satu tingkat" if plan.grade_step else ", tingkat tetap"
    head = (
        f"{count} siswa {'dipindahkan' if done else 'akan pindah'} dari {plan.old} ke "
        f"{plan.new}{grade}. Riwayat latihan mereka tetap."
    )
    if not plan.teachers:
        return head + " Kelas ini belum punya guru."
    names = ", ".join(plan.teachers)
    if plan.move_teachers:
        return head + f" Guru kelas ini ({names}) ikut ke {plan.new}."
    return head + f" Guru kelas ini ({names}) tetap tercatat di {plan.old}."
