"""An admin backs up, downloads, is refused a non-backup upload, and restores with a typed
confirmation; students never reach the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import DEMO_ADMIN, STUDENT_PASSWORD
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e


def _admin_on_backups(page: Page) -> None:
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page.locator("#nav-admin")).to_be_visible()
    page.goto("/admin/backups")
    expect(page.locator("#backup-create")).to_be_visible()


def test_backup_download_and_restore(page: Page, tmp_path: Path) -> None:
    _admin_on_backups(page)
    page.locator("#backup-label").fill("uji-e2e")
    page.locator("#backup-create").click()
    expect(page.locator("#backup-message")).to_contain_text("berhasil dibuat")
    row = page.locator(".backup-row").filter(has_text="uji-e2e").first
    expect(row).to_be_visible()
    name = row.locator("code").first.inner_text()

    with page.expect_download() as waiting:
        row.get_by_role("button", name="Unduh").click()
    download = waiting.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.name == name and saved.stat().st_size > 1000

    row.locator(".backup-restore").click()
    dialog = page.locator("#restore-dialog")
    expect(dialog).to_be_visible()
    submit = page.locator("#restore-submit")
    page.locator("#restore-confirmation").fill("ya")
    expect(submit).to_be_disabled()
    page.locator("#restore-confirmation").fill(name)
    expect(submit).to_be_enabled()
    screenshot(page, "admin-backups-restore")
    submit.click()
    expect(page.locator("#backup-message")).to_contain_text("dipulihkan", timeout=60_000)
    expect(page.locator(".backup-row").filter(has_text="pre-restore").first).to_be_visible()
    screenshot(page, "admin-backups")


def test_a_file_that_is_not_a_backup_is_refused(page: Page, tmp_path: Path) -> None:
    _admin_on_backups(page)
    bogus = tmp_path / "nexus-20260101-000000.sqlite.gz"
    bogus.write_bytes(b"bukan cadangan")
    page.locator("#backup-upload input[type=file]").set_input_files(str(bogus))
    page.locator("#backup-upload-submit").click()
    expect(page.locator("#backup-error")).to_contain_text("bukan cadangan Nexus")
    # Not listed (a count taken before the list had loaded raced the page's load).
    expect(page.locator(".backup-row").filter(has_text="nexus-20260101-000000")).to_have_count(0)


def test_students_cannot_open_admin_pages(page: Page) -> None:
    login(page, "siswa02", STUDENT_PASSWORD)
    expect(page.locator("#nav-practice")).to_be_visible()
    for route in ("/admin/backups", "/admin/users", "/admin/banks"):
        page.goto(route)
        expect(page.locator("#access-denied")).to_be_visible()
        expect(page.locator("#admin-nav")).to_have_count(0)
