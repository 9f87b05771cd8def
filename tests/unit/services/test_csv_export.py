"""CSV downloads open safely in a spreadsheet: text that looks like a formula stays text."""

import csv
import io

from nexus_app.services.teacher import spreadsheet_text, to_csv


def test_formula_like_text_is_kept_as_text_and_numbers_pass() -> None:
    text = to_csv(
        ["nama", "nilai"],
        [['=HYPERLINK("http://x")', -0.5], ["+62 812", 3], ["@SUM(A1)", 0], ["Budi", 1.5]],
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["nama", "nilai"]
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'+62 812", "'@SUM(A1)", "Budi"]
    assert [r[1] for r in rows[1:]] == ["-0.5", "3", "0", "1.5"]
    assert spreadsheet_text("-budi") == "'-budi" and spreadsheet_text(-2) == -2


def test_a_leading_tab_or_carriage_return_is_neutralised_too() -> None:
    assert spreadsheet_text("\t=cmd|' /C calc'!A0") == "'\t=cmd|' /C calc'!A0"
    assert spreadsheet_text("\r=1+1") == "'\r=1+1"
    rows = list(csv.reader(io.StringIO(to_csv(["nama"], [["\t@SUM(A1)"], ["\rBudi"]]))))
    assert [r[0] for r in rows[1:]] == ["'\t@SUM(A1)", "'\rBudi"]
    assert spreadsheet_text(" Budi") == " Budi" and spreadsheet_text("Budi\t") == "Budi\t"
