"""Admin use cases for accounts: list and search, create, CSV import, edit a profile, a
teacher's classes, change role, deactivate and reactivate, reset a password.

Every function takes the acting admin as `actor` and checks the role itself, so no caller
(page, CLI, HTTP) can skip the check. The CSV format is documented in docs/users-import.md.
"""

from __future__ import annotations

import csv
import io
import math
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from nexus_app.db import unit_of_work
from nexus_app.models import User
from nexus_app.models.users import ROLES
from nexus_app.repositories import sessions as session_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services import auth
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput, NotFound
from nexus_app.services.teacher import spreadsheet_text

PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_SEARCH_CHARS = 100
STATUS_FILTERS = ("all", "active", "inactive")

CSV_REQUIRED = ("username", "full_name", "role")
CSV_OPTIONAL = ("class_name", "grade", "email", "password", "classes")
CSV_COLUMNS = CSV_REQUIRED + CSV_OPTIONAL
MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 2000

MAX_FULL_NAME = 100
MAX_CLASS_NAME = 50
MAX_EMAIL = 255
MAX_TEACHER_CLASSES = 40
# A guru row's `classes` cell lists the classes taught, e.g. "XII IPA 1; XII IPA 2".
CLASS_SEPARATOR = ";"
GRADES = (10, 11, 12)
# Indonesian schools write kelas 10-12 as X, XI, XII just as often.
_ROMAN_GRADES = {"x": 10, "xi": 11, "xii": 12}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# No 0/O, 1/l/I: students copy these from paper.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PASSWORD_GROUPS = 3
_PASSWORD_GROUP_LENGTH = 4  # 12 random symbols of 55: about 69 bits

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class UserRow:
    """What the admin list shows of an account (never the password hash)."""

    id: int
    username: str
    full_name: str
    role: str
    class_name: str
    grade: int | None
    email: str
    is_active: bool
    last_login: datetime | None
    created_at: datetime
    # The classes a guru teaches (empty for everyone else).
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserPage:
    rows: tuple[UserRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class NewUser:
    """A validated new account; `password` is the plain one, `generated` if Nexus chose it."""

    username: str
    full_name: str
    role: str
    class_name: str | None
    grade: int | None
    email: str | None
    password: str
    generated: bool
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewCredential:
    """A login to hand out, shown to the admin once."""

    username: str
    full_name: str
    role: str
    class_name: str
    password: str
    generated: bool


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"Baris {self.line}: {self.reason}"


@dataclass(frozen=True)
class UserImportReport:
    rows: int
    imported: int
    skipped: int
    errors: tuple[RowError, ...]
    # Only accounts whose password Nexus generated: the others are in the admin's own file.
    credentials: tuple[NewCredential, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class DeactivationResult:
    user: UserRow
    sessions_ended: int


@dataclass(frozen=True)
class PasswordReset:
    username: str
    password: str
    generated: bool
    sessions_ended: int


@dataclass(frozen=True)
class ClassChange:
    """A teacher's classes after one assignment or removal."""

    username: str
    class_name: str
    classes: tuple[str, ...]
    changed: bool  # False: it was already so
    has_students: bool  # False: no student is in this class (yet)


@dataclass(frozen=True)
class CsvRow:
    line: int
    values: dict[str, str]
    problem: str = ""


# --- Pure helpers (unit-tested) -----------------------------------------------------------


def generate_password() -> str:
    """A random password that is easy to copy by hand: e.g. `Kq7m-tR4x-9bNc`."""
    groups = [
        "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(_PASSWORD_GROUP_LENGTH))
        for _ in range(_PASSWORD_GROUPS)
    ]
    return "-".join(groups)


def parse_grade(value: Any) -> int | None:
    """10, 11, 12 (or X, XI, XII); empty is None."""
    if value is None:
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().lower()
        if not text:
            return None
        if text in _ROMAN_GRADES:
            return _ROMAN_GRADES[text]
        try:
            number = int(text)
        except ValueError as exc:
            raise InvalidInput(f"Tingkat harus 10, 11 atau 12 (tertulis '{value}').") from exc
    if number not in GRADES:
        raise InvalidInput(f"Tingkat harus 10, 11 atau 12 (tertulis '{value}').")
    return number


def clean_new_user(
    *,
    username: str,
    full_name: str,
    role: str,
    class_name: str | None = None,
    grade: Any = None,
    email: str | None = None,
    password: str | None = None,
    classes: str | Iterable[str] | None = None,
) -> NewUser:
    """Check one new account (form or CSV row); an empty password means "generate one".
    `classes` are the classes a guru teaches (a `;`-separated cell or a list)."""
    username = (username or "").strip()
    role = (role or "").strip().lower()
    full_name = " ".join((full_name or "").split())
    class_name = " ".join((class_name or "").split()) or None
    email = (email or "").strip() or None
    generated = not (password or "").strip()
    plain = generate_password() if generated else str(password)
    # Username rules, known roles and password length live in the auth service.
    auth.validate_new_user(username, plain, role)
    if not full_name:
        raise InvalidInput("Nama lengkap wajib diisi.")
    if len(full_name) > MAX_FULL_NAME:
        raise InvalidInput(f"Nama lengkap maksimal {MAX_FULL_NAME} karakter.")
    number = parse_grade(grade)
    if role == "siswa":
        if class_name is None:
            raise InvalidInput("Kelas wajib diisi untuk siswa (misalnya XII IPA 1).")
        if len(class_name) > MAX_CLASS_NAME:
            raise InvalidInput(f"Nama kelas maksimal {MAX_CLASS_NAME} karakter.")
        if number is None:
            raise InvalidInput("Tingkat wajib diisi untuk siswa: 10, 11 atau 12.")
    elif class_name is not None or number is not None:
        # A teacher's classes are class assignments, not a class of their own.
        raise InvalidInput(
            "Kelas dan tingkat hanya diisi untuk siswa. Kelas yang diajar guru diisi di kolom "
            "classes (dipisah ';', misalnya XII IPA 1;XII IPA 2) atau lewat tombol Kelola "
            "guru itu di Admin → Pengguna."
        )
    taught = parse_classes(classes)
    if taught and role != "guru":
        raise InvalidInput(
            "Kolom classes (kelas yang diajar) hanya untuk guru; kelas siswa diisi di class_name."
        )
    if email is not None and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        raise InvalidInput(f"Alamat email tidak valid: '{email}'.")
    return NewUser(
        username=username,
        full_name=full_name,
        role=role,
        class_name=class_name,
        grade=number,
        email=email,
        password=plain,
        generated=generated,
        classes=taught,
    )


def clean_class_name(value: str | None) -> str:
    """A class name as stored: spaces collapsed, at most MAX_CLASS_NAME characters."""
    name = " ".join((value or "").split())
    if not name:
        raise InvalidInput("Nama kelas wajib diisi (misalnya XII IPA 1).")
    if len(name) > MAX_CLASS_NAME:
        raise InvalidInput(f"Nama kelas maksimal {MAX_CLASS_NAME} karakter: '{name}'.")
    return name


def parse_classes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A guru's classes from a `;`-separated cell (or a list): cleaned, in order, each once."""
    if value is None:
        return ()
    parts = value.split(CLASS_SEPARATOR) if isinstance(value, str) else list(value)
    names: dict[str, str] = {}
    for part in parts:
        if not " ".join((part or "").split()):
            continue
        name = clean_class_name(part)
        names.setdefault(name.lower(), name)
    if len(names) > MAX_TEACHER_CLASSES:
        raise InvalidInput(f"Seorang guru paling banyak mengajar {MAX_TEACHER_CLASSES} kelas.")
    return tuple(names.values())


def read_user_csv(filename: str, data: bytes) -> list[CsvRow]:
    """Parse an upload into rows with their line numbers; raise InvalidInput when the file as a
    whole is unusable (size, type, encoding, header)."""
    if Path(filename or "").suffix.lower() != ".csv":
        raise InvalidInput("Format berkas tidak didukung: unggah berkas .csv.")
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(
            f"Berkas terlalu besar: maksimal {MAX_IMPORT_BYTES // 1024} KB "
            f"(sekitar {MAX_IMPORT_ROWS} pengguna). Bagi menjadi beberapa berkas."
        )
    if b"\x00" in data:
        raise InvalidInput("Berkas ini bukan CSV teks (berisi data biner, mungkin .xlsx).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "Berkas harus berformat teks UTF-8. Di Excel pilih 'CSV UTF-8' saat menyimpan."
        ) from exc
    if not text.strip():
        raise InvalidInput("Berkas kosong.")
    first_line = text.lstrip().split("\n", 1)[0]
    # Excel with Indonesian regional settings separates with ';'.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # The header is the first line that is not blank.
        header_cells = next(reader, None)
        while header_cells is not None and not any(c.strip() for c in header_cells):
            header_cells = next(reader, None)
        if header_cells is None:
            raise InvalidInput("Berkas kosong.")
        header = [h.strip().lower() for h in header_cells]
        _check_header(header)
        rows: list[CsvRow] = []
        line = reader.line_num + 1
        for cells in reader:
            if not any(c.strip() for c in cells):
                line = reader.line_num + 1
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise InvalidInput(
                    f"Terlalu banyak baris: maksimal {MAX_IMPORT_ROWS} pengguna per berkas."
                )
            problem = ""
            if len(cells) > len(header):
                problem = (
                    f"jumlah sel ({len(cells)}) lebih banyak dari kolom judul ({len(header)}); "
                    "periksa tanda koma di dalam nama yang tidak diberi tanda kutip"
                )
            # Missing trailing cells are optional columns left out: read as empty.
            values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
            rows.append(CsvRow(line=line, values=values, problem=problem))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"CSV rusak di baris {reader.line_num}: {exc}.") from exc
    if not rows:
        raise InvalidInput("Berkas tidak berisi data pengguna (hanya baris judul).")
    return rows


def _check_header(header: list[str]) -> None:
    if not any(header):
        raise InvalidInput("Baris pertama harus berisi nama kolom (baris judul).")
    # Every missing and unknown column in one message: a typo ("ful_name") shows both at once,
    # so the admin fixes the header in one go instead of one upload per column.
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    problems = []
    if missing:
        problems.append(f"Kolom wajib tidak ada di baris judul: {', '.join(missing)}.")
    if unknown:
        problems.append(f"Kolom tidak dikenal: {', '.join(h or '(kosong)' for h in unknown)}.")
    if problems:
        raise InvalidInput(" ".join([*problems, f"Kolom yang dikenal: {', '.join(CSV_COLUMNS)}."]))
    doubled = sorted({h for h in header if header.count(h) > 1})
    if doubled:
        raise InvalidInput(f"Kolom muncul dua kali di baris judul: {', '.join(doubled)}.")


def validate_csv_rows(rows: Iterable[CsvRow]) -> tuple[list[tuple[int, NewUser]], list[RowError]]:
    """Check every row on its own and against the rows above it (duplicates in the file)."""
    valid: list[tuple[int, NewUser]] = []
    errors: list[RowError] = []
    first_username: dict[str, int] = {}
    first_email: dict[str, int] = {}
    for row in rows:
        if row.problem:
            errors.append(RowError(row.line, row.problem))
            continue
        empty = [c for c in CSV_REQUIRED if not row.values.get(c, "").strip()]
        if empty:
            errors.append(RowError(row.line, f"kolom wajib kosong: {', '.join(empty)}"))
            continue
        try:
            user = clean_new_user(
                username=row.values["username"],
                full_name=row.values["full_name"],
                role=row.values["role"],
                class_name=row.values.get("class_name"),
                grade=row.values.get("grade"),
                email=row.values.get("email"),
                password=row.values.get("password"),
                classes=row.values.get("classes"),
            )
        except InvalidInput as exc:
            errors.append(RowError(row.line, exc.message))
            continue
        key = user.username.lower()
        if key in first_username:
            errors.append(
                RowError(
                    row.line,
                    f"nama pengguna '{user.username}' sudah dipakai di baris "
                    f"{first_username[key]} berkas ini",
                )
            )
            continue
        if user.email is not None and user.email.lower() in first_email:
            errors.append(
                RowError(
                    row.line,
                    f"email '{user.email}' sudah dipakai di baris "
                    f"{first_email[user.email.lower()]} berkas ini",
                )
            )
            continue
        first_username[key] = row.line
        if user.email is not None:
            first_email[user.email.lower()] = row.line
        valid.append((row.line, user))
    return valid, errors


# The downloadable import template: one siswa and one guru row, keyed by column so that a column
# added to CSV_COLUMNS without an example fails the template test instead of drifting.
TEMPLATE_FILENAME = "templat-impor-pengguna.csv"
_TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {
        "username": "siti.rahmawati",
        "full_name": "Siti Rahmawati",
        "role": "siswa",
        "class_name": "XII IPA 1",
        "grade": "12",
        "email": "siti.rahmawati@contoh.sch.id",
        "password": "",
        "classes": "",
    },
    {
        "username": "budi.santoso",
        "full_name": "Budi Santoso, S.Pd.",
        "role": "guru",
        "class_name": "",
        "grade": "",
        "email": "",
        "password": "",
        "classes": "XII IPA 1;XII IPA 2",
    },
)


