"""A new guru's first day: /teacher says why it is empty; the admin gives them a class on
/admin/users, and the guru then sees that class's students. The admin also moves a student to
another class from the same panel.

Runs on the demo school and, with NEXUS_E2E_EMPTY_SCHOOL=1, on a school that starts from
nothing (conftest.py): the test brings its own students, so it needs no demo data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from nexus_app.services.demo import DEMO_ADMIN
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

CLASS = "XI E2E 1"
OTHER_CLASS = "XI E2E 2"
NEXT_CLASS = "XII E2E 1"
STUDENT_PASSWORD = "siswa-e2e-2026"
GURU = "guru_e2e"
GURU_PASSWORD = "guru-e2e-2026"
STUDENTS_CSV = (
    "username,full_name,role,class_name,grade,email,password\n"
    f"kls_e2e_01,Dewi Anggraini,siswa,{CLASS},11,,{STUDENT_PASSWORD}\n"
    f"kls_e2e_02,Eko Prasetyo,siswa,{CLASS},11,,{STUDENT_PASSWORD}\n"
)


def _open_users(page: Page) -> None:
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.locator("#admin-nav-users").click()
    expect(page.locator("#users-total")).to_be_visible()


def _manage(page: Page, username: str) -> None:
    page.locator("#users-search").fill(username)
    page.locator("#users-search-submit").click()
    expect(page.locator("#users-total")).to_have_text("1 pengguna")
    page.locator(f"#user-manage-{username}").click()
    expect(page.locator("#panel-title")).to_contain_text(username)


def test_admin_assigns_a_class_and_the_new_guru_sees_its_students(
    page: Page, browser: Browser, server: str, tmp_path: Path
) -> None:
    _open_users(page)
    # The students, imported on the page.
    csv_file = tmp_path / "kelas-e2e.csv"
    csv_file.write_text(STUDENTS_CSV, encoding="utf-8")
    page.locator("#users-csv input[type='file']").set_input_files(str(csv_file))
    page.locator("#import-submit").click()
    expect(page.locator("#import-result")).to_contain_text("2 pengguna diimpor")

    # A new guru, created without classes.
    page.locator("#new-role").select_option("guru")
    page.locator("#new-username").fill(GURU)
    page.locator("#new-full-name").fill("Ibu Guru Baru")
    expect(page.locator("#new-classes")).to_be_visible()
    page.locator("#new-password").fill(GURU_PASSWORD)
    page.locator("#new-submit").click()
    expect(page.locator("#new-message")).to_contain_text(GURU)

    guru_context = browser.new_context(base_url=server, locale="id-ID")
    guru = guru_context.new_page()
    try:
        # First day: no class yet, and the page says what to ask the admin for.
        login(guru, GURU, GURU_PASSWORD)
        expect(guru).to_have_url(re.compile(r"/teacher/?$"))
        notice = guru.locator("#teacher-no-classes")
        expect(notice).to_contain_text("belum ditugaskan ke kelas")
        expect(notice).to_contain_text("Kelas yang diajar")
        expect(guru.locator("#heatmap")).to_have_count(0)

        # The admin opens the guru's panel and adds the class, typed in lower case.
        _manage(page, GURU)
        expect(page.locator("#panel-classes-empty")).to_be_visible()
        page.locator("#panel-class-add").fill(CLASS.lower())
        page.locator("#panel-class-submit").click()
        expect(page.locator("#panel-message")).to_contain_text(f"sekarang mengajar {CLASS}")
        expect(page.locator("#panel-classes")).to_contain_text(CLASS)
        expect(page.locator(f"#user-classes-{GURU}")).to_have_text(f"mengajar {CLASS}")

        # On the guru's next visit: that class's students, and nobody else's.
        guru.goto("/teacher")
        heatmap = guru.locator("#heatmap")
        expect(heatmap).to_contain_text("kls_e2e_01")
        expect(heatmap).to_contain_text("Eko Prasetyo")
        expect(guru.locator("#teacher-no-classes")).to_have_count(0)
        expect(heatmap).not_to_contain_text("siswa03")

        # The admin moves Eko to another class from his panel: he leaves this guru's view.
        _manage(page, "kls_e2e_02")
        page.locator("#panel-full-name").fill("Eko Prasetyo Wibowo")
        page.locator("#panel-class").fill(OTHER_CLASS)
        page.locator("#panel-profile-save").click()
        expect(page.locator("#panel-message")).to_contain_text("disimpan")
        expect(page.locator("#user-row-kls_e2e_02")).to_contain_text(OTHER_CLASS)
        expect(page.locator("#user-row-kls_e2e_02")).to_contain_text("Eko Prasetyo Wibowo")
        # An emptied name is refused in Indonesian, and nothing changes.
        page.locator("#panel-full-name").fill("  ")
        page.locator("#panel-profile-save").click()
        expect(page.locator("#panel-error")).to_contain_text("Nama lengkap wajib diisi")
        expect(page.locator("#user-row-kls_e2e_02")).to_contain_text("Eko Prasetyo Wibowo")

        guru.goto("/teacher")
        expect(guru.locator("#heatmap")).to_contain_text("kls_e2e_01")
        expect(guru.locator("#heatmap")).not_to_contain_text("kls_e2e_02")

        # Kenaikan kelas: the class goes a grade up under a new name, after a preview, and
        # its guru goes with it.
        page.locator("#move-from").select_option(CLASS)
        page.locator("#move-to").fill(NEXT_CLASS)
        page.locator("#move-preview-submit").click()
        expect(page.locator("#move-summary")).to_contain_text(
            f"1 siswa akan pindah dari {CLASS} ke {NEXT_CLASS}"
        )
        expect(page.locator("#move-summary")).to_contain_text(GURU)
        expect(page.locator(".move-row")).to_have_count(1)
        expect(page.locator("#move-preview")).to_contain_text("11 → 12")
        page.locator("#move-confirm").click()
        expect(page.locator("#move-message")).to_contain_text("1 siswa dipindahkan")
        guru.goto("/teacher")
        expect(guru.locator("#heatmap")).to_contain_text(f"kls_e2e_01 · {NEXT_CLASS}")
    finally:
        guru_context.close()
