"""/admin/users: Pengguna (search and paging, create, CSV import, profile edits, a guru's
classes, role, (de)activation, password reset)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar
from reflex_base.event import EventCallback

from nexus_app.components.admin import admin_page, either, error_callout, success_callout
from nexus_app.components.shell import SELECT_STYLE
from nexus_app.components.tables import pager
from nexus_app.state.admin.sections import SECTION
from nexus_app.state.admin.users import (
    MAX_IMPORT_BYTES,
    UPLOAD_ID,
    AdminUsersState,
    UserListRow,
)
from nexus_app.state.uploads import upload_headers

S = AdminUsersState
# The panel's account. Typed by hand: mypy reads `rx.Field` of a dataclass as an array here;
# `.to` only names the type (the same JavaScript as `S.selected`).
SELECTED = S.selected.to(ObjectVar, UserListRow)
ROLE_OPTIONS = [("siswa", "Siswa"), ("guru", "Guru"), ("admin", "Admin")]
INPUT_WIDTH = "100%"


def _role_options() -> list[rx.Component]:
    return [rx.el.option(label, value=value) for value, label in ROLE_OPTIONS]


# --- the list -----------------------------------------------------------------------------


def _filters() -> rx.Component:
    return rx.flex(
        rx.form(
            rx.hstack(
                rx.input(
                    name="search",
                    placeholder="Cari nama pengguna, nama lengkap atau kelas…",
                    default_value=S.search,
                    id="users-search",
                    width="340px",
                ),
                rx.button(
                    rx.icon("search", size=16), "Cari", type="submit", id="users-search-submit"
                ),
                spacing="2",
            ),
            on_submit=S.apply_search,
            # A new key remounts the (uncontrolled) search box, so "Hapus filter" empties it.
            key=S.search_form_key,
        ),
        rx.el.select(
            rx.el.option("Semua peran", value=""),
            *_role_options(),
            value=S.role_filter,
            on_change=S.set_role_filter,
            id="users-role-filter",
            style=SELECT_STYLE,
        ),
        rx.el.select(
            rx.el.option("Aktif & nonaktif", value="all"),
            rx.el.option("Hanya aktif", value="active"),
            rx.el.option("Hanya nonaktif", value="inactive"),
            value=S.status_filter,
            on_change=S.set_status_filter,
            id="users-status-filter",
            style=SELECT_STYLE,
        ),
        rx.button(
            "Hapus filter",
            variant="soft",
            color_scheme="gray",
            on_click=S.clear_search,
            id="users-clear-filters",
        ),
        rx.spacer(),
        rx.badge(S.total_text, size="3", id="users-total"),
        wrap="wrap",
        spacing="3",
        align="center",
        width="100%",
    )


def _status_badge(active: rx.Var[bool] | bool, status: rx.Var[str] | str) -> rx.Component:
    return rx.cond(
        active,
        rx.badge(status, color_scheme="green"),
        rx.badge(status, color_scheme="red"),
    )


def _user_row(row: UserListRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.username, weight="medium")),
        rx.table.cell(row.full_name),
        rx.table.cell(row.role_label),
        rx.table.cell(row.class_cell, id="user-classes-" + row.username),
        rx.table.cell(row.grade),
        rx.table.cell(_status_badge(row.active, row.status)),
        rx.table.cell(row.last_login),
        rx.table.cell(
            rx.button(
                "Kelola",
                size="1",
                variant="soft",
                on_click=S.open_user(row.id),
                id="user-manage-" + row.username,
            )
        ),
        id="user-row-" + row.username,
        class_name="user-row",
    )


def _table() -> rx.Component:
    headers = [
        "Nama pengguna",
        "Nama lengkap",
        "Peran",
        "Kelas",
        "Tingkat",
        "Status",
        "Masuk terakhir",
        "",
    ]
    return rx.cond(
        S.total > 0,
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(S.rows, _user_row)),
            variant="surface",
            size="1",
            width="100%",
            id="users-table",
        ),
        rx.callout(
            "Tidak ada pengguna yang cocok dengan pencarian ini.",
            icon="info",
            color_scheme="gray",
            id="users-empty",
        ),
    )


# --- one account --------------------------------------------------------------------------


def _shown_once(password: rx.Var[str], box_id: str, on_dismiss: EventCallback[()]) -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text("Kata sandi baru (hanya ditampilkan sekali, catat sekarang):"),
            rx.code(password, size="4", id=box_id),
            rx.button(
                "Sudah dicatat, sembunyikan",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=on_dismiss,
                id=box_id + "-dismiss",
            ),
            spacing="2",
        ),
        icon="key-round",
        color_scheme="amber",
    )


def _panel_role() -> rx.Component:
    return rx.hstack(
        rx.text("Peran", weight="medium", width="7em"),
        rx.el.select(
            *_role_options(),
            value=S.panel_role,
            on_change=S.set_panel_role,
            id="panel-role",
            style=SELECT_STYLE,
        ),
        rx.button(
            "Simpan peran",
            on_click=S.save_role,
            disabled=SELECTED.is_self,
            id="panel-role-save",
        ),
        align="center",
        spacing="3",
    )


def _panel_profile() -> rx.Component:
    student_fields = rx.cond(
        SELECTED.role == "siswa",
        rx.grid(
            _field(
                "Kelas",
                rx.input(
                    name="class_name",
                    default_value=SELECTED.class_raw,
                    id="panel-class",
                    width=INPUT_WIDTH,
                ),
            ),
            _field(
                "Tingkat",
                rx.el.select(
                    *_grade_options(),
                    name="grade",
                    default_value=SELECTED.grade_raw,
                    id="panel-grade",
                    style=SELECT_STYLE,
                ),
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
    )
    return rx.form(
        rx.vstack(
            rx.grid(
                _field(
                    "Nama lengkap",
                    rx.input(
                        name="full_name",
                        default_value=SELECTED.full_name_raw,
                        id="panel-full-name",
                        width=INPUT_WIDTH,
                    ),
                ),
                _field(
                    "Email (boleh kosong)",
                    rx.input(
                        name="email",
                        type="email",
                        default_value=SELECTED.email_raw,
                        id="panel-email",
                        width=INPUT_WIDTH,
                    ),
                ),
                columns="2",
                spacing="3",
                width="100%",
            ),
            student_fields,
            rx.text(
                "Memindahkan siswa ke kelas lain tidak menghapus riwayat latihannya.",
                size="1",
                color_scheme="gray",
            ),
            rx.button("Simpan data", type="submit", id="panel-profile-save"),
            spacing="2",
            width="100%",
        ),
        on_submit=S.save_profile,
        # A new key remounts the uncontrolled inputs with the account's current values.
        key=S.profile_key,
        width="100%",
    )


def _panel_classes() -> rx.Component:
    chips = rx.cond(
        S.panel_classes.length() > 0,
        rx.flex(
            rx.foreach(
                S.panel_classes,
                lambda c: rx.badge(
                    c,
                    rx.icon_button(
                        rx.icon("x", size=12),
                        size="1",
                        variant="ghost",
                        on_click=S.remove_class(c),
                        aria_label="Hapus kelas " + c,
                        class_name="panel-class-remove",
                    ),
                    size="2",
                    class_name="panel-class",
                ),
            ),
            wrap="wrap",
            spacing="2",
            id="panel-classes",
        ),
        rx.text(
            "Belum ada kelas: guru ini melihat halaman Kelas kosong.",
            size="2",
            color_scheme="gray",
            id="panel-classes-empty",
        ),
    )
    return rx.vstack(
        rx.text("Kelas yang diajar", weight="medium"),
        chips,
        rx.form(
            rx.hstack(
                rx.el.input(
                    name="class_name",
                    list="panel-class-options",
                    placeholder="Pilih atau ketik kelas, mis. XII IPA 1",
                    auto_complete="off",
                    id="panel-class-add",
                    style={**SELECT_STYLE, "width": "280px"},
                ),
                rx.el.datalist(
                    rx.foreach(S.class_options, lambda c: rx.el.option(value=c)),
                    id="panel-class-options",
                ),
                rx.button(
                    rx.icon("plus", size=16), "Tambah kelas", type="submit", id="panel-class-submit"
                ),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            on_submit=S.add_class,
            key=S.class_form_key,
        ),
        rx.text(
            "Pilihan berisi kelas yang sudah punya siswa; kelas baru boleh diketik.",
            size="1",
            color_scheme="gray",
        ),
        spacing="2",
        width="100%",
        id="panel-classes-section",
    )


def _panel_status() -> rx.Component:
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
        _status_badge(SELECTED.active.to(bool), SELECTED.status.to(str)),
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


def _panel_password() -> rx.Component:
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
            _shown_once(S.reset_password_shown, "panel-password-result", S.dismiss_reset_password),
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


def _panel_removal() -> rx.Component:
    """A leaving user: what is stored, what each choice keeps, the username typed to confirm."""
    return rx.cond(
        S.removal_open,
        rx.card(
            rx.form(
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
                        "Ketik nama pengguna "
                        + SELECTED.username.to(str)
                        + " untuk mengonfirmasi. "
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
                        rx.button(
                            "Hapus data", type="submit", color_scheme="red", id="removal-submit"
                        ),
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
            ),
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


def _panel() -> rx.Component:
    return rx.cond(
        S.selected_id > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(
                        SELECTED.full_name.to(str) + " (" + SELECTED.username.to(str) + ")",
                        size="4",
                        id="panel-title",
                    ),
                    rx.spacer(),
                    rx.button(
                        rx.icon("x", size=16),
                        "Tutup",
                        variant="ghost",
                        on_click=S.close_panel,
                        id="panel-close",
                    ),
                    width="100%",
                ),
                rx.text(
                    "Kelas: "
                    + SELECTED.class_name.to(str)
                    + " · Tingkat: "
                    + SELECTED.grade.to(str)
                    + " · Email: "
                    + SELECTED.email.to(str)
                    + " · Masuk terakhir: "
                    + SELECTED.last_login.to(str),
                    size="2",
                    color_scheme="gray",
                ),
                success_callout(S.panel_message, "panel-message"),
                _panel_profile(),
                rx.cond(SELECTED.role == "guru", _panel_classes()),
                _panel_role(),
                _panel_status(),
                _panel_password(),
                _panel_removal(),
                spacing="3",
                width="100%",
            ),
            id="user-panel",
            width="100%",
        ),
    )


# --- create -------------------------------------------------------------------------------


def _grade_options() -> list[rx.Component]:
    return [rx.el.option(str(grade), value=str(grade)) for grade in (10, 11, 12)]


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")


def _create_card() -> rx.Component:
    student_fields = rx.cond(
        S.new_role == "siswa",
        rx.grid(
            _field(
                "Kelas",
                rx.input(
                    name="class_name", placeholder="XII IPA 1", id="new-class", width=INPUT_WIDTH
                ),
            ),
            _field(
                "Tingkat",
                rx.el.select(
                    *_grade_options(),
                    name="grade",
                    default_value="12",
                    id="new-grade",
                    style=SELECT_STYLE,
                ),
            ),
            columns="2",
            spacing="3",
            width="100%",
        ),
    )
    teacher_fields = rx.cond(
        S.new_role == "guru",
        _field(
            "Kelas yang diajar (boleh kosong; pisahkan dengan ;)",
            rx.input(
                name="classes",
                placeholder="XII IPA 1; XII IPA 2",
                id="new-classes",
                width=INPUT_WIDTH,
            ),
        ),
    )
    return rx.card(
        rx.vstack(
            rx.heading("Tambah pengguna", size="4"),
            rx.form(
                rx.vstack(
                    _field(
                        "Peran",
                        rx.el.select(
                            *_role_options(),
                            value=S.new_role,
                            on_change=S.set_new_role,
                            id="new-role",
                            name="role",  # submitted too; the handler reads the state's copy
                            style=SELECT_STYLE,
                        ),
                    ),
                    _field(
                        "Nama pengguna",
                        rx.input(
                            name="username",
                            placeholder="misalnya siswa31",
                            auto_complete="off",
                            id="new-username",
                            width=INPUT_WIDTH,
                        ),
                    ),
                    _field(
                        "Nama lengkap",
                        rx.input(name="full_name", id="new-full-name", width=INPUT_WIDTH),
                    ),
                    student_fields,
                    teacher_fields,
                    _field(
                        "Email (boleh kosong)",
                        rx.input(name="email", type="email", id="new-email", width=INPUT_WIDTH),
                    ),
                    _field(
                        "Kata sandi awal (kosongkan agar dibuat otomatis)",
                        rx.input(
                            name="password",
                            type="password",
                            auto_complete="new-password",
                            id="new-password",
                            width=INPUT_WIDTH,
                        ),
                    ),
                    rx.button(
                        rx.icon("user-plus", size=16), "Buat akun", type="submit", id="new-submit"
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.create_user,
                key=S.form_key,
                width="100%",
            ),
            error_callout(S.create_error, "new-error"),
            success_callout(S.create_message, "new-message"),
            rx.cond(
                S.created_password != "",
                _shown_once(S.created_password, "new-password-result", S.dismiss_created),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


# --- import -------------------------------------------------------------------------------


def _credentials() -> rx.Component:
    return rx.cond(
        S.import_credentials.length() > 0,
        rx.vstack(
            rx.callout(
                "Kata sandi di bawah dibuat otomatis dan hanya ditampilkan sekali. Unduh atau "
                "catat sekarang, lalu bagikan kepada masing-masing pemilik akun.",
                icon="key-round",
                color_scheme="amber",
            ),
            rx.hstack(
                rx.button(
                    rx.icon("download", size=16),
                    "Unduh kata sandi (CSV)",
                    on_click=S.download_credentials,
                    id="import-download-credentials",
                ),
                rx.button(
                    "Sudah dicatat, sembunyikan",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.dismiss_credentials,
                    id="import-credentials-dismiss",
                ),
                spacing="3",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in [
                                "Nama pengguna",
                                "Nama lengkap",
                                "Peran",
                                "Kelas",
                                "Kata sandi",
                            ]
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        S.import_credentials,
                        lambda c: rx.table.row(
                            rx.table.cell(c["username"]),
                            rx.table.cell(c["full_name"]),
                            rx.table.cell(c["role_label"]),
                            rx.table.cell(c["class_name"]),
                            rx.table.cell(rx.code(c["password"])),
                        ),
                    )
                ),
                variant="surface",
                size="1",
                width="100%",
                id="import-credentials",
            ),
            spacing="2",
            width="100%",
        ),
    )


def _import_report() -> rx.Component:
    return rx.fragment(
        rx.cond(
            S.import_summary != "",
            rx.callout(
                S.import_summary,
                icon=either(S.import_ok, "circle-check", "triangle-alert"),
                color_scheme=either(S.import_ok, "green", "red"),
                id="import-result",
            ),
        ),
        rx.cond(
            S.import_errors.length() > 0,
            rx.box(
                rx.text("Baris yang salah:", weight="medium", size="2"),
                rx.el.ul(
                    rx.foreach(
                        S.import_errors,
                        lambda e: rx.el.li(rx.text(e, size="2"), class_name="import-error-row"),
                    ),
                    style={"margin": "0.3em 0 0 1.2em", "max_height": "16em", "overflow_y": "auto"},
                ),
                id="import-errors",
                width="100%",
            ),
        ),
        _credentials(),
    )


def _import_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Impor dari CSV", size="4"),
            rx.text(
                "Kolom: username, full_name, role (siswa/guru/admin), class_name dan grade "
                "(10–12, wajib untuk siswa), email, password (boleh kosong: dibuat otomatis), "
                "classes (kelas yang diajar guru, dipisah ';'). "
                "Setiap baris diperiksa dulu; satu baris salah berarti tidak ada yang diimpor, "
                "kecuali Anda memilih melewati baris yang salah.",
                size="2",
                color_scheme="gray",
            ),
            rx.button(
                rx.icon("download", size=16),
                "Unduh templat CSV",
                on_click=S.download_template,
                variant="soft",
                id="import-download-template",
            ),
            rx.upload(
                rx.vstack(
                    rx.icon("file-spreadsheet", size=28, color=rx.color("indigo", 9)),
                    rx.text("Seret berkas .csv ke sini atau klik untuk memilih", size="2"),
                    align="center",
                    spacing="1",
                ),
                id=UPLOAD_ID,
                accept={"text/csv": [".csv"]},
                multiple=False,
                max_files=1,
                max_size=MAX_IMPORT_BYTES,
                on_drop_rejected=S.upload_rejected,
                border="1px dashed var(--gray-8)",
                border_radius="8px",
                padding="1em",
                width="100%",
                cursor="pointer",
            ),
            rx.foreach(
                rx.selected_files(UPLOAD_ID),
                lambda name: rx.text("Berkas: ", name, size="2", id="import-selected-file"),
            ),
            rx.hstack(
                rx.checkbox(
                    "Lewati baris yang salah (impor hanya baris yang benar)",
                    checked=S.import_skip,
                    on_change=S.set_import_skip,
                    id="import-skip-invalid",
                ),
                spacing="2",
            ),
            rx.button(
                rx.icon("upload", size=16),
                "Periksa & impor",
                on_click=S.import_csv(
                    rx.upload_files(upload_id=UPLOAD_ID, extra_headers=upload_headers())
                ),
                loading=S.import_busy,
                id="import-submit",
            ),
            rx.cond(
                S.import_busy,
                rx.vstack(
                    rx.progress(value=S.import_progress, width="100%", id="import-progress"),
                    rx.text(S.import_progress_text, size="2"),
                    width="100%",
                ),
            ),
            error_callout(S.import_error, "import-error"),
            _import_report(),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


# --- rename a class / kenaikan kelas -------------------------------------------------------


def _move_preview() -> rx.Component:
    return rx.cond(
        S.move_summary != "",
        rx.vstack(
            rx.callout(S.move_summary, icon="info", color_scheme="blue", id="move-summary"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in ["Nama pengguna", "Nama lengkap", "Tingkat", "Status"]
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        S.move_rows,
                        lambda r: rx.table.row(
                            rx.table.cell(r["username"]),
                            rx.table.cell(r["full_name"]),
                            rx.table.cell(r["grade"]),
                            rx.table.cell(r["status"]),
                            class_name="move-row",
                        ),
                    )
                ),
                variant="surface",
                size="1",
                width="100%",
                id="move-preview",
            ),
            rx.hstack(
                rx.button(
                    "Pindahkan " + S.move_rows.length().to_string() + " siswa",
                    color_scheme="amber",
                    on_click=S.confirm_move,
                    id="move-confirm",
                ),
                rx.button("Batal", variant="soft", color_scheme="gray", on_click=S.cancel_move),
                spacing="3",
            ),
            spacing="2",
            width="100%",
        ),
    )


def _move_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Ganti nama kelas / kenaikan kelas", size="4"),
            rx.text(
                "Memindahkan semua siswa satu kelas sekaligus, misalnya X IPA 1 menjadi "
                "XI IPA 1 di awal tahun ajaran. Mulailah dari kelas 12 yang lulus "
                "(nonaktifkan), lalu kelas 11, lalu kelas 10: kelas tidak digabung.",
                size="2",
                color_scheme="gray",
            ),
            rx.form(
                rx.flex(
                    _field(
                        "Kelas sekarang",
                        rx.el.select(
                            rx.el.option("Pilih kelas…", value=""),
                            rx.foreach(S.move_classes, lambda c: rx.el.option(c, value=c)),
                            name="move_from",
                            id="move-from",
                            style=SELECT_STYLE,
                        ),
                    ),
                    _field(
                        "Nama kelas baru",
                        rx.input(
                            name="move_to",
                            placeholder="XI IPA 1",
                            id="move-to",
                            width=INPUT_WIDTH,
                        ),
                    ),
                    _field(
                        "Tingkat",
                        rx.el.select(
                            rx.el.option("Naik satu tingkat", value="up"),
                            rx.el.option("Tetap (hanya ganti nama)", value="keep"),
                            value=S.move_grade_mode,
                            on_change=S.set_move_grade_mode,
                            id="move-grade-mode",
                            name="grade_mode",  # submitted too; the handler reads the state's copy
                            style=SELECT_STYLE,
                        ),
                    ),
                    spacing="3",
                    wrap="wrap",
                    width="100%",
                ),
                rx.hstack(
                    rx.checkbox(
                        "Guru kelas ini ikut pindah ke nama kelas baru",
                        checked=S.move_teachers,
                        on_change=S.set_move_teachers,
                        id="move-teachers",
                        name="teachers_follow",  # submitted too; the handler reads the state's copy
                    ),
                    rx.spacer(),
                    rx.button("Pratinjau", type="submit", id="move-preview-submit"),
                    align="center",
                    width="100%",
                    margin_top="0.5em",
                ),
                on_submit=S.preview_move,
                key=S.move_form_key,
                width="100%",
            ),
            error_callout(S.move_error, "move-error"),
            success_callout(S.move_message, "move-message"),
            _move_preview(),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="move-card",
    )


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


def _plan_card() -> rx.Component:
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


def _content() -> rx.Component:
    return rx.vstack(
        _filters(),
        error_callout(S.list_error, "users-list-error"),
        success_callout(S.removed_message, "users-removed-message"),
        rx.cond(~S.plan_chosen, _plan_card()),
        error_callout(S.panel_error, "panel-error"),
        _panel(),
        _table(),
        pager(S, "users"),
        rx.grid(
            _create_card(),
            _import_card(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        _move_card(),
        # Once chosen, the setting waits at the bottom for a later change.
        rx.cond(S.plan_chosen, _plan_card()),
        spacing="4",
        width="100%",
    )


def admin_users_page() -> rx.Component:
    return admin_page(SECTION["users"], _content)()