def csv_template() -> str:
    """The header the importer reads and two example rows, with a BOM for Excel. Written
    directly, not through the export formula guard: the examples are plain text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in _TEMPLATE_ROWS:
        writer.writerow([row[c] for c in CSV_COLUMNS])
    return "\ufeff" + out.getvalue()


def credentials_csv(credentials: Iterable[NewCredential]) -> str:
    """The new logins as CSV for the admin to print or share (with a BOM so Excel reads the
    names as UTF-8). Not `teacher.to_csv`: the password column must stay exactly as typed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "full_name", "role", "class_name", "password"])
    for c in credentials:
        writer.writerow(
            [
                spreadsheet_text(c.username),
                spreadsheet_text(c.full_name),
                c.role,
                spreadsheet_text(c.class_name),
                c.password,
            ]
        )
    return "\ufeff" + out.getvalue()


# --- Use cases ----------------------------------------------------------------------------


def _row(user: User, classes: Iterable[str] = ()) -> UserRow:
    assert user.id is not None
    return UserRow(
        id=user.id,
        username=user.username,
        full_name=user.full_name or "",
        role=user.role,
        class_name=user.class_name or "",
        grade=user.grade,
        email=user.email or "",
        is_active=user.is_active,
        last_login=user.last_login,
        created_at=user.created_at,
        classes=tuple(classes),
    )


