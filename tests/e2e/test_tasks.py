"""Assigned work in the browser: a guru gives their class a school-subject practice set, a
student finds it on the dashboard and does it in one click, and the guru reads the results
per student and per item (the CSV is the table on screen) and the "soal sulit" report.

Runs on the demo school (its maths teacher and a student of her first class; the demo's UTBK
answers fill the hard-items report) and, with NEXUS_E2E_EMPTY_SCHOOL=1, on a school that
starts from nothing: a guru and a new student are made with the CLI, the class assigned with
`nexus user assign-class`, and the hard-items report shows its empty state (one answer per
item is not enough to call an item hard)."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from nexus_app.services.demo import CLASSES, DEMO_TEACHERS, STUDENT_PASSWORD
from tests.e2e.conftest import EMPTY_SCHOOL, ROOT, login, screenshot

pytestmark = pytest.mark.e2e

SUBJECT = "TGS_E2E"
TOPIC = "Tugas Sel"
if EMPTY_SCHOOL:
    GURU, GURU_PASSWORD = "guru_tugas", "guru-tugas-2026"
    STUDENT, PASSWORD, CLASS, CLASS_SIZE = "siswa_tugas", "siswa-tugas-2026", "X TUGAS", 1
else:
    GURU, GURU_PASSWORD = DEMO_TEACHERS[0].username, DEMO_TEACHERS[0].password
    # In the first demo class, which the maths teacher teaches.
    STUDENT, PASSWORD, CLASS, CLASS_SIZE = "siswa13", STUDENT_PASSWORD, CLASSES[0], 15
QUESTIONS = (
    "topic,question,answer,difficulty,option_a,option_b,option_c\n"
    f"{TOPIC},Bagian sel yang menyimpan DNA adalah ...,A,mudah,inti sel,dinding sel,vakuola\n"
    f"{TOPIC},Organel penghasil energi adalah ...,A,sedang,mitokondria,ribosom,lisosom\n"
    f'{TOPIC},Jelaskan fungsi membran sel.,"Mengatur zat yang keluar masuk sel.",sulit,,,\n'
)


def _cli(data_dir: Path, *args: str, stdin: str | None = None) -> None:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["NEXUS_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "nexus"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _new_school_accounts(data_dir: Path) -> None:
    """What a new school does before a guru can give work: the accounts and the class."""
    for username, password, role, extra in (
        (GURU, GURU_PASSWORD, "guru", ()),
        (STUDENT, PASSWORD, "siswa", ("--class", CLASS)),
    ):
        _cli(
            data_dir,
            "user",
            "create",
            "--username",
            username,
            "--role",
            role,
            "--full-name",
            username.replace("_", " ").title(),
            *extra,
            "--password-stdin",
            stdin=password + "\n",
        )
    _cli(data_dir, "user", "assign-class", "--username", GURU, "--class", CLASS)


def _onboard(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))
    page.locator("#onboarding-ptn").fill("Universitas Indonesia (UI)")
    page.locator("#onboarding-target").fill("650")
    page.locator("#onboarding-exam-date").fill((date.today() + timedelta(days=120)).isoformat())
    page.locator("#onboarding-hours").fill("6")
    page.locator("#onboarding-submit").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))


def _table(page: Page, table_id: str) -> list[list[str]]:
    rows = page.locator(f"#{table_id} tbody tr")
    return [
        [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def test_guru_assigns_student_completes_guru_reads_results(
    page: Page, browser: Browser, server: str, server_data_dir: Path, tmp_path: Path
) -> None:
    _cli(
        server_data_dir,
        "subject",
        "create",
        "--grade",
        "11",
        "--name",
        "Biologi",
        "--code",
        SUBJECT,
    )
    questions = tmp_path / "tugas.csv"
    questions.write_text(QUESTIONS, encoding="utf-8")
    _cli(server_data_dir, "practice-questions", "import", str(questions), "--subject", SUBJECT)

    if EMPTY_SCHOOL:
        _new_school_accounts(server_data_dir)
    login(page, GURU, GURU_PASSWORD)
    expect(page.locator("#teacher-tasks-link")).to_be_visible()
    page.locator("#teacher-tasks-link").click()
    expect(page).to_have_url(re.compile(r"/teacher/tugas/?$"))
    page.locator("#task-new").click()
    page.locator("#task-class").select_option(CLASS)
    page.locator("#task-target").select_option(label=f"Biologi kelas 11 · {TOPIC} (3 soal)")
    page.locator("#task-count").fill("3")
    page.locator("#task-due").fill(f"{(date.today() + timedelta(days=7)).isoformat()}T15:00")
    page.locator("#task-title-input").fill("PR Sel minggu ini")
    screenshot(page, "tasks-assign")
    page.locator("#task-save").click()
    expect(page.locator("#task-message")).to_contain_text(f"seluruh kelas {CLASS}")
    row = page.locator("[id^='task-row-']", has_text="PR Sel minggu ini")
    expect(row).to_contain_text(re.compile(r"0/\d+ selesai"))
    expect(row).to_contain_text("WIB")

    student_context = browser.new_context(base_url=server, viewport={"width": 390, "height": 800})
    student = student_context.new_page()
    try:
        login(student, STUDENT, PASSWORD)
        if EMPTY_SCHOOL:
            _onboard(student)
        card = student.locator(".student-task", has_text="PR Sel minggu ini")
        expect(card).to_contain_text("Belum selesai")
        expect(card).to_contain_text("0/3 soal")
        screenshot(student, "tasks-dashboard")
        card.locator("[id^='task-start-']").click()
        expect(student).to_have_url(re.compile(r"/tugas\?id=\d+$"))
        expect(student.locator("#task-progress")).to_have_text("0 dari 3 soal dijawab")
        # First right, second wrong (B), the open question self-marked wrong.
        for position, letter in ((1, "A"), (2, "B")):
            expect(student.locator("#task-progress")).to_have_text(
                f"{position - 1} dari 3 soal dijawab"
            )
            student.locator(f"#task-choice-{letter}").click()
            student.locator("#task-submit").click()
            expect(student.locator("#task-verdict")).to_be_visible()
            student.locator("#task-next").click()
        expect(student.locator("#task-question")).to_contain_text("membran sel")
        student.locator("#task-reveal").click()
        expect(student.locator("#task-model-answer")).to_contain_text("keluar masuk sel")
        student.locator("#task-mark-wrong").click()
        expect(student.locator("#task-verdict")).to_contain_text("Belum tepat")
        student.locator("#task-next").click()
        expect(student.locator("#task-done")).to_contain_text("1 dari 3 benar")
        screenshot(student, "tasks-done")
        student.goto("/dashboard")
        expect(student.locator(".student-task", has_text="PR Sel minggu ini")).to_contain_text(
            "Selesai"
        )
    finally:
        student_context.close()

    page.reload()
    row = page.locator("[id^='task-row-']", has_text="PR Sel minggu ini")
    expect(row).to_contain_text(re.compile(r"1/\d+ selesai"))
    row.locator("[id^='task-open-']").click()
    students = page.locator("#task-students")
    expect(students).to_contain_text(STUDENT)
    done_row = page.locator("#task-students tbody tr", has_text=STUDENT)
    expect(done_row).to_contain_text("Selesai")
    expect(done_row).to_contain_text("33%")
    items = page.locator("#task-items tbody tr")
    expect(items).to_have_count(3)
    expect(page.locator("#task-items tbody tr", has_text="penghasil energi")).to_contain_text(
        "B: 1"
    )
    if EMPTY_SCHOOL:
        expect(page.locator("#hard-items-empty")).to_be_visible()
    else:
        expect(page.locator("#hard-items tbody tr").first).to_be_visible()
    screenshot(page, "tasks-results")

    # The CSV holds exactly what the table shows.
    with page.expect_download() as download_info:
        page.locator("#task-export").click()
    exported = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert exported[0][:3] == ["Siswa", "Nama", "Status"]
    assert exported[1:] == _table(page, "task-students")


TRYOUT_BLUEPRINT = "Tryout Tugas E2E"
TRYOUT_STUDENT = "siswa27"  # in the demo's second class, which the maths teacher teaches


@pytest.mark.skipif(EMPTY_SCHOOL, reason="a tryout needs the demo's reviewed UTBK items")
def test_guru_assigns_a_tryout_student_starts_it_from_the_card(
    page: Page, browser: Browser, server: str, server_data_dir: Path, tmp_path: Path
) -> None:
    """A tryout as a task, given to one student: the card starts the tryout in one click,
    finishing it completes the task, and the guru's results show its total score."""
    blueprint = tmp_path / "tugas-tryout.csv"
    blueprint.write_text("order,section,items,minutes\n1,PU,2,3\n2,PK,2,3\n", encoding="utf-8")
    _cli(server_data_dir, "blueprint", "import", str(blueprint), "--name", TRYOUT_BLUEPRINT)

    login(page, GURU, GURU_PASSWORD)
    expect(page.locator("#teacher-tasks-link")).to_be_visible()
    page.locator("#teacher-tasks-link").click()
    expect(page).to_have_url(re.compile(r"/teacher/tugas/?$"))
    page.locator("#task-new").click()
    page.locator("#task-class").select_option(CLASSES[1])
    page.locator("#task-target").select_option(
        label=f"Tryout · {TRYOUT_BLUEPRINT} (4 soal, 6 menit)"
    )
    expect(page.locator("#task-tryout-note")).to_be_visible()
    expect(page.locator("#task-count")).to_have_count(0)
    page.locator("#task-due").fill(f"{(date.today() + timedelta(days=7)).isoformat()}T15:00")
    page.locator("#task-title-input").fill("Tryout mini minggu ini")
    page.locator(f"#task-student-{TRYOUT_STUDENT}").click()
    screenshot(page, "tasks-assign-tryout")
    page.locator("#task-save").click()
    expect(page.locator("#task-message")).to_contain_text("1 siswa")
    row = page.locator("[id^='task-row-']", has_text="Tryout mini minggu ini")
    expect(row).to_contain_text(f"Tryout · {TRYOUT_BLUEPRINT}")
    expect(row).to_contain_text("0/1 selesai")

    student_context = browser.new_context(base_url=server, viewport={"width": 390, "height": 800})
    student = student_context.new_page()
    try:
        login(student, TRYOUT_STUDENT, STUDENT_PASSWORD)
        card = student.locator(".student-task", has_text="Tryout mini minggu ini")
        expect(card).to_contain_text("Belum selesai")
        expect(card).to_contain_text("1 tryout")
        screenshot(student, "tasks-dashboard-tryout")
        card.locator("[id^='task-start-']").click()
        expect(student).to_have_url(re.compile(r"/tryout\?tugas=\d+$"))
        # One click started the sitting: the first subtest is running.
        expect(student.locator("#tryout-section")).to_contain_text("Subtes 1 dari 2")
        for position in (1, 2):
            expect(student.locator("#tryout-section")).to_contain_text(f"Subtes {position} dari 2")
            student.locator("#choice-B").click()
            student.locator("#tryout-end-section").click()
            student.locator("#tryout-confirm").click()
        expect(student.locator("#tryout-total")).to_have_text(re.compile(r"^\d{3}$"))
        total = student.locator("#tryout-total").inner_text()
        # A reload of the task's link shows the result; it starts no second sitting.
        student.reload()
        expect(student.locator("#tryout-total")).to_have_text(total)
        student.goto("/dashboard")
        card = student.locator(".student-task", has_text="Tryout mini minggu ini")
        expect(card).to_contain_text("Selesai")
        expect(card).to_contain_text(f"Skor {total}")
    finally:
        student_context.close()

    page.reload()
    row = page.locator("[id^='task-row-']", has_text="Tryout mini minggu ini")
    expect(row).to_contain_text("1/1 selesai")
    row.locator("[id^='task-open-']").click()
    done_row = page.locator("#task-students tbody tr", has_text=TRYOUT_STUDENT)
    expect(done_row).to_contain_text("Selesai")
    expect(done_row).to_contain_text(total)
    screenshot(page, "tasks-results-tryout")
    with page.expect_download() as download_info:
        page.locator("#task-export").click()
    exported = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert exported[1:] == _table(page, "task-students")
    assert exported[1][5] == total
