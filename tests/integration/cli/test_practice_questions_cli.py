"""`nexus practice-questions import|template`: line-numbered errors, all or nothing, and a
template that imports as it is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[3]
NEXUS = str(ROOT / ".venv" / "bin" / "nexus")


def nexus(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEXUS, *args], capture_output=True, text=True, timeout=600)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM practice_questions")).scalar() or 0)


def test_import_reports_bad_rows_then_skips_them(engine: Engine, tmp_path: Path) -> None:
    assert nexus("subject", "create", "--grade", "10", "--name", "Matematika", "--code", "MAT_10")
    path = tmp_path / "latihan.csv"
    path.write_text(
        "topic,question,answer,difficulty,option_a,option_b\n"
        "Pecahan,Berapakah 1/2 + 1/2?,A,mudah,1,2\n"
        "Pecahan,Kunci salah?,C,,1,2\n"
        ",Tanpa topik,x,,,\n",
        encoding="utf-8",
    )
    result = nexus("practice-questions", "import", str(path), "--subject", "MAT_10")
    assert result.returncode == 1
    assert "baris 3:" in result.stderr and "baris 4:" in result.stderr
    assert "baris 2:" not in result.stderr
    assert _count(engine) == 0
    skipped = nexus(
        "practice-questions", "import", str(path), "--subject", "mat_10", "--skip-invalid"
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "imported 1 practice questions into MAT_10, skipped 2" in skipped.stdout
    assert _count(engine) == 1

    missing = nexus("practice-questions", "import", str(path), "--subject", "NOPE")
    assert missing.returncode != 0 and "NOPE" in missing.stderr


def test_template_imports_as_it_is(engine: Engine, tmp_path: Path) -> None:
    nexus("subject", "create", "--grade", "10", "--name", "Matematika", "--code", "MAT_10")
    written = nexus("practice-questions", "template", "--out", str(tmp_path))
    assert written.returncode == 0, written.stderr
    template = tmp_path / "templat-impor-soal-latihan.csv"
    assert template.read_text(encoding="utf-8-sig").startswith("topic,question,answer,")
    result = nexus("practice-questions", "import", str(template), "--subject", "MAT_10")
    assert result.returncode == 0, result.stderr
    assert _count(engine) == 2
