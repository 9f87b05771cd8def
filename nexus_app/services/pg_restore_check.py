"""A PostgreSQL dump runs only Nexus's own schema and plain data, never SQL of its own.

`pg_restore` executes the SQL text stored inside a dump (each object's CREATE and DROP
statement, each COPY header) with the privileges of the app's database role, and a dump is
just a file: an uploaded one can carry any SQL (a trigger that runs on every login, a
function, `ALTER ROLE`, `COPY ... TO PROGRAM` where the role is a superuser). So before a
restore:

1. `pg_restore --file` turns the dump into the script it would run.
2. A scratch database is created and migrated by our own Alembic scripts to the dump's
   revision; `pg_dump --schema-only` of it is the reference: every statement Nexus's schema
   can legitimately need at that revision.
3. The script is read statement by statement (quotes and dollar quotes respected): a
   statement must be one of the reference statements, a `SELECT pg_catalog.setval(...)` of a
   reference sequence, or a `COPY public.<reference table> (...) FROM stdin;` whose data
   lines are passed through as data. Anything else (and any psql meta-command other than
   `\\restrict`/`\\unrestrict`) refuses the backup. The accepted items are written to a new
   script: only checked text is ever executed.
4. The checked script is run in the scratch database first (it must load completely),
   then in the live database with `psql --single-transaction` (all or nothing).

What remains: the data itself is trusted as data (rows an attacker wrote into the dump land
in the tables, e.g. an extra admin account; restores are admin-only for that reason).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from nexus_app.services.errors import InvalidInput

MAX_STATEMENT_CHARS = 1_000_000
LOCK_TIMEOUT = "30s"  # a restore waits this long for busy tables, then gives up whole
LOCK_TIMEOUT_STATEMENT = "SET lock_timeout = 0;"

_COPY_HEADER = re.compile(
    r'COPY public\.("?)([a-z0-9_]+)\1 \(((?:"?[a-z0-9_]+"?(?:, )?)+)\) FROM stdin;'
)
_SETVAL = re.compile(r"SELECT pg_catalog\.setval\('public\.([a-z0-9_]+)', -?\d+, (?:true|false)\);")
_META = re.compile(r"\\(?:un)?restrict [A-Za-z0-9]+")
_CREATE_TABLE = re.compile(r"CREATE TABLE public\.([a-z0-9_]+) \(")
_CREATE_SEQUENCE = re.compile(r"CREATE SEQUENCE public\.([a-z0-9_]+)\b")
_DOLLAR = re.compile(r"\$[A-Za-z_]*\$")


class UnsafeDump(InvalidInput):
    """The dump holds SQL that is not Nexus's schema: refused, nothing changed."""


@dataclass
class Reference:
    statements: set[str] = field(default_factory=set)
    tables: set[str] = field(default_factory=set)
    sequences: set[str] = field(default_factory=set)


@dataclass
class _Splitter:
    """Collects lines into statements; knows when a line ends one (outside any quote)."""

    lines: list[str] = field(default_factory=list)
    quote: str | None = None  # "'", '"' or a dollar tag such as "$$" / "$_$"
    size: int = 0

    def feed(self, line: str) -> str | None:
        self.lines.append(line)
        self.size += len(line)
        if self.size > MAX_STATEMENT_CHARS:
            raise UnsafeDump("Cadangan berisi perintah SQL yang terlalu panjang.")
        self._scan(line)
        if self.quote is None and line.rstrip().endswith(";"):
            statement = "\n".join(self.lines).strip()
            self.lines, self.size = [], 0
            return statement
        return None

    def _scan(self, line: str) -> None:
        i = 0
        while i < len(line):
            if self.quote is None:
                if line.startswith("--", i):
                    return  # comment to the end of the line
                char = line[i]
                if char in ("'", '"'):
                    self.quote = char
                elif char == "$" and (tag := _DOLLAR.match(line, i)):
                    self.quote = tag.group(0)
                    i = tag.end()
                    continue
            elif self.quote in ("'", '"'):
                if line[i] == self.quote:
                    if line.startswith(self.quote * 2, i):
                        i += 2  # '' or "" inside the quote
                        continue
                    self.quote = None
            elif line.startswith(self.quote, i):
                i += len(self.quote)
                self.quote = None
                continue
            i += 1

    @property
    def empty(self) -> bool:
        return not self.lines


