"""Import a question bank from CSV or JSON: validate every row first, then write all or none.

The column set is documented in docs/bank-import.md.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus_app.db import unit_of_work
from nexus_app.models import QuestionCreate, utcnow
from nexus_app.models.bank import ANSWER_LETTERS
from nexus_app.repositories import questions as question_repo
from nexus_app.services.errors import InvalidInput

REQUIRED = (
    "section",
    "text",
    "option_a",
    "option_b",
    "option_c",
    "option_d",
    "option_e",
    "correct_answer",
)
OPTIONAL = (
    "sub_type",
    "explanation",
    "explanation_en",
    "strategy_tip",
    "related_concept",
    "discrimination",
    "difficulty",
    "guessing",
)
COLUMNS = REQUIRED + OPTIONAL
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_OPTION_CHARS = 500
MAX_TEXT_CHARS = 10_000
# The database's column widths: checked here so a long value is a row error, not a crash.
MAX_CHARS = {"sub_type": 50, "related_concept": 255}
DEFAULT_PARAMS = {"discrimination": 1.0, "difficulty": 0.0, "guessing": 0.2}
PARAM_RANGES = {
    "discrimination": (0.05, 4.0),
    "difficulty": (-4.0, 4.0),
    "guessing": (0.0, 0.5),
}


# The downloadable CSV template: keyed by column so that a column added to COLUMNS without an
# example fails the template test instead of drifting from what the importer reads.
TEMPLATE_FILENAME = "templat-impor-bank-soal.csv"
_TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {
        "section": "PU",
        "sub_type": "logika",
        "text": "Semua siswa kelas XII mengikuti upacara. Rina adalah siswa kelas XII. "
        "Simpulan yang tepat adalah ...",
        "option_a": "Rina mengikuti upacara.",
        "option_b": "Rina tidak mengikuti upacara.",
        "option_c": "Rina mungkin mengikuti upacara.",
        "option_d": "Sebagian siswa kelas XII adalah Rina.",
        "option_e": "Tidak dapat disimpulkan.",
        "correct_answer": "A",
        "explanation": "Silogisme: semua siswa kelas XII ikut upacara; Rina siswa kelas XII.",
        "explanation_en": "Syllogism: every class XII student attends, and Rina is one of them.",
        "strategy_tip": "Tulis premis sebagai himpunan sebelum memilih jawaban.",
        "related_concept": "silogisme",
        "discrimination": "1.0",
        "difficulty": "0.0",
        "guessing": "0.2",
    },
    {
        "section": "PK",
        "sub_type": "aljabar",
        "text": "Jika 2x + 3 = 11, nilai x adalah ...",
        "option_a": "3",
        "option_b": "4",
        "option_c": "5",
        "option_d": "7",
        "option_e": "8",
        "correct_answer": "B",
        "explanation": "2x = 11 - 3 = 8, jadi x = 4.",
        "explanation_en": "",
        "strategy_tip": "",
        "related_concept": "persamaan linear",
        "discrimination": "",
        "difficulty": "-1.0",
        "guessing": "",
    },
)


def template_csv(columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> str:
    """An importer's template: its header and example rows, with a BOM so Excel reads UTF-8.
    Written directly, not through the export formula guard, which would mangle examples such
    as a -1.0 difficulty."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return "\ufeff" + out.getvalue()


def csv_template() -> str:
    """Every column the importer reads and two example items."""
    return template_csv(COLUMNS, _TEMPLATE_ROWS)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"baris {self.line}: {self.reason}"


@dataclass
class ImportReport:
    bank_name: str
    imported: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, Any]


