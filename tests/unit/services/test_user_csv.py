"""The user CSV reader and row rules, without a database."""

from __future__ import annotations

import csv
import io

import pytest

from nexus_app.services import users
from nexus_app.services.errors import InvalidInput


def _rows(text: str) -> list[users.CsvRow]:
    return users.read_user_csv("u.csv", text.encode("utf-8"))


def test_grades_accept_numbers_and_roman_numerals() -> None:
    assert [users.parse_grade(v) for v in ("10", " 11 ", 12, "x", "XI", "xii")] == [
        10,
        11,
        12,
        10,
        11,
        12,
    ]
    assert users.parse_grade("") is None and users.parse_grade(None) is None
    for bad in ("9", "13", "IX", "dua belas", "12.5"):
        with pytest.raises(InvalidInput, match="10, 11 atau 12"):
            users.parse_grade(bad)


def test_generated_passwords_are_long_unambiguous_and_different() -> None:
    passwords = {users.generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 14 and password.count("-") == 2
        assert not set(password) & set("0O1lI")


def test_line_numbers_follow_the_file_even_with_multiline_cells() -> None:
    rows = _rows(
        "username,full_name,role\n"
        'a1,"Nama\ndua baris",guru\n'  # lines 2-3
        "\n"  # line 4 blank
        "a2,B,guru\n"  # line 5
    )
    assert [r.line for r in rows] == [2, 5]
    assert rows[0].values["full_name"] == "Nama\ndua baris"


def test_short_rows_read_as_empty_and_long_rows_are_flagged() -> None:
    rows = _rows("username,full_name,role,email,password\na1,A,guru\na2,A,guru,,,extra\n")
    assert rows[0].values == {
        "username": "a1",
        "full_name": "A",
        "role": "guru",
        "email": "",
        "password": "",
    }
    assert not rows[0].problem
    valid, errors = users.validate_csv_rows(rows)
    assert [u.username for _, u in valid] == ["a1"]
    assert errors[0].line == 3 and "lebih banyak" in errors[0].reason


def test_header_rules() -> None:
    with pytest.raises(InvalidInput, match="dua kali"):
        _rows("username,full_name,role,role\na,b,guru,guru\n")
    # Header names are trimmed and case-insensitive.
    assert _rows(" Username ,FULL_NAME,Role\na1,A,guru\n")[0].values["username"] == "a1"
    with pytest.raises(InvalidInput, match="Kolom wajib tidak ada"):
        _rows("\n\nnama,peran\n")
    # Blank lines before the header are skipped, and still counted.
    assert _rows("\n\nusername,full_name,role\na1,A,guru\n")[0].line == 4


def test_too_many_rows_is_refused() -> None:
    body = "".join(f"u{i},N,guru\n" for i in range(users.MAX_IMPORT_ROWS + 1))
    with pytest.raises(InvalidInput, match="Terlalu banyak baris"):
        _rows("username,full_name,role\n" + body)


def test_duplicates_in_the_file_are_case_insensitive() -> None:
    rows = _rows(
        "username,full_name,role,email\n"
        "Budi,A,guru,b@x.id\n"
        "budi,B,guru,\n"
        "citra,C,guru,B@X.ID\n"
        "dewi,D,guru,\n"
    )
    valid, errors = users.validate_csv_rows(rows)
    assert [u.username for _, u in valid] == ["Budi", "dewi"]
    assert [(e.line, "baris 2" in e.reason) for e in errors] == [(3, True), (4, True)]
    assert "email" in errors[1].reason


def test_credentials_csv_keeps_cells_as_text_in_spreadsheets() -> None:
    cred = users.NewCredential(
        username="a1",
        full_name='=HYPERLINK("http://x")',
        role="siswa",
        class_name="X 1",
        password="abcd-efgh-jkmn",
        generated=True,
    )
    text = users.credentials_csv([cred])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["username", "full_name", "role", "class_name", "password"]
    assert rows[1] == ["a1", '\'=HYPERLINK("http://x")', "siswa", "X 1", "abcd-efgh-jkmn"]
    # What the importer reads back is the same header.
    assert set(rows[0]) <= set(users.CSV_COLUMNS)


def test_a_guru_rows_classes_cell_is_split_on_semicolons() -> None:
    assert users.parse_classes(" XII IPA 1 ;xii  ipa 2;; XII IPA 1 ") == (
        "XII IPA 1",
        "xii ipa 2",
    )
    assert users.parse_classes("") == () and users.parse_classes(None) == ()
    assert users.parse_classes(["X-1", " X-2 "]) == ("X-1", "X-2")
    with pytest.raises(InvalidInput, match="Nama kelas maksimal 50"):
        users.parse_classes("K" * 51)
    with pytest.raises(InvalidInput, match="paling banyak mengajar 40"):
        users.parse_classes(";".join(f"K{i}" for i in range(41)))
    guru = users.clean_new_user(
        username="guru1", full_name="G", role="guru", classes="X-1;X-2", password="x" * 8
    )
    assert guru.classes == ("X-1", "X-2")
    with pytest.raises(InvalidInput, match="hanya untuk guru"):
        users.clean_new_user(
            username="s1", full_name="S", role="siswa", class_name="X-1", grade=10, classes="X-2"
        )
    # The old refusal now says where a teacher's classes go.
    with pytest.raises(InvalidInput, match=r"kolom classes.*Kelola"):
        users.clean_new_user(username="g", full_name="G", role="guru", class_name="X-1")