def _rows_with_classes(session: Any, users: list[User]) -> tuple[UserRow, ...]:
    teachers = [u.id for u in users if u.role == "guru" and u.id is not None]
    classes = user_repo.list_classes_by_teacher(session=session, teacher_ids=teachers)
    return tuple(_row(u, classes.get(u.id or 0, ()) if u.role == "guru" else ()) for u in users)


def _credential(user: NewUser) -> NewCredential:
    return NewCredential(
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        class_name=user.class_name or "",
        password=user.password,
        generated=user.generated,
    )


def list_users(
    *,
    actor: CurrentUser,
    search: str = "",
    role: str = "",
    status: str = "all",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> UserPage:
    """One page of accounts, filtered in SQL; a page past the end shows the last page."""
    require_admin(actor)
    term = (search or "").strip()[:MAX_SEARCH_CHARS] or None
    role = (role or "").strip().lower()
    if role and role not in ROLES:
        raise InvalidInput(f"Peran tidak dikenal: {role}.")
    if status not in STATUS_FILTERS:
        raise InvalidInput(f"Status tidak dikenal: {status}.")
    active = None if status == "all" else status == "active"
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    with unit_of_work() as session:
        total = user_repo.count_users(
            session=session, search=term, role=role or None, active=active
        )
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        users = user_repo.search_users(
            session=session,
            search=term,
            role=role or None,
            active=active,
            limit=per_page,
            offset=(page - 1) * per_page,
        )
        return UserPage(
            rows=_rows_with_classes(session, users), total=total, page=page, per_page=per_page
        )


def get_user(*, actor: CurrentUser, user_id: int) -> UserRow:
    require_admin(actor)
    with unit_of_work() as session:
        user = user_repo.get_user(session=session, user_id=user_id)
        if user is None or user.deleted_at is not None:
            raise NotFound("Pengguna tidak ditemukan.")
        return _rows_with_classes(session, [user])[0]


def _taken_message(kind: str, value: str) -> str:
    return f"{kind} '{value}' sudah dipakai akun lain."


def create_user(
    *,
    actor: CurrentUser,
    username: str,
    full_name: str,
    role: str,
    class_name: str | None = None,
    grade: Any = None,
    email: str | None = None,
    password: str | None = None,
    classes: str | Iterable[str] | None = None,
) -> NewCredential:
    """Create one account; an empty password is generated and returned (shown once). A guru's
    `classes` are assigned at once, students or not (they may be imported later)."""
    require_admin(actor)
    user = clean_new_user(
        username=username,
        full_name=full_name,
        role=role,
        class_name=class_name,
        grade=grade,
        email=email,
        password=password,
        classes=classes,
    )
    with unit_of_work() as session:
        # Case-insensitive: 'Siswa01' next to 'siswa01' only confuses everyone.
        if user_repo.existing_usernames(session=session, usernames=[user.username]):
            raise Conflict(_taken_message("Nama pengguna", user.username))
        if user.email and user_repo.existing_emails(session=session, emails=[user.email]):
            raise Conflict(_taken_message("Email", user.email))
    # The auth service owns the insert (and turns a race on the unique keys into Conflict).
    created = auth.create_user(
        username=user.username,
        password=user.password,
        role=user.role,
        full_name=user.full_name,
        email=user.email,
        class_name=user.class_name,
        grade=user.grade,
    )
    if user.classes:
        with unit_of_work() as session:
            _assign_all(session, created.id, user.classes)
    return _credential(user)


def _canonical_classes(session: Any) -> dict[str, str]:
    """Lower-cased class name → the spelling the students' accounts use."""
    return {c.lower(): c for c in user_repo.list_student_classes(session=session)}


def _assign_all(session: Any, teacher_id: int, classes: Iterable[str]) -> None:
    known = _canonical_classes(session)
    for name in classes:
        user_repo.assign_class(
            session=session, teacher_id=teacher_id, class_name=known.get(name.lower(), name)
        )


def _split_taken(
    valid: list[tuple[int, NewUser]], taken_usernames: set[str], taken_emails: set[str]
) -> tuple[list[tuple[int, NewUser]], list[RowError]]:
    free: list[tuple[int, NewUser]] = []
    errors: list[RowError] = []
    for line, user in valid:
        if user.username.lower() in taken_usernames:
            errors.append(
                RowError(line, f"nama pengguna '{user.username}' sudah dipakai akun lain")
            )
        elif user.email is not None and user.email.lower() in taken_emails:
            errors.append(RowError(line, f"email '{user.email}' sudah dipakai akun lain"))
        else:
            free.append((line, user))
    return free, errors


def _find_taken(
    session: Any, valid: list[tuple[int, NewUser]]
) -> tuple[list[tuple[int, NewUser]], list[RowError]]:
    usernames = user_repo.existing_usernames(
        session=session, usernames=[u.username for _, u in valid]
    )
    emails = user_repo.existing_emails(
        session=session, emails=[u.email for _, u in valid if u.email is not None]
    )
    return _split_taken(valid, usernames, emails)


def import_users_csv(
    *,
    actor: CurrentUser,
    filename: str,
    data: bytes,
    skip_invalid: bool = False,
    progress: ProgressCallback | None = None,
) -> UserImportReport:
    """Validate every row first; any bad row means nothing is imported unless `skip_invalid`,
    then only the good rows are. All accounts are written in one transaction."""
    require_admin(actor)
    rows = read_user_csv(filename, data)
    valid, errors = validate_csv_rows(rows)
    if valid:
        with unit_of_work() as session:
            valid, taken = _find_taken(session, valid)
        errors = sorted([*errors, *taken], key=lambda e: e.line)
    if (errors and not skip_invalid) or not valid:
        return UserImportReport(
            rows=len(rows), imported=0, skipped=0, errors=tuple(errors), credentials=()
        )

    # argon2 takes ~0.15 s a password here: hash before the transaction, so it stays short.
    hashes: dict[int, str] = {}
    for done, (line, user) in enumerate(valid, start=1):
        hashes[line] = auth.hash_password(user.password)
        if progress is not None:
            progress(done, len(valid))

    try:
        with unit_of_work() as session:
            # Someone may have added one of these names while we were hashing.
            valid, late = _find_taken(session, valid)
            if late and not skip_invalid:
                raise Conflict(
                    "Selama impor berjalan, akun lain dibuat dengan nama pengguna atau email "
                    f"yang sama ({late[0]}). Tidak ada yang diimpor; coba lagi."
                )
            errors = sorted([*errors, *late], key=lambda e: e.line)
            added = user_repo.add_users(
                session=session,
                users=[
                    {
                        "username": user.username,
                        "password_hash": hashes[line],
                        "role": user.role,
                        "full_name": user.full_name,
                        "email": user.email,
                        "class_name": user.class_name,
                        "grade": user.grade,
                    }
                    for line, user in valid
                ],
            )
            # A guru row's `classes`: assigned in the same transaction as the accounts.
            taught = {u.username: u.classes for _, u in valid if u.classes}
            for account in added:
                if account.username in taught and account.id is not None:
                    _assign_all(session, account.id, taught[account.username])
    except IntegrityError as exc:
        raise Conflict(
            "Nama pengguna atau email bentrok dengan akun yang baru dibuat. "
            "Tidak ada yang diimpor; coba lagi."
        ) from exc
    return UserImportReport(
        rows=len(rows),
        imported=len(valid),
        skipped=len(errors),
        errors=tuple(errors),
        credentials=tuple(_credential(u) for _, u in valid if u.generated),
    )


def _refuse_self(actor: CurrentUser, user_id: int, what: str) -> None:
    if actor.id == user_id:
        raise Conflict(f"Anda tidak dapat {what} akun Anda sendiri.")


def _load_for_change(session: Any, user_id: int) -> tuple[User, list[int]]:
    """Lock the active admins first, then the user: the same order in every change, so two
    admins acting at once wait for each other instead of deadlocking."""
    admins = user_repo.lock_active_admin_ids(session=session)
    user = user_repo.get_live_user_for_update(session=session, user_id=user_id)
    if user is None:
        raise NotFound("Pengguna tidak ditemukan.")
    return user, admins


def _refuse_last_admin(user: User, admins: list[int], what: str) -> None:
    if user.role == "admin" and user.is_active and not [a for a in admins if a != user.id]:
        raise Conflict(
            f"Tidak dapat {what} {user.username}: ini admin aktif terakhir. "
            "Jadikan pengguna lain admin terlebih dahulu."
        )


def change_role(*, actor: CurrentUser, user_id: int, role: str) -> UserRow:
    """Takes effect on the user's next click: every request re-reads the role."""
    require_admin(actor)
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"Peran tidak dikenal: {role}. Pilih siswa, guru atau admin.")
    _refuse_self(actor, user_id, "mengubah peran")
    with unit_of_work() as session:
        user, admins = _load_for_change(session, user_id)
        if user.role == role:
            return _row(user)
        if role != "admin":
            _refuse_last_admin(user, admins, "mengubah peran")
        # Class and grade are kept: changing the role back restores the student as they were.
        user_repo.set_role(session=session, user=user, role=role)
        return _row(user)