def read_rows(filename: str, data: bytes) -> list[_Row]:
    """Parse the file into raw rows with their line numbers; raise on an unreadable file."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"Berkas terlalu besar (maksimal {MAX_FILE_BYTES // (1024 * 1024)} MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("Berkas harus berformat teks UTF-8.") from exc
    if not text.strip():
        raise InvalidInput("Berkas kosong.")
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(text)
    if suffix == ".json":
        return _read_json(text)
    raise InvalidInput("Format berkas tidak didukung: gunakan .csv atau .json.")


def _read_csv(text: str) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    # Every missing and unknown column in one message, so one upload shows the whole fix.
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    problems = []
    if missing:
        problems.append(f"Kolom wajib tidak ada di baris judul: {', '.join(missing)}.")
    if unknown:
        problems.append(f"Kolom tidak dikenal: {', '.join(unknown)}.")
    if problems:
        raise InvalidInput(" ".join(problems))
    reader.fieldnames = header
    rows: list[_Row] = []
    line = reader.line_num + 1
    try:
        for record in reader:
            values = dict(record)
            if None in values:  # more cells than header columns
                values["__extra__"] = values.pop(None)
            rows.append(_Row(line=line, values=values))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"CSV rusak di baris {reader.line_num}: {exc}.") from exc
    return rows


def _read_json(text: str) -> list[_Row]:
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise InvalidInput("JSON harus berupa larik (array) berisi objek soal.")
    pos = _skip_ws(text, pos + 1)
    rows: list[_Row] = []
    while pos < len(text) and text[pos] != "]":
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"JSON rusak di baris {exc.lineno}: {exc.msg}.") from exc
        rows.append(
            _Row(line=line, values=value if isinstance(value, dict) else {"__bad__": value})
        )
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
    if pos >= len(text):
        raise InvalidInput("JSON rusak: larik tidak ditutup dengan ']'.")
    return rows


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _number(value: Any, name: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_PARAMS[name]
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} harus berupa angka (tertulis '{value}')") from exc
    low, high = PARAM_RANGES[name]
    if math.isnan(number) or not low <= number <= high:
        raise ValueError(f"{name} harus di antara {low} dan {high} (tertulis {number})")
    return number


def validate_row(row: _Row, sections: set[str]) -> dict[str, Any]:
    """Return clean Question fields for one row, or raise ValueError with the reason."""
    values = row.values
    if "__bad__" in values:
        raise ValueError("setiap entri harus berupa objek JSON")
    if "__extra__" in values:
        raise ValueError("jumlah sel lebih banyak dari kolom judul")
    unknown = [k for k in values if k not in COLUMNS]
    if unknown:
        raise ValueError(f"kolom tidak dikenal: {', '.join(sorted(unknown))}")
    nested = [k for k, v in values.items() if isinstance(v, dict | list)]
    if nested:
        raise ValueError(f"kolom {', '.join(sorted(nested))} harus berupa teks atau angka")
    if any(isinstance(v, str) and "\x00" in v for v in values.values()):
        raise ValueError("berisi karakter NUL (berkas biner?)")

    def text_of(key: str) -> str:
        raw = values.get(key)
        return "" if raw is None else str(raw).strip()

    empty = [k for k in REQUIRED if not text_of(k)]
    if empty:
        raise ValueError(f"kolom wajib kosong: {', '.join(empty)}")
    if len(text_of("text")) > MAX_TEXT_CHARS:
        raise ValueError(f"text lebih dari {MAX_TEXT_CHARS} karakter")
    too_wide = [k for k, n in MAX_CHARS.items() if len(text_of(k)) > n]
    if too_wide:
        raise ValueError(
            "terlalu panjang: " + ", ".join(f"{k} (maks. {MAX_CHARS[k]})" for k in too_wide)
        )
    section = text_of("section").upper()
    if section not in sections:
        raise ValueError(f"section '{section}' tidak dikenal (pilih {', '.join(sorted(sections))})")
    answer = text_of("correct_answer").upper()
    if answer not in ANSWER_LETTERS:
        raise ValueError(f"correct_answer harus A-E (tertulis '{text_of('correct_answer')}')")
    options = [text_of(f"option_{letter.lower()}") for letter in ANSWER_LETTERS]
    too_long = [ANSWER_LETTERS[i] for i, o in enumerate(options) if len(o) > MAX_OPTION_CHARS]
    if too_long:
        raise ValueError(f"opsi {', '.join(too_long)} lebih dari {MAX_OPTION_CHARS} karakter")
    if len({o.casefold() for o in options}) < len(options):
        raise ValueError("ada opsi jawaban yang sama persis")
    return {
        "section": section,
        "sub_type": text_of("sub_type") or None,
        "text": text_of("text"),
        "option_a": options[0],
        "option_b": options[1],
        "option_c": options[2],
        "option_d": options[3],
        "option_e": options[4],
        "correct_answer": answer,
        "explanation": text_of("explanation") or None,
        "explanation_en": text_of("explanation_en") or None,
        "strategy_tip": text_of("strategy_tip") or None,
        "related_concept": text_of("related_concept") or None,
        "discrimination": _number(values.get("discrimination"), "discrimination"),
        "difficulty_irt": _number(values.get("difficulty"), "difficulty"),
        "guessing_param": _number(values.get("guessing"), "guessing"),
    }


def validate_item(values: dict[str, Any], sections: set[str]) -> dict[str, Any]:
    """The import rules for one item typed in the editor (same keys as an import row)."""
    return validate_row(_Row(line=0, values=values), sections)


def identity(fields: dict[str, Any]) -> str:
    """The duplicate key of an item: its stem and five options, ignoring case."""
    return _identity(fields)


def import_bank(
    *,
    filename: str,
    data: bytes,
    bank_name: str,
    skip_invalid: bool = False,
    mark_reviewed_by: Iterable[str] = (),
) -> ImportReport:
    """Validate every row; without skip_invalid any bad row means nothing is imported."""
    bank_name = (bank_name or "").strip()
    if not bank_name:
        raise InvalidInput("Nama bank soal wajib diisi.")
    rows = read_rows(filename, data)
    if not rows:
        raise InvalidInput("Berkas tidak berisi soal.")
    reviewers = list(mark_reviewed_by)
    report = ImportReport(bank_name=bank_name)
    with unit_of_work() as session:
        sections = question_repo.list_section_codes(session=session)
        bank = question_repo.get_question_bank_by_name(
            session=session, name=bank_name
        ) or question_repo.find_question_bank_by_name_ignoring_case(session=session, name=bank_name)
        existing: set[str] = set()
        if bank is not None:
            assert bank.id is not None
            existing = {
                _identity(row)
                for row in question_repo.list_item_identities(
                    session=session, bank_id=bank.id, columns=_IDENTITY_COLUMNS
                )
            }
        clean: list[dict[str, Any]] = []
        seen: set[str] = set(existing)
        for row in rows:
            try:
                fields = validate_row(row, sections)
                key = _identity(fields)
                if key in seen:
                    raise ValueError("soal yang sama sudah ada di berkas atau di bank ini")
                seen.add(key)
                clean.append(fields)
            except ValueError as exc:
                report.errors.append(RowError(line=row.line, reason=str(exc)))
        if report.errors and not skip_invalid:
            return report
        report.skipped = len(report.errors)
        if not clean:
            return report
        if bank is None:
            bank = question_repo.create_question_bank(
                session=session, name=bank_name, source="import"
            )
        assert bank.id is not None
        for fields in clean:
            question = question_repo.create_question(
                session=session,
                data=QuestionCreate(**fields),
                question_bank_id=bank.id,
                is_reviewed=len(reviewers) >= 2,
            )
            if len(reviewers) >= 2:
                question.reviewer_1_name, question.reviewer_2_name = reviewers[0], reviewers[1]
                session.add(question)
        question_repo.refresh_question_bank_counts(session=session, bank_id=bank.id)
        question_repo.refresh_question_bank_review_state(
            session=session, bank_id=bank.id, today=utcnow().date()
        )
        report.imported = len(clean)
    return report


# Many real items share a stem ("Kalimat berikut yang efektif adalah ..."): an item is a
# duplicate only when its stem and all five options match.
_IDENTITY_COLUMNS = ("text", "option_a", "option_b", "option_c", "option_d", "option_e")


def _identity(fields: dict[str, Any]) -> str:
    return "\x1f".join(str(fields[c]).casefold() for c in _IDENTITY_COLUMNS)
