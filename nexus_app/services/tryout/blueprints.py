"""Tryout blueprints: the built-in SNBT default, CSV import, listing.

A blueprint is data: which subtests, in which order, with how many items and minutes
(docs/tryout.md). The default is written from `utbk_sections` (the migration's SNBT
numbers, which an admin may change) the first time any blueprint is asked for.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.models import TryoutBlueprint
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import tryout as tryout_repo
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, PermissionDenied

DEFAULT_NAME = "SNBT (bawaan)"
COLUMNS = ("order", "section", "items", "minutes")
MAX_FILE_BYTES = 64 * 1024
MAX_NAME_CHARS = 100
MAX_ITEMS = 200
MAX_MINUTES = 300.0


@dataclass(frozen=True)
class BlueprintSectionView:
    position: int
    section: str
    name: str
    items: int
    minutes: float


@dataclass(frozen=True)
class BlueprintView:
    id: int
    name: str
    sections: tuple[BlueprintSectionView, ...]

    @property
    def total_items(self) -> int:
        return sum(s.items for s in self.sections)

    @property
    def total_minutes(self) -> float:
        return sum(s.minutes for s in self.sections)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"baris {self.line}: {self.reason}"


@dataclass
class BlueprintImportReport:
    name: str
    sections: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def ensure_default(session: Session) -> None:
    """Write the SNBT default from utbk_sections when no blueprint exists yet."""
    if tryout_repo.list_blueprints(session=session):
        return
    supply = question_repo.list_section_supply(session=session)  # in official order
    rows = []
    for position, entry in enumerate(supply, start=1):
        section = question_repo.get_section(session=session, code=entry.code)
        assert section is not None
        rows.append((position, section.code, section.item_count, float(section.duration_minutes)))
    tryout_repo.save_blueprint(session=session, name=DEFAULT_NAME, sections=rows)


def _view(session: Session, blueprint: TryoutBlueprint) -> BlueprintView:
    assert blueprint.id is not None
    sections = []
    for row in tryout_repo.list_blueprint_sections(session=session, blueprint_id=blueprint.id):
        utbk = question_repo.get_section(session=session, code=row.section)
        sections.append(
            BlueprintSectionView(
                position=row.position,
                section=row.section,
                name=utbk.name if utbk else row.section,
                items=row.item_count,
                minutes=row.minutes,
            )
        )
    return BlueprintView(id=blueprint.id, name=blueprint.name, sections=tuple(sections))


def blueprint_views(session: Session) -> list[BlueprintView]:
    ensure_default(session)
    return [_view(session, b) for b in tryout_repo.list_blueprints(session=session)]


def list_blueprints() -> list[BlueprintView]:
    """Every blueprint with its sections (the default is created on first use)."""
    with unit_of_work() as session:
        return blueprint_views(session)


def _parse(text: str, codes: set[str]) -> tuple[list[tuple[int, str, int, float]], list[RowError]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    problems = []
    if missing:
        problems.append(f"Kolom wajib tidak ada di baris judul: {', '.join(missing)}.")
    if unknown:
        problems.append(f"Kolom tidak dikenal: {', '.join(unknown)}.")
    if problems:
        raise InvalidInput(" ".join(problems))
    reader.fieldnames = header
    rows: list[tuple[int, str, int, float]] = []
    errors: list[RowError] = []
    seen_orders: dict[int, int] = {}
    seen_sections: dict[str, int] = {}
    line = reader.line_num + 1
    try:
        for record in reader:
            try:
                rows.append(_row(record, codes, line, seen_orders, seen_sections))
            except ValueError as exc:
                errors.append(RowError(line, str(exc)))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"CSV rusak di baris {reader.line_num}: {exc}.") from exc
    if not rows and not errors:
        raise InvalidInput("Berkas tidak berisi satu subtes pun.")
    return rows, errors


def _row(
    record: dict[str | None, str | None],
    codes: set[str],
    line: int,
    seen_orders: dict[int, int],
    seen_sections: dict[str, int],
) -> tuple[int, str, int, float]:
    if None in record:
        raise ValueError("jumlah sel lebih banyak dari kolom judul")
    values = {k: (v or "").strip() for k, v in record.items() if k is not None}
    empty = [c for c in COLUMNS if not values.get(c)]
    if empty:
        raise ValueError(f"kolom wajib kosong: {', '.join(empty)}")
    try:
        order = int(values["order"])
    except ValueError as exc:
        raise ValueError(f"order harus bilangan bulat (tertulis '{values['order']}')") from exc
    if order < 1:
        raise ValueError(f"order harus 1 atau lebih (tertulis {order})")
    code = values["section"].upper()
    if code not in codes:
        raise ValueError(f"subtes '{values['section']}' tidak dikenal ({', '.join(sorted(codes))})")
    try:
        items = int(values["items"])
    except ValueError as exc:
        raise ValueError(f"items harus bilangan bulat (tertulis '{values['items']}')") from exc
    if not 1 <= items <= MAX_ITEMS:
        raise ValueError(f"items harus di antara 1 dan {MAX_ITEMS} (tertulis {items})")
    try:
        minutes = float(values["minutes"].replace(",", "."))
    except ValueError as exc:
        raise ValueError(f"minutes harus berupa angka (tertulis '{values['minutes']}')") from exc
    if not (math.isfinite(minutes) and 0 < minutes <= MAX_MINUTES):
        raise ValueError(f"minutes harus lebih dari 0 dan paling banyak {MAX_MINUTES:g}")
    if order in seen_orders:
        raise ValueError(f"order {order} sudah dipakai di baris {seen_orders[order]}")
    if code in seen_sections:
        raise ValueError(f"subtes {code} sudah ada di baris {seen_sections[code]}")
    seen_orders[order] = line
    seen_sections[code] = line
    return order, code, items, minutes


def import_blueprint(*, data: bytes, name: str) -> BlueprintImportReport:
    """Validate every row, then save all (creating or replacing `name`) or nothing."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidInput(
            f"Nama cetak biru wajib diisi (paling banyak {MAX_NAME_CHARS} karakter)."
        )
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("Berkas terlalu besar (maksimal 64 KB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("Berkas harus berformat teks UTF-8.") from exc
    if not text.strip():
        raise InvalidInput("Berkas kosong.")
    report = BlueprintImportReport(name=name)
    with unit_of_work() as session:
        ensure_default(session)
        rows, report.errors = _parse(text, question_repo.list_section_codes(session=session))
        if report.errors:
            return report
        # Positions renumbered 1..n in the file's order values (gaps allowed in the file).
        ordered = sorted(rows)
        tryout_repo.save_blueprint(
            session=session,
            name=name,
            sections=[
                (i, code, items, mins) for i, (_, code, items, mins) in enumerate(ordered, 1)
            ],
        )
        report.sections = len(rows)
    return report


# --- the admin page ---------------------------------------------------------------------


def _require_admin(actor: CurrentUser) -> None:
    if actor.role != "admin":
        raise PermissionDenied("Cetak biru tryout hanya untuk admin.")


def blueprint_csv(blueprint: BlueprintView) -> str:
    """The blueprint as the import reads it (what the admin page edits)."""
    lines = [",".join(COLUMNS)]
    lines.extend(f"{s.position},{s.section},{s.items},{s.minutes:g}" for s in blueprint.sections)
    return "\n".join(lines) + "\n"


def admin_list_blueprints(*, actor: CurrentUser) -> list[BlueprintView]:
    _require_admin(actor)
    return list_blueprints()


def admin_save_blueprint(*, actor: CurrentUser, name: str, csv_text: str) -> BlueprintImportReport:
    """The page's save: the same validation and all-or-nothing write as the CLI import."""
    _require_admin(actor)
    return import_blueprint(data=csv_text.encode("utf-8"), name=name)