def deactivate_user(*, actor: CurrentUser, user_id: int) -> DeactivationResult:
    """The account can no longer log in, and every open session of it ends now."""
    require_admin(actor)
    _refuse_self(actor, user_id, "menonaktifkan")
    with unit_of_work() as session:
        user, admins = _load_for_change(session, user_id)
        _refuse_last_admin(user, admins, "menonaktifkan")
        user_repo.set_active(session=session, user=user, active=False)
        assert user.id is not None
        ended = session_repo.delete_sessions_for_user(session=session, user_id=user.id)
        return DeactivationResult(user=_row(user), sessions_ended=ended)


def reactivate_user(*, actor: CurrentUser, user_id: int) -> UserRow:
    require_admin(actor)
    with unit_of_work() as session:
        user, _admins = _load_for_change(session, user_id)
        user_repo.set_active(session=session, user=user, active=True)
        return _row(user)


def reset_password(
    *, actor: CurrentUser, user_id: int, new_password: str | None = None
) -> PasswordReset:
    """Set a typed or generated password, log the user out everywhere and lift a login lock.

    The admin's own password is refused here (the reset would end the very session that has
    to show it): everyone changes their own with "Kata sandi" in the top bar."""
    require_admin(actor)
    if actor.id == user_id:
        raise Conflict(
            "Kata sandi Anda sendiri diubah lewat tombol 'Kata sandi' di bagian atas halaman."
        )
    generated = not (new_password or "").strip()
    plain = generate_password() if generated else str(new_password)
    if len(plain) < auth.MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi minimal {auth.MIN_PASSWORD_LENGTH} karakter.")
    if len(plain) > auth.MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi maksimal {auth.MAX_PASSWORD_LENGTH} karakter.")
    password_hash = auth.hash_password(plain)
    with unit_of_work() as session:
        user = user_repo.get_live_user_for_update(session=session, user_id=user_id)
        if user is None:
            raise NotFound("Pengguna tidak ditemukan.")
        user_repo.set_password_hash(session=session, user=user, password_hash=password_hash)
        assert user.id is not None
        ended = session_repo.delete_sessions_for_user(session=session, user_id=user.id)
        user_repo.clear_login_failures(session=session, username=user.username)
        return PasswordReset(
            username=user.username, password=plain, generated=generated, sessions_ended=ended
        )


