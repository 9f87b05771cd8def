"""PTN study programmes (`nexus ptn import`) and the estimated chance of a tryout total.

Columns: ptn,program,capacity,applicants,year and an optional cutoff (200-900 on Nexus's
scale) where a school has better figures. Every row is checked first; all or nothing.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import admission
from nexus_app.models import PtnProgram
from nexus_app.repositories import tryout as tryout_repo
from nexus_app.services.errors import InvalidInput

from .blueprints import RowError

REQUIRED = ("ptn", "program", "capacity", "applicants", "year")
COLUMNS = (*REQUIRED, "cutoff")
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass
class PtnImportReport:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class ProgramChance:
    program_id: int
    ptn: str
    program: str
    year: int
    cutoff: int
    cutoff_given: bool
    chance: float  # 0..1


def _int(values: dict[str, str], name: str, low: int, high: int) -> int:
    try:
        number = int(values[name])
    except ValueError as exc:
        raise ValueError(f"{name} harus bilangan bulat (tertulis '{values[name]}')") from exc
    if not low <= number <= high:
        raise ValueError(f"{name} harus di antara {low} dan {high} (tertulis {number})")
    return number


def _row(record: dict[str | None, str | None]) -> PtnProgram:
    if None in record:
        raise ValueError("jumlah sel lebih banyak dari kolom judul")
    values = {k: (v or "").strip() for k, v in record.items() if k is not None}
    empty = [c for c in REQUIRED if not values.get(c)]
    if empty:
        raise ValueError(f"kolom wajib kosong: {', '.join(empty)}")
    if len(values["ptn"]) > 100 or len(values["program"]) > 200:
        raise ValueError("nama ptn (100) atau program (200 karakter) terlalu panjang")
    cutoff = None
    if values.get("cutoff"):
        try:
            cutoff = float(values["cutoff"].replace(",", "."))
        except ValueError as exc:
            raise ValueError(f"cutoff harus berupa angka (tertulis '{values['cutoff']}')") from exc
        if not (math.isfinite(cutoff) and 200 <= cutoff <= 900):
            raise ValueError("cutoff harus di antara 200 dan 900 (skala Nexus)")
    return PtnProgram(
        ptn=values["ptn"],
        program=values["program"],
        capacity=_int(values, "capacity", 1, 100_000),
        applicants=_int(values, "applicants", 1, 10_000_000),
        year=_int(values, "year", 2000, 2100),
        cutoff=cutoff,
    )


def import_ptn(*, data: bytes) -> PtnImportReport:
    """Validate every row, then add or update all (keyed by ptn, program, year) or none."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("Berkas terlalu besar (maksimal 2 MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("Berkas harus berformat teks UTF-8.") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"Kolom wajib tidak ada di baris judul: {', '.join(missing)}.")
        if unknown:
            parts.append(f"Kolom tidak dikenal: {', '.join(unknown)}.")
        raise InvalidInput(" ".join(parts))
    reader.fieldnames = header
    report = PtnImportReport()
    rows: list[PtnProgram] = []
    seen: dict[tuple[str, str, int], int] = {}
    line = reader.line_num + 1
    try:
        for record in reader:
            try:
                row = _row(record)
                key = (row.ptn.lower(), row.program.lower(), row.year)
                if key in seen:
                    raise ValueError(f"program ini untuk tahun itu sudah ada di baris {seen[key]}")
                seen[key] = line
                rows.append(row)
            except ValueError as exc:
                report.errors.append(RowError(line, str(exc)))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"CSV rusak di baris {reader.line_num}: {exc}.") from exc
    if report.errors:
        return report
    if not rows:
        raise InvalidInput("Berkas tidak berisi satu program pun.")
    with unit_of_work() as session:
        for row in rows:
            tryout_repo.upsert_program(session=session, program=row)
        report.imported = len(rows)
    return report


def _newest_programs(session: Session) -> list[PtnProgram]:
    """Each (ptn, program) once, with its newest year."""
    newest: dict[tuple[str, str], PtnProgram] = {}
    for row in tryout_repo.list_programs(session=session):  # oldest year first
        newest[(row.ptn, row.program)] = row
    return sorted(newest.values(), key=lambda r: (r.ptn, r.program))


def _chance(row: PtnProgram, score: float, score_se: float) -> ProgramChance:
    given = row.cutoff is not None
    cutoff = (
        float(row.cutoff)
        if row.cutoff is not None
        else admission.estimated_cutoff(row.capacity, row.applicants)
    )
    sd = admission.GIVEN_CUTOFF_SD if given else admission.ESTIMATED_CUTOFF_SD
    return ProgramChance(
        program_id=int(row.id or 0),
        ptn=row.ptn,
        program=row.program,
        year=row.year,
        cutoff=round(cutoff),
        cutoff_given=given,
        chance=admission.chance(score, score_se, cutoff, sd),
    )


def program_chances(
    session: Session, *, score: float, score_se: float, target_id: int | None
) -> list[ProgramChance]:
    """The target programme first, then up to three alternatives: the programmes with the
    next lower cut-offs (safer choices), then the next higher if fewer exist."""
    everything = [_chance(r, score, score_se) for r in _newest_programs(session)]
    target = next((c for c in everything if c.program_id == target_id), None)
    if target is None:
        return []
    others = [c for c in everything if c.program_id != target_id]
    lower = sorted((c for c in others if c.cutoff <= target.cutoff), key=lambda c: -c.cutoff)
    higher = sorted((c for c in others if c.cutoff > target.cutoff), key=lambda c: c.cutoff)
    return [target, *(lower + higher)[:3]]


def list_program_choices(session: Session) -> list[tuple[int, str, str]]:
    """(id, ptn, "PTN · programme") of each programme's newest year."""
    return [(int(r.id or 0), r.ptn, f"{r.ptn} · {r.program}") for r in _newest_programs(session)]
