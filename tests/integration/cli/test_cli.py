"""The `nexus` command: help for every sub-command, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[3]
NEXUS = str(ROOT / ".venv" / "bin" / "nexus")


def nexus(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NEXUS, *args], input=stdin, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["db", "upgrade"],
        ["demo", "seed"],
        ["user", "create"],
        ["user", "assign-class"],
        ["user", "unassign-class"],
        ["subject", "create"],
        ["bank", "import"],
        ["serve"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = nexus(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_user_and_subject_create(engine: Engine) -> None:
    ok = nexus(
        "user",
        "create",
        "--username",
        "guru_baru",
        "--role",
        "guru",
        "--full-name",
        "Bu Ani",
        "--password-stdin",
        stdin="rahasia-guru\n",
    )
    assert ok.returncode == 0, ok.stderr
    again = nexus(
        "user",
        "create",
        "--username",
        "guru_baru",
        "--role",
        "guru",
        "--password-stdin",
        stdin="rahasia-guru\n",
    )
    assert again.returncode == 1
    assert again.stderr.strip().count("\n") == 0
    assert "sudah dipakai" in again.stderr
    assert (
        nexus(
            "subject", "create", "--grade", "11", "--name", "Fisika", "--code", "FIS_11"
        ).returncode
        == 0
    )
    bad = nexus("subject", "create", "--grade", "13", "--name", "Fisika", "--code", "FIS_13")
    assert bad.returncode == 1 and bad.stderr.startswith("error: Kelas harus")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM subjects")).scalar() == 1
        role = conn.execute(sa.text("SELECT role FROM users WHERE username='guru_baru'"))
        assert role.scalar() == "guru"


def test_password_must_come_from_stdin(engine: Engine) -> None:
    result = nexus("user", "create", "--username", "x1", "--role", "siswa")
    assert result.returncode != 0 and "password-stdin" in result.stderr


def test_bank_import_reports_every_bad_row_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    header = (
        "section,sub_type,text,option_a,option_b,option_c,option_d,option_e,"
        "correct_answer,explanation,strategy_tip,related_concept,discrimination,"
        "difficulty,guessing"
    )
    good = "PU,induktif,Soal baik?,1,2,3,4,5,B,karena,tip,konsep,1.2,0.1,0.2"
    rows = [
        header,
        good,
        "PU,induktif,Jawaban salah?,1,2,3,4,5,F,,,,1,0,0.2",
        "XX,induktif,Subtes salah?,1,2,3,4,5,A,,,,1,0,0.2",
        "PK,aljabar,Opsi kembar?,1,1,3,4,5,A,,,,1,0,0.2",
        "PK,aljabar,Parameter aneh?,1,2,3,4,5,A,,,,abc,0,0.2",
        "PK,aljabar,,1,2,3,4,5,A,,,,1,0,0.2",
    ]
    path = tmp_path / "bank.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = nexus("bank", "import", str(path), "--bank", "Uji")
    assert result.returncode == 1
    for line in (3, 4, 5, 6, 7):
        assert f"baris {line}:" in result.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM questions")).scalar() == 0
    skipped = nexus("bank", "import", str(path), "--bank", "Uji", "--skip-invalid")
    assert skipped.returncode == 0, skipped.stderr
    assert "imported 1 questions" in skipped.stdout and "skipped 5" in skipped.stdout


def test_bank_import_json_with_line_numbers(engine: Engine, tmp_path: Path) -> None:
    items = [
        {
            "section": "PK",
            "text": "1+1?",
            "option_a": "1",
            "option_b": "2",
            "option_c": "3",
            "option_d": "4",
            "option_e": "5",
            "correct_answer": "B",
        },
        {
            "section": "PK",
            "text": "2+2?",
            "option_a": "1",
            "option_b": "2",
            "option_c": "3",
            "option_d": "4",
            "option_e": "5",
            "correct_answer": "Z",
        },
    ]
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    result = nexus("bank", "import", str(path), "--bank", "Uji JSON")
    assert result.returncode == 1
    assert "baris 12: correct_answer harus A-E" in result.stderr


def test_bank_import_of_a_missing_or_foreign_file(engine: Engine, tmp_path: Path) -> None:
    missing = nexus("bank", "import", str(tmp_path / "nope.csv"), "--bank", "B")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    pdf = tmp_path / "bank.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    wrong = nexus("bank", "import", str(pdf), "--bank", "B")
    assert wrong.returncode == 1 and "tidak didukung" in wrong.stderr


def test_demo_seed_is_idempotent(engine: Engine) -> None:
    first = nexus("demo", "seed")
    assert first.returncode == 0, first.stderr
    assert "admin" in first.stdout and "siswa01" in first.stdout
    second = nexus("demo", "seed")
    assert second.returncode == 0
    assert (
        "0 users, 0 subjects, 0 questions, 0 practice answers, 0 school practice questions, "
        "0 book packages added" in second.stdout
    )
    assert "16 school practice questions" in first.stdout
    assert "2 book packages added" in first.stdout
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT role, COUNT(*) FROM users GROUP BY role"))
        assert dict(count.all()) == {"admin": 1, "guru": 2, "siswa": 30}
        assert conn.execute(sa.text("SELECT COUNT(*) FROM questions")).scalar() >= 90
        classes = conn.execute(
            sa.text("SELECT class_name, COUNT(*) FROM users WHERE role='siswa' GROUP BY class_name")
        )
        assert dict(classes.all()) == {"XII IPA 1": 15, "XII IPA 2": 15}


def test_db_upgrade_on_an_empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path / "fresh"))
    result = nexus("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh" / "nexus.db").exists()


def test_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = nexus("db", "upgrade")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_irt_calibrate_without_answers_is_one_line(engine: Engine) -> None:
    assert nexus("demo", "seed").returncode == 0
    result = nexus("irt", "calibrate", "--bank", "Bank Demo UTBK")
    assert result.returncode == 1
    assert "Belum cukup jawaban" in result.stderr and result.stderr.count("\n") == 1


def _one_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ") and result.stderr.strip().count("\n") == 0
    assert text in result.stderr


def test_user_assign_and_unassign_class(engine: Engine) -> None:
    from nexus_app.services import auth

    auth.create_user(
        username="ani", password="kata-sandi-1", role="siswa", class_name="XII IPA 1", grade=12
    )
    auth.create_user(username="bu_sri", password="kata-sandi-1", role="guru")

    ok = nexus("user", "assign-class", "--username", "bu_sri", "--class", "xii ipa 1")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "bu_sri: 'XII IPA 1' assigned; classes: XII IPA 1"
    again = nexus("user", "assign-class", "--username", "bu_sri", "--class", "XII IPA 1")
    assert again.returncode == 0 and "already assigned" in again.stdout

    _one_error(
        nexus("user", "assign-class", "--username", "nobody", "--class", "XII IPA 1"),
        "Pengguna 'nobody' tidak ditemukan.",
    )
    _one_error(
        nexus("user", "assign-class", "--username", "ani", "--class", "XII IPA 1"),
        "ani bukan guru",
    )
    _one_error(
        nexus("user", "assign-class", "--username", "bu_sri", "--class", "XII IPA 9"),
        "Tidak ada siswa di kelas 'XII IPA 9'",
    )
    empty = nexus(
        "user", "assign-class", "--username", "bu_sri", "--class", "XII IPA 9", "--allow-empty"
    )
    assert empty.returncode == 0, empty.stderr
    assert "(no students yet)" in empty.stdout

    gone = nexus("user", "unassign-class", "--username", "bu_sri", "--class", "XII IPA 9")
    assert gone.returncode == 0, gone.stderr
    assert gone.stdout.strip() == "bu_sri: 'XII IPA 9' removed; classes: XII IPA 1"
    _one_error(
        nexus("user", "unassign-class", "--username", "bu_sri", "--class", "XII IPA 9"),
        "tidak mengajar kelas 'XII IPA 9'",
    )
    _one_error(
        nexus("user", "unassign-class", "--username", "ani", "--class", "XII IPA 1"),
        "bukan guru",
    )
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT class_name FROM class_assignments")).scalars().all()
    assert rows == ["XII IPA 1"]