# --- Profile and a teacher's classes ------------------------------------------------------


def update_profile(
    *,
    actor: CurrentUser,
    user_id: int,
    full_name: str,
    class_name: str | None = None,
    grade: Any = None,
    email: str | None = None,
) -> UserRow:
    """Fix a name, move a student to another class or grade, change an email. The account
    (and with it every answer, session and mastery row) stays the same, so nothing is lost.
    Class and grade are for students; a former student's stored ones are left untouched."""
    require_admin(actor)
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise InvalidInput("Nama lengkap wajib diisi.")
    if len(full_name) > MAX_FULL_NAME:
        raise InvalidInput(f"Nama lengkap maksimal {MAX_FULL_NAME} karakter.")
    clean_email = (email or "").strip() or None
    if clean_email is not None and (len(clean_email) > MAX_EMAIL or not _EMAIL.match(clean_email)):
        raise InvalidInput(f"Alamat email tidak valid: '{clean_email}'.")
    typed_class = " ".join((class_name or "").split()) or None
    number = parse_grade(grade)
    with unit_of_work() as session:
        user = user_repo.get_live_user_for_update(session=session, user_id=user_id)
        if user is None:
            raise NotFound("Pengguna tidak ditemukan.")
        if user.role == "siswa":
            if typed_class is None:
                raise InvalidInput("Kelas wajib diisi untuk siswa (misalnya XII IPA 1).")
            new_class: str | None = clean_class_name(typed_class)
            if number is None:
                raise InvalidInput("Tingkat wajib diisi untuk siswa: 10, 11 atau 12.")
            new_grade: int | None = number
        else:
            if typed_class is not None or number is not None:
                raise InvalidInput(
                    "Kelas dan tingkat hanya diisi untuk siswa. Kelas yang diajar guru diatur "
                    "di bagian 'Kelas yang diajar'."
                )
            new_class, new_grade = user.class_name, user.grade
        assert user.id is not None
        if clean_email is not None and user_repo.email_taken_by_other(
            session=session, email=clean_email, user_id=user.id
        ):
            raise Conflict(_taken_message("Email", clean_email))
        user_repo.set_profile(
            session=session,
            user=user,
            full_name=full_name,
            email=clean_email,
            class_name=new_class,
            grade=new_grade,
        )
        return _rows_with_classes(session, [user])[0]


