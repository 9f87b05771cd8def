"""Pure helpers for account input: passwords, grades, classes and the users CSV (unit-tested)."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nexus_app.services import auth
from nexus_app.services.bank_import import template_csv
from nexus_app.services.errors import InvalidInput
from nexus_app.services.teacher import spreadsheet_text

from .rows import (
    _EMAIL,
    _PASSWORD_ALPHABET,
    _PASSWORD_GROUP_LENGTH,
    _PASSWORD_GROUPS,
    _ROMAN_GRADES,
    CLASS_SEPARATOR,
    CSV_COLUMNS,
    CSV_REQUIRED,
    GRADES,
    MAX_CLASS_NAME,
    MAX_EMAIL,
    MAX_FULL_NAME,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MAX_TEACHER_CLASSES,
    CsvRow,
    NewCredential,
    NewUser,
    RowError,
)

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
    """The header the importer reads and two example rows."""
    return template_csv(CSV_COLUMNS, _TEMPLATE_ROWS)


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
