"""An admin manages accounts on /admin/users: search, create, CSV import with a bad row (then
skipping it), and deactivating a student who is logged in elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from nexus_app.services.demo import DEMO_ADMIN
from tests.e2e.conftest import login, screenshot

pytestmark = pytest.mark.e2e

CSV_WITH_A_BAD_ROW = (
    "username,full_name,role,class_name,grade,email,password\n"
    "impor01,Rina Kartika,siswa,XI IPA 2,11,,\n"
    "impor02,Joko Susilo,siswa,XI IPA 2,13,,\n"  # line 3: no such grade
    "impor03,Ibu Maya Sari,guru,,,maya@sekolah.sch.id,guru-maya-2026\n"
)


def _open_users(page: Page) -> None:
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.locator("#admin-nav-users").click()
    expect(page.locator("#users-table")).to_be_visible()


def _search(page: Page, text: str) -> None:
    page.locator("#users-search").fill(text)
    page.locator("#users-search-submit").click()


def _total(page: Page) -> int:
    text = page.locator("#users-total").inner_text()
    return int(text.split()[0])


def _create(page: Page, username: str, full_name: str, password: str = "") -> None:
    page.locator("#new-role").select_option("siswa")
    page.locator("#new-username").fill(username)
    page.locator("#new-full-name").fill(full_name)
    page.locator("#new-class").fill("XII IPA 1")
    page.locator("#new-grade").select_option("12")
    page.locator("#new-password").fill(password)
    page.locator("#new-submit").click()


def test_search_page_and_create_a_student(page: Page) -> None:
    _open_users(page)
    # The demo school has 33 accounts (other browser tests may have added some): 25 a page.
    expect(page.locator("#users-total")).to_have_text(re.compile(r"^\d+ pengguna$"))
    before = _total(page)
    assert before >= 33
    expect(page.locator("#users-page")).to_have_text(re.compile(r"^Halaman 1 dari [2-9]"))
    expect(page.locator(".user-row")).to_have_count(25)
    page.locator("#users-next").click()
    expect(page.locator("#users-page")).to_have_text(re.compile(r"^Halaman 2 dari"))

    _search(page, "siswa03")
    expect(page.locator("#users-total")).to_have_text("1 pengguna")
    expect(page.locator("#user-row-siswa03")).to_contain_text("Siswa")
    _search(page, "Ibu Siti")  # the maths teacher, by full name
    expect(page.locator("#user-row-guru_matematika")).to_be_visible()
    page.locator("#users-clear-filters").click()
    expect(page.locator("#users-search")).to_have_value("")
    page.locator("#users-role-filter").select_option("guru")
    expect(page.locator("#user-row-guru_bahasa")).to_be_visible()
    expect(page.locator(".user-row").filter(has_text="Siswa")).to_have_count(0)
    page.locator("#users-role-filter").select_option("")

    _create(page, "siswa_nadia", "Nadia Putri")
    expect(page.locator("#new-message")).to_contain_text("siswa_nadia")
    expect(page.locator("#new-password-result")).to_have_text(re.compile(r"^\S{4}-\S{4}-\S{4}$"))
    expect(page.locator("#users-total")).to_have_text(f"{before + 1} pengguna")
    page.locator("#new-password-result-dismiss").click()
    expect(page.locator("#new-password-result")).to_have_count(0)

    # The same username again (in any case) is refused with a clear message.
    _create(page, "Siswa_Nadia", "Nadia Lain", "kata-sandi-nadia")
    expect(page.locator("#new-error")).to_contain_text("sudah dipakai")


def test_import_reports_the_bad_line_then_skips_it(page: Page, tmp_path: Path) -> None:
    _open_users(page)
    # The template is on the page (docs/ is not reachable from a browser).
    with page.expect_download() as template_info:
        page.locator("#import-download-template").click()
    template = template_info.value
    assert template.suggested_filename == "templat-impor-pengguna.csv"
    lines = Path(template.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "username,full_name,role,class_name,grade,email,password,classes"
    assert lines[2].endswith(",guru,,,,,XII IPA 1;XII IPA 2")
    csv_file = tmp_path / "kelas-xi.csv"
    csv_file.write_text(CSV_WITH_A_BAD_ROW, encoding="utf-8")
    page.locator("#users-csv input[type='file']").set_input_files(str(csv_file))
    expect(page.locator("#import-selected-file")).to_contain_text("kelas-xi.csv")
    page.locator("#import-submit").click()
    expect(page.locator("#import-result")).to_contain_text("Tidak ada yang diimpor")
    expect(page.locator("#import-errors")).to_contain_text("Baris 3")
    expect(page.locator("#import-errors")).to_contain_text("13")
    _search(page, "impor")
    expect(page.locator("#users-empty")).to_be_visible()

    page.locator("#import-skip-invalid").click()
    expect(page.locator("#import-skip-invalid")).to_have_attribute("aria-checked", "true")
    page.locator("#import-submit").click()
    expect(page.locator("#import-result")).to_contain_text("2 pengguna diimpor")
    expect(page.locator("#import-errors")).to_contain_text("Baris 3")
    # Only impor01's password was generated; impor03's came from the file.
    credentials = page.locator("#import-credentials")
    expect(credentials).to_contain_text("impor01")
    expect(credentials).not_to_contain_text("impor03")
    with page.expect_download() as download_info:
        page.locator("#import-download-credentials").click()
    download = download_info.value
    assert download.suggested_filename == "akun-baru-nexus.csv"
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert content.splitlines()[0] == "username,full_name,role,class_name,password"
    assert "impor01,Rina Kartika,siswa,XI IPA 2," in content
    _search(page, "impor")
    expect(page.locator("#users-total")).to_have_text("2 pengguna")
    page.wait_for_timeout(300)
    screenshot(page, "admin-users")


def test_deactivating_a_student_logs_them_out(page: Page, browser: Browser, server: str) -> None:
    _open_users(page)
    _create(page, "siswa_bima", "Bima Saputra", "sandi-awal-bima")
    expect(page.locator("#new-message")).to_contain_text("siswa_bima")

    student_context = browser.new_context(base_url=server, locale="id-ID")
    student = student_context.new_page()
    try:
        # A brand-new student lands on onboarding: logged in.
        login(student, "siswa_bima", "sandi-awal-bima")
        expect(student).to_have_url(re.compile(r"/onboarding/?$"))

        _search(page, "siswa_bima")
        page.locator("#user-manage-siswa_bima").click()
        expect(page.locator("#user-panel")).to_contain_text("Bima Saputra")
        page.locator("#panel-deactivate").click()
        page.locator("#panel-deactivate-confirm").click()
        expect(page.locator("#panel-message")).to_contain_text("1 sesi")
        expect(page.locator("#user-row-siswa_bima")).to_contain_text("Nonaktif")

        # The student's open session has ended, and logging in again is refused.
        student.reload()
        expect(student).to_have_url(re.compile(r"/login/?$"))
        login(student, "siswa_bima", "sandi-awal-bima")
        expect(student.locator("#login-error")).to_contain_text("tidak aktif")

        # Reactivated, then given a generated password: only the new one works.
        page.locator("#panel-reactivate").click()
        expect(page.locator("#panel-message")).to_contain_text("aktif kembali")
        page.locator("#panel-generate-password").click()
        result = page.locator("#panel-password-result")
        expect(result).to_have_text(re.compile(r"^\S{4}-\S{4}-\S{4}$"))
        new_password = result.inner_text()
        login(student, "siswa_bima", "sandi-awal-bima")
        expect(student.locator("#login-error")).to_contain_text("salah")
        # A generated password is the admin's: the student sets her own before anything else.
        login(student, "siswa_bima", new_password)
        expect(student).to_have_url(re.compile(r"/change-password/?$"))
        expect(student.locator("#first-password-heading")).to_be_visible()
        student.goto("/dashboard")
        expect(student).to_have_url(re.compile(r"/change-password/?$"))
        student.locator("#first-password-current").fill(new_password)
        student.locator("#first-password-new").fill("sandi-bima-sendiri")
        student.locator("#first-password-confirm").fill("sandi-bima-lain")
        student.locator("#first-password-submit").click()
        expect(student.locator("#first-password-error")).to_contain_text("tidak sama")
        student.locator("#first-password-current").fill(new_password)
        student.locator("#first-password-new").fill("sandi-bima-sendiri")
        student.locator("#first-password-confirm").fill("sandi-bima-sendiri")
        student.locator("#first-password-submit").click()
        expect(student).to_have_url(re.compile(r"/onboarding/?$"))

        # An admin cannot lock themselves out.
        _search(page, DEMO_ADMIN.username)
        page.locator(f"#user-manage-{DEMO_ADMIN.username}").click()
        expect(page.locator("#panel-deactivate")).to_be_disabled()
        expect(page.locator("#panel-role-save")).to_be_disabled()
    finally:
        student_context.close()


def test_default_tier_card_and_anonymising_a_leaving_student(page: Page) -> None:
    _open_users(page)
    card = page.locator("#plan-card")
    expect(card).to_be_visible()
    page.locator("#plan-choice-sekolah").check()
    page.locator("#plan-save").click()
    expect(page.locator("#plan-message")).to_contain_text("tanpa batas")
    expect(page.locator("#plan-not-chosen")).to_have_count(0)

    _create(page, "siswa_pindah", "Pindah Sekolah", "sandi-pindah-1")
    expect(page.locator("#new-message")).to_contain_text("siswa_pindah")
    _search(page, "siswa_pindah")
    page.locator("#user-manage-siswa_pindah").click()
    page.locator("#panel-remove").click()
    expect(page.locator("#removal-counts")).to_contain_text("0 jawaban latihan")
    page.locator("#removal-mode-anonymise").check()
    page.locator("#removal-confirm-username").fill("salah")
    page.locator("#removal-submit").click()
    expect(page.locator("#removal-error")).to_contain_text("Ketik nama pengguna")
    page.locator("#removal-confirm-username").fill("siswa_pindah")
    page.locator("#removal-submit").click()
    expect(page.locator("#users-removed-message")).to_contain_text("dianonimkan")
    expect(page.locator("#users-total")).to_have_text("0 pengguna")
    # One's own account offers no removal.
    _search(page, DEMO_ADMIN.username)
    page.locator(f"#user-manage-{DEMO_ADMIN.username}").click()
    expect(page.locator("#panel-remove")).to_be_disabled()