def class_choices(*, actor: CurrentUser) -> list[str]:
    """Classes that have students: what the admin picks a teacher's classes from."""
    require_admin(actor)
    with unit_of_work() as session:
        return user_repo.list_student_classes(session=session)


def _teacher(user: User | None, who: str) -> User:
    if user is None or user.deleted_at is not None:
        raise NotFound(f"Pengguna {who} tidak ditemukan.")
    if user.role != "guru":
        raise InvalidInput(
            f"{user.username} bukan guru (perannya {user.role}): kelas hanya diberikan kepada "
            "guru. Admin sudah melihat semua kelas."
        )
    return user


def _assign(session: Any, user: User, class_name: str, allow_empty: bool) -> ClassChange:
    name = clean_class_name(class_name)
    known = _canonical_classes(session)
    has_students = name.lower() in known
    # 'xii ipa 1' is the students' 'XII IPA 1', not a second class.
    name = known.get(name.lower(), name)
    if not has_students and not allow_empty:
        listed = ", ".join(sorted(known.values())[:8]) or "belum ada"
        raise InvalidInput(
            f"Tidak ada siswa di kelas '{name}' (kelas yang ada: {listed}). Periksa "
            "penulisannya, atau pakai --allow-empty untuk kelas yang siswanya belum diimpor."
        )
    assert user.id is not None
    before = user_repo.list_teacher_classes(session=session, teacher_id=user.id)
    if name not in before and len(before) >= MAX_TEACHER_CLASSES:
        raise InvalidInput(f"Seorang guru paling banyak mengajar {MAX_TEACHER_CLASSES} kelas.")
    user_repo.assign_class(session=session, teacher_id=user.id, class_name=name)
    return ClassChange(
        username=user.username,
        class_name=name,
        classes=tuple(user_repo.list_teacher_classes(session=session, teacher_id=user.id)),
        changed=name not in before,
        has_students=has_students,
    )


