"""An admin manages subjects (the delete dialog explains the cascade) and uploads a book,
watching the upload and ingestion progress until the new package version is listed."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e

ADMIN = ("admin", "nexus-admin-2026")
BOOK = """# Biologi Sel

<!-- halaman 1 -->
## Bab 1 Sel

### Membran sel
Membran sel mengatur keluar masuknya zat ke dalam sel. Membran tersusun atas lapisan
fosfolipid ganda dengan protein yang tertanam di dalamnya.

<!-- halaman 2 -->
## Bab 2 Organel

### Mitokondria
Mitokondria menghasilkan energi melalui respirasi sel, sehingga disebut pusat tenaga sel.
"""


def test_subject_create_and_the_cascade_dialog(page: Page) -> None:
    login(page, *ADMIN)
    expect(page.locator("#admin-nav")).to_be_visible()
    page.goto("/admin/subjects")
    expect(page.locator("#subject-row-MAT_10")).to_be_visible()

    page.locator("#subject-form-grade").select_option("11")
    page.locator("#subject-form-name").fill("Biologi")
    page.locator("#subject-form-code").fill("bio_11")
    page.locator("#subject-form-save").click()
    expect(page.locator("#subjects-message")).to_contain_text("BIO_11")
    row = page.locator("#subject-row-BIO_11")
    expect(row).to_contain_text("Biologi")
    expect(row).to_contain_text("11")

    page.locator("#subject-form-code").fill("BIO_11")
    page.locator("#subject-form-name").fill("Biologi Lagi")
    page.locator("#subject-form-save").click()
    expect(page.locator("#subjects-error")).to_contain_text("sudah dipakai")

    # MAT_10 has the demo maths book (and its package): the dialog lists the cascade.
    page.locator("#subject-delete-MAT_10").click()
    dialog = page.locator("#subject-delete-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#cascade-summary")).to_be_visible()
    expect(dialog.locator("#cascade-books")).to_have_text("1")
    expect(dialog.locator("#cascade-package_versions")).to_have_text("1")
    expect(dialog).to_contain_text("dihapus dari disk")
    expect(page.locator("#subject-delete-confirm")).to_contain_text("Hapus beserta data ini")
    page.wait_for_timeout(300)
    screenshot(page, "admin-subjects")
    page.locator("#subject-delete-cancel").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#subject-row-MAT_10")).to_be_visible()


def test_an_empty_subject_is_deleted_after_a_simple_confirm(page: Page) -> None:
    login(page, *ADMIN)
    expect(page.locator("#admin-nav")).to_be_visible()
    page.goto("/admin/subjects")
    page.locator("#subject-form-grade").select_option("12")
    page.locator("#subject-form-name").fill("Sejarah")
    page.locator("#subject-form-code").fill("SEJ_12")
    page.locator("#subject-form-save").click()
    expect(page.locator("#subject-row-SEJ_12")).to_be_visible()
    page.locator("#subject-delete-SEJ_12").click()
    expect(page.locator("#cascade-none")).to_be_visible()
    page.locator("#subject-delete-confirm").click()
    expect(page.locator("#subjects-message")).to_contain_text("dihapus")
    expect(page.locator("#subject-row-SEJ_12")).to_have_count(0)


def test_upload_a_book_and_see_its_package_version(page: Page, tmp_path: Path) -> None:
    book = tmp_path / "biologi-sel.md"
    book.write_text(BOOK, encoding="utf-8")
    login(page, *ADMIN)
    expect(page.locator("#admin-nav")).to_be_visible()
    page.goto("/admin/books")
    expect(page.locator(".book-card").first).to_be_visible()  # the demo books

    page.locator("#book-subject").select_option("INF_11")
    page.locator("#book-title").fill("Biologi Sel")
    page.locator("#book-upload-card input[type=file]").set_input_files(str(book))
    expect(page.locator("#book-upload-card")).to_contain_text("biologi-sel.md")
    page.locator("#book-upload-submit").click()
    expect(page.locator("#upload-progress")).to_be_visible()
    expect(page.locator("#books-message")).to_contain_text("siap: versi 1.0.0", timeout=180_000)
    expect(page.locator("#upload-progress-percent")).to_have_text("100%")
    expect(page.locator("#ingest-progress-percent")).to_have_text("100%")

    card = page.locator(".book-card").filter(has_text="Biologi Sel")
    expect(card).to_contain_text("INF_11")
    version = card.locator(".book-version")
    expect(version).to_have_count(1)
    expect(version).to_contain_text("1.0.0")
    expect(version).to_contain_text("Aktif")
    # Tall enough to show both progress bars and the new book's card in one picture.
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.wait_for_timeout(300)
    screenshot(page, "admin-books")

    # Export the package: the browser receives a .vkp file.
    with page.expect_download() as download:
        version.get_by_text("Ekspor .vkp").click()
    assert download.value.suggested_filename == "inf-11-biologi-sel-1.0.0.vkp"


def test_a_wrong_file_type_is_refused_in_the_browser(page: Page, tmp_path: Path) -> None:
    wrong = tmp_path / "catatan.docx"
    wrong.write_bytes(b"PK\x03\x04bukan buku")
    login(page, *ADMIN)
    expect(page.locator("#admin-nav")).to_be_visible()
    page.goto("/admin/books")
    page.locator("#book-upload-card input[type=file]").set_input_files(str(wrong))
    expect(page.locator("#books-error")).to_contain_text("Format buku tidak didukung")
