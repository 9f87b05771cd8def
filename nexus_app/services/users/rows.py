"""Limits of the account forms and the rows the admin's user pages show."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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