def _unassign(session: Any, user: User, class_name: str) -> ClassChange:
    name = " ".join((class_name or "").split())
    assert user.id is not None
    before = user_repo.list_teacher_classes(session=session, teacher_id=user.id)
    # Removing matches the stored spelling, whatever case the admin typed.
    stored = next((c for c in before if c.lower() == name.lower()), None)
    if stored is None:
        raise InvalidInput(
            f"{user.username} tidak mengajar kelas '{name}' "
            f"(kelasnya: {', '.join(before) or 'belum ada'})."
        )
    user_repo.unassign_class(session=session, teacher_id=user.id, class_name=stored)
    return ClassChange(
        username=user.username,
        class_name=stored,
        classes=tuple(c for c in before if c != stored),
        changed=True,
        has_students=stored.lower() in _canonical_classes(session),
    )


def assign_class(
    *, actor: CurrentUser, user_id: int, class_name: str, allow_empty: bool = False
) -> ClassChange:
    """The guru sees this class's students on /teacher from their next click. A class no
    student is in is refused unless `allow_empty` (a new class whose students come later)."""
    require_admin(actor)
    with unit_of_work() as session:
        user = _teacher(user_repo.get_user(session=session, user_id=user_id), "ini")
        return _assign(session, user, class_name, allow_empty)


def unassign_class(*, actor: CurrentUser, user_id: int, class_name: str) -> ClassChange:
    require_admin(actor)
    with unit_of_work() as session:
        user = _teacher(user_repo.get_user(session=session, user_id=user_id), "ini")
        return _unassign(session, user, class_name)


# The `nexus user assign-class` CLI runs as the server's operator (a shell on the server is
# outside the web threat model, as for `nexus user create`), so it names the guru instead.


def assign_class_by_username(
    *, username: str, class_name: str, allow_empty: bool = False
) -> ClassChange:
    with unit_of_work() as session:
        user = user_repo.get_user_by_username(session=session, username=username.strip())
        return _assign(session, _teacher(user, f"'{username}'"), class_name, allow_empty)


def unassign_class_by_username(*, username: str, class_name: str) -> ClassChange:
    with unit_of_work() as session:
        user = user_repo.get_user_by_username(session=session, username=username.strip())
        return _unassign(session, _teacher(user, f"'{username}'"), class_name)