def script_items(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """("sql", statement), ("meta", line), ("copy", header) and ("data", line) items of a
    plain-text dump, in order. Comment-only and blank lines between statements are dropped."""
    splitter = _Splitter()
    in_copy = False
    for raw in lines:
        line = raw.rstrip("\n")
        if in_copy:
            yield "data", line
            if line == "\\.":
                in_copy = False
            continue
        if splitter.empty:
            stripped = line.strip()
            if not stripped or stripped.startswith("--"):
                continue
            if stripped.startswith("\\"):
                yield "meta", stripped
                continue
        statement = splitter.feed(line)
        if statement is None:
            continue
        if statement.startswith("COPY ") and statement.endswith(" FROM stdin;"):
            in_copy = True
            yield "copy", statement
        else:
            yield "sql", statement
    if not splitter.empty or in_copy:
        raise UnsafeDump("Cadangan terpotong: perintah SQL terakhir tidak selesai.")


def add_reference(reference: Reference, lines: Iterable[str]) -> Reference:
    """Add the statements of a schema-only script (our own pg_dump) to `reference`."""
    for kind, text in script_items(iter(lines)):
        if kind != "sql":
            continue
        reference.statements.add(text)
        if match := _CREATE_TABLE.match(text):
            reference.tables.add(match.group(1))
        elif match := _CREATE_SEQUENCE.match(text):
            reference.sequences.add(match.group(1))
    return reference


def _refuse(text: str) -> UnsafeDump:
    shown = " ".join(text.split())[:120]
    return UnsafeDump(
        "Cadangan PostgreSQL ini berisi perintah yang bukan bagian dari skema Nexus "
        f"({shown!r}); tidak ada yang diubah."
    )


def write_checked_script(dump_script: Path, reference: Reference, out: Path) -> None:
    """Copy `dump_script` to `out` item by item, refusing anything not in `reference`."""
    with (
        dump_script.open(encoding="utf-8", errors="strict") as source,
        out.open("w", encoding="utf-8") as target,
    ):
        try:
            for kind, text in script_items(iter(source)):
                if kind == "data":
                    target.write(text + "\n")
                    continue
                if kind == "meta":
                    if not _META.fullmatch(text):
                        raise _refuse(text)
                elif kind == "copy":
                    match = _COPY_HEADER.fullmatch(text)
                    if match is None or match.group(2) not in reference.tables:
                        raise _refuse(text)
                elif text == LOCK_TIMEOUT_STATEMENT:
                    # Wait for busy tables only so long, then give up whole.
                    text = f"SET lock_timeout = '{LOCK_TIMEOUT}';"
                elif text not in reference.statements:
                    match = _SETVAL.fullmatch(text)
                    if match is None or match.group(1) not in reference.sequences:
                        raise _refuse(text)
                target.write(text + "\n")
        except UnicodeDecodeError as exc:
            raise UnsafeDump("Cadangan PostgreSQL ini bukan teks UTF-8 yang sah.") from exc


# --- the scratch database ---------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new, empty database beside the app's (same server and role), dropped afterwards.

    Needs the role to have CREATEDB; without it a PostgreSQL restore is refused.
    """
    name = f"nexus_restore_check_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.ProgrammingError as exc:
        admin.dispose()
        raise InvalidInput(
            "Peran PostgreSQL aplikasi tidak boleh membuat basis data (CREATEDB), padahal "
            "cadangan diperiksa dulu di basis data sementara; tidak ada yang diubah. "
            "Lihat docs/operations.md."
        ) from exc
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
