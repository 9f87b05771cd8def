"""A guru manages a school subject's practice questions on /admin/practice-questions: a CSV
import with a bad line (nothing imported, the line named), the import without it, one
question created, edited and deleted, and the template download."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import DEMO_TEACHERS
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e

GURU = DEMO_TEACHERS[0]
SUBJECT_LABEL = "Matematika (kelas 10, MAT_10)"


def _csv(topic: str) -> str:
    return (
        "topic,question,answer,difficulty,option_a,option_b,option_c,option_d,option_e\n"
        f"{topic},Berapakah 2 + 3?,B,mudah,4,5,6,,\n"
        f"{topic},Kunci di luar pilihan,D,,satu,dua,,,\n"  # line 3: D is not an option
        f"{topic},Apa itu bilangan prima?,Faktornya hanya 1 dan dirinya.,sedang,,,,,\n"
    )


def test_a_guru_imports_creates_edits_and_deletes(page: Page, tmp_path: Path) -> None:
    topic = f"Topik E2E {uuid.uuid4().hex[:6]}"
    login(page, GURU.username, GURU.password)
    expect(page.locator("#nav-practice-questions")).to_be_visible()
    page.locator("#nav-practice-questions").click()
    expect(page.locator("#pq-subject")).to_be_visible()
    page.locator("#pq-subject").select_option(label=SUBJECT_LABEL)

    upload = page.locator("#practice-upload input[type=file]")
    files = [{"name": "latihan.csv", "mimeType": "text/csv", "buffer": _csv(topic).encode()}]
    upload.set_input_files(files=files)
    expect(page.locator("#pq-import-file-name")).to_contain_text("latihan.csv")
    page.locator("#pq-import-submit").click()
    expect(page.locator("#pq-import-report")).to_contain_text("baris 3")
    expect(page.locator("#pq-import-error")).to_contain_text("tidak ada soal yang diimpor")
    page.locator("#pq-import-skip").click()
    upload.set_input_files(files=files)
    page.locator("#pq-import-submit").click()
    expect(page.locator("#pq-import-success")).to_contain_text("2 soal latihan diimpor")

    page.locator("#pq-topic").select_option(topic)
    expect(page.locator(".pq-row")).to_have_count(2)
    expect(page.locator("#pq-table")).to_contain_text("Pilihan ganda")
    expect(page.locator("#pq-table")).to_contain_text("Isian")

    # A new multiple-choice question in the filtered topic.
    page.locator("#pq-new").click()
    expect(page.locator("#pq-f-topic")).to_have_value(topic)
    page.locator("#pq-f-question").fill("Berapakah 3 x 4?")
    page.locator("#pq-f-option-A").fill("7")
    page.locator("#pq-f-option-B").fill("12")
    page.locator("#pq-f-answer").fill("C")
    page.locator("#pq-save").click()
    expect(page.locator("#pq-editor-error")).to_contain_text("huruf A, B")
    page.locator("#pq-f-answer").fill("B")
    page.locator("#pq-f-difficulty").select_option("easy")
    page.locator("#pq-save").click()
    expect(page.locator("#pq-success")).to_contain_text("ditambahkan")
    expect(page.locator(".pq-row")).to_have_count(3)
    screenshot(page, "admin-practice-questions")

    # Edit it, then delete it.
    row = page.locator(".pq-row").filter(has_text="Berapakah 3 x 4?")
    row.locator("[id^='pq-edit-']").click()
    expect(page.locator("#pq-f-question")).to_have_value("Berapakah 3 x 4?")
    page.locator("#pq-f-question").fill("Berapakah 3 x 4 (hasil kali)?")
    page.locator("#pq-save").click()
    expect(page.locator("#pq-success")).to_contain_text("disimpan")
    row = page.locator(".pq-row").filter(has_text="hasil kali")
    expect(row).to_have_count(1)
    row.locator("[id^='pq-delete-']").click()
    page.locator("[id^='pq-confirm-delete-']").click()
    expect(page.locator("#pq-success")).to_contain_text("dihapus")
    expect(page.locator(".pq-row")).to_have_count(2)

    with page.expect_download() as download_info:
        page.locator("#pq-import-download-template").click()
    download = download_info.value
    assert download.suggested_filename == "templat-impor-soal-latihan.csv"
    lines = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("topic,question,answer,difficulty")