# --- Rename a class / kenaikan kelas ------------------------------------------------------

GRADE_MODES = {"keep": 0, "up": 1}  # keep the grade, or one grade up (kenaikan kelas)


@dataclass(frozen=True)
class ClassMover:
    username: str
    full_name: str
    grade_before: int | None
    grade_after: int | None
    is_active: bool


@dataclass(frozen=True)
class ClassMovePlan:
    """Who moves where: shown before, and returned after, `move_class`."""

    old: str
    new: str
    grade_step: int
    students: tuple[ClassMover, ...]
    teachers: tuple[str, ...]  # the old class's gurus (usernames)
    move_teachers: bool
    # The moving students' ids: the move refuses a list that changed since the preview.
    fingerprint: str


def _plan(
    session: Any, class_name: str, new_class_name: str, grade_mode: str, move_teachers: bool
) -> tuple[ClassMovePlan, list[User]]:
    if grade_mode not in GRADE_MODES:
        raise InvalidInput("Pilih: tingkat tetap, atau naik satu tingkat.")
    step = GRADE_MODES[grade_mode]
    old = " ".join((class_name or "").split())
    if not old:
        raise InvalidInput("Pilih kelas yang akan dipindahkan.")
    new = clean_class_name(new_class_name)
    known = _canonical_classes(session)
    old = known.get(old.lower(), old)
    students = user_repo.list_class_members(session=session, class_name=old, lock=True)
    if not students:
        raise InvalidInput(f"Kelas '{old}' tidak punya siswa.")
    if new == old and step == 0:
        raise InvalidInput("Nama kelas baru sama dengan yang lama dan tingkatnya tetap.")
    if new.lower() != old.lower() and new.lower() in known:
        taken = len(user_repo.list_class_members(session=session, class_name=known[new.lower()]))
        raise Conflict(
            f"Kelas '{known[new.lower()]}' sudah punya {taken} siswa: kelas tidak digabung. "
            "Pindahkan kelas itu dulu (mulai dari tingkat tertinggi), atau pilih nama lain."
        )
    if step:
        top = [s.username for s in students if s.grade is not None and s.grade + step > GRADES[-1]]
        if top:
            raise InvalidInput(
                f"{len(top)} siswa sudah kelas {GRADES[-1]} ({', '.join(top[:5])}"
                f"{', …' if len(top) > 5 else ''}) dan tidak bisa naik tingkat. Siswa yang lulus "
                "dinonaktifkan, bukan dinaikkan."
            )
    plan = ClassMovePlan(
        old=old,
        new=new,
        grade_step=step,
        students=tuple(
            ClassMover(
                username=s.username,
                full_name=s.full_name or "",
                grade_before=s.grade,
                grade_after=None if s.grade is None else s.grade + step,
                is_active=s.is_active,
            )
            for s in students
        ),
        teachers=tuple(user_repo.list_class_teacher_names(session=session, class_name=old)),
        move_teachers=move_teachers,
        fingerprint=",".join(str(s.id) for s in sorted(students, key=lambda s: s.id or 0)),
    )
    return plan, students


def preview_class_move(
    *,
    actor: CurrentUser,
    class_name: str,
    new_class_name: str,
    grade_mode: str = "keep",
    move_teachers: bool = True,
) -> ClassMovePlan:
    """Who would move: nothing is written."""
    require_admin(actor)
    with unit_of_work() as session:
        plan, _students = _plan(session, class_name, new_class_name, grade_mode, move_teachers)
        session.rollback()
        return plan


def move_class(
    *,
    actor: CurrentUser,
    class_name: str,
    new_class_name: str,
    grade_mode: str = "keep",
    move_teachers: bool = True,
    fingerprint: str,
) -> ClassMovePlan:
    """Rename a class, or move it a grade up (kenaikan kelas), in one transaction: every
    student of it (their history stays: the accounts are the same) and, with
    `move_teachers`, its teachers' assignments. Refused if the students changed since the
    preview whose `fingerprint` the admin confirmed."""
    require_admin(actor)
    with unit_of_work() as session:
        plan, students = _plan(session, class_name, new_class_name, grade_mode, move_teachers)
        if plan.fingerprint != fingerprint:
            raise Conflict(
                f"Daftar siswa kelas '{plan.old}' berubah sejak pratinjau. Periksa pratinjau "
                "yang baru, lalu pindahkan lagi."
            )
        user_repo.move_students(
            session=session, users=students, class_name=plan.new, grade_step=plan.grade_step
        )
        if move_teachers:
            user_repo.rename_class_assignments(session=session, old=plan.old, new=plan.new)
        return plan
