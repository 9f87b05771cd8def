"""`nexus blueprint import|list`: line-numbered row errors, one-line failures, all or nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from tests.integration.cli.test_cli import nexus


def test_blueprint_import_and_list(engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "mini.csv"
    good.write_text("order,section,items,minutes\n1,PU,4,2\n2,PK,3,1.5\n")
    ok = nexus("blueprint", "import", str(good), "--name", "Mini")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "blueprint 'Mini' saved with 2 sections"
    listed = nexus("blueprint", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert lines[0].split("\t")[1:3] == ["SNBT (bawaan)", "160 items, 195 min"]
    assert lines[1].split("\t")[1:] == ["Mini", "7 items, 3.5 min", "PU 4/2, PK 3/1.5"]


def test_blueprint_import_errors(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("order,section,items,minutes\n1,PU,4,2\n2,PU,x,1\n")
    result = nexus("blueprint", "import", str(bad), "--name", "Rusak")
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "baris 3: items harus bilangan bulat (tertulis 'x')",
        "error: 1 invalid rows; nothing imported",
    ]
    missing = nexus("blueprint", "import", str(tmp_path / "nope.csv"), "--name", "X")
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1
    assert missing.stderr.startswith("error: ")
    header = tmp_path / "header.csv"
    header.write_text("order,section,items\n1,PU,3\n")
    result = nexus("blueprint", "import", str(header), "--name", "X")
    assert result.returncode != 0
    assert result.stderr.strip() == ("error: Kolom wajib tidak ada di baris judul: minutes.")
    assert "Rusak" not in nexus("blueprint", "list").stdout


def test_ptn_import(engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "ptn.csv"
    good.write_text("ptn,program,capacity,applicants,year,cutoff\nUI,Hukum,100,3000,2025,\n")
    ok = nexus("ptn", "import", str(good))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "imported 1 programmes"
    bad = tmp_path / "bad.csv"
    bad.write_text("ptn,program,capacity,applicants,year,cutoff\nUI,Hukum,100,3000,2025,950\n")
    result = nexus("ptn", "import", str(bad))
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "baris 2: cutoff harus di antara 200 dan 900 (skala Nexus)",
        "error: 1 invalid rows; nothing imported",
    ]
