"""An admin imports a bank with a bad row, edits an item with the live preview, and two
different admins approve it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import DEMO_ADMIN
from tests.e2e.conftest import create_user_on_server, login, screenshot

pytestmark = pytest.mark.e2e

SECOND_ADMIN = "admin_kurikulum"
SECOND_PASSWORD = "kurikulum-2026-aman"

# Line 3 names a section that does not exist; lines 2 and 4 are fine.
CSV = (
    "section,sub_type,text,option_a,option_b,option_c,option_d,option_e,correct_answer,difficulty\n"
    "PU,logika,Jika semua kucing berkaki empat maka ...,satu,dua,tiga,empat,lima,D,0.2\n"
    "XX,logika,Soal subtes yang tidak ada,p,q,r,s,t,A,0\n"
    "PK,aritmetika,Berapakah 15% dari 80?,10,12,14,16,18,B,-0.4\n"
)


def test_import_edit_and_two_reviewer_approval(page: Page, server_data_dir: Path) -> None:
    bank_name = f"Tryout E2E {uuid.uuid4().hex[:6]}"
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page.locator("#nav-admin")).to_be_visible()
    page.goto("/admin/banks")
    expect(page.locator("#bank-table")).to_be_visible()

    page.locator("#bank-name").fill(bank_name)
    page.locator("#create-bank").click()
    expect(page.locator("#banks-success")).to_contain_text(bank_name)
    expect(page.locator("#items-heading")).to_contain_text(bank_name)

    # All or nothing: one bad row, nothing imported, and the report names its line.
    page.locator("#bank-upload input[type=file]").set_input_files(
        files=[{"name": "tryout.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    expect(page.locator("#import-file-name")).to_contain_text("tryout.csv")
    page.locator("#import-submit").click()
    expect(page.locator("#import-report")).to_contain_text("baris 3: section 'XX' tidak dikenal")
    expect(page.locator("#import-error")).to_contain_text("tidak ada soal yang diimpor")
    expect(page.locator(".item-row")).to_have_count(0)

    # Skipping the bad row imports the other two.
    page.locator("#import-skip").click()
    page.locator("#import-submit").click()
    page.screenshot(path="/tmp/h14t-bank.png", full_page=True)
    expect(page.locator("#import-success")).to_contain_text("2 soal diimpor")
    expect(page.locator("#import-report")).to_contain_text("baris 3")
    expect(page.locator(".item-row")).to_have_count(2)
    row = page.locator(".bank-row").filter(has_text=bank_name)
    expect(row).to_contain_text("PU 1 · PK 1")
    expect(row).to_contain_text("0/2")
    page.evaluate("document.getElementById('bank-table').scrollIntoView()")
    page.wait_for_timeout(300)
    screenshot(page, "admin-banks")

    # The editor: the preview follows the typing.
    page.locator("[id^='edit-question-']").first.click()
    expect(page.locator("#q-text")).to_be_visible()
    expect(page.locator("#preview-text")).to_contain_text("Jika semua kucing")
    new_text = "Jika semua kucing berkaki empat dan Tom seekor kucing, maka Tom ..."
    page.locator("#q-text").fill(new_text)
    expect(page.locator("#preview-text")).to_have_text(new_text)
    page.locator("#q-option-D").fill("berkaki empat")
    expect(page.locator("#preview-choice-D")).to_contain_text("berkaki empat")
    page.locator("#save-question").click()
    expect(page.locator("#question-success")).to_contain_text("Perubahan disimpan")

    # First approval; the same admin cannot give the second one.
    page.locator("#review-aspect-clarity").click()
    page.locator("#review-notes").fill("Kalimat jelas, kunci benar.")
    page.locator("#submit-review").click()
    expect(page.locator("#review-state")).to_have_text("Perlu review ke-2")
    expect(page.locator("#reviewer-1")).to_contain_text("Kalimat jelas")
    expect(page.locator(".review-log-row")).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    screenshot(page, "admin-question-editor")
    # The refusal is shown beside the buttons before anyone clicks, and they are disabled.
    expect(page.locator("#approve-refusal")).to_contain_text("reviewer lain")
    expect(page.locator("#submit-review")).to_be_disabled()
    expect(page.locator("#approve-next")).to_be_disabled()
    expect(page.locator("#review-state")).to_have_text("Perlu review ke-2")
    item_url = page.url

    # A second admin approves: now it is reviewed.
    create_user_on_server(
        server_data_dir,
        SECOND_ADMIN,
        SECOND_PASSWORD,
        role="admin",
        full_name="Bu Wakasek Kurikulum",
    )
    page.locator("#logout").click()
    expect(page.locator("#login-username")).to_be_visible()
    login(page, SECOND_ADMIN, SECOND_PASSWORD)
    expect(page.locator("#nav-admin")).to_be_visible()
    page.goto(item_url)
    expect(page.locator("#review-state")).to_have_text("Perlu review ke-2")
    page.locator("#submit-review").click()
    expect(page.locator("#review-state")).to_have_text("Sudah direview")
    expect(page.locator("#reviewer-2")).to_contain_text("Bu Wakasek Kurikulum")
    expect(page.locator(".review-log-row")).to_have_count(2)

    # Back on the bank: the item counts as reviewed.
    page.locator("#back-to-bank").click()
    expect(page.locator("#items-heading")).to_contain_text(bank_name)
    expect(page.locator(".bank-row").filter(has_text=bank_name)).to_contain_text("1/2")


def test_the_template_downloads_from_the_import_panel(page: Page, tmp_path: Path) -> None:
    """The page offers the template CSV (docs/ is not reachable from a browser); that it
    imports as downloaded is tested on both databases in the integration tests."""
    bank_name = f"Templat E2E {uuid.uuid4().hex[:6]}"
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page.locator("#nav-admin")).to_be_visible()
    page.goto("/admin/banks")
    expect(page.locator("#bank-table")).to_be_visible()
    page.locator("#bank-name").fill(bank_name)
    page.locator("#create-bank").click()
    expect(page.locator("#items-heading")).to_contain_text(bank_name)

    with page.expect_download() as download_info:
        page.locator("#import-download-template").click()
    download = download_info.value
    assert download.suggested_filename == "templat-impor-bank-soal.csv"
    lines = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("section,text,option_a,option_b,option_c,option_d,option_e,")
    assert len(lines) == 3 and lines[2].startswith("PK,")


QUEUE_CSV = (
    "section,sub_type,text,option_a,option_b,option_c,option_d,option_e,correct_answer\n"
    "PU,logika,Antrean soal satu,a1,b1,c1,d1,e1,A\n"
    "PU,logika,Antrean soal dua,a2,b2,c2,d2,e2,B\n"
    "PK,aritmetika,Antrean soal tiga,a3,b3,c3,d3,e3,C\n"
)
QUEUE_ADMIN = "admin_antrean"
QUEUE_PASSWORD = "antrean-2026-aman"


def _open_bank(page: Page, bank_name: str) -> None:
    page.goto("/admin/banks")
    page.locator(".bank-row").filter(has_text=bank_name).locator("[id^='open-bank-']").click()
    expect(page.locator("#items-heading")).to_contain_text(bank_name)


def test_review_queue_then_bulk_approval_by_a_second_reviewer(
    page: Page, server_data_dir: Path
) -> None:
    """Three items reviewed in three clicks (not six editor visits), then approved in one
    by another admin; the first reviewer cannot tick her own first approvals."""
    bank_name = f"Antrean E2E {uuid.uuid4().hex[:6]}"
    login(page, DEMO_ADMIN.username, DEMO_ADMIN.password)
    expect(page.locator("#nav-admin")).to_be_visible()
    page.goto("/admin/banks")
    page.locator("#bank-name").fill(bank_name)
    page.locator("#create-bank").click()
    expect(page.locator("#items-heading")).to_contain_text(bank_name)
    page.locator("#bank-upload input[type=file]").set_input_files(
        files=[{"name": "antrean.csv", "mimeType": "text/csv", "buffer": QUEUE_CSV.encode()}]
    )
    page.locator("#import-submit").click()
    expect(page.locator("#import-success")).to_contain_text("3 soal diimpor")
    expect(page.locator("#review-queue-count")).to_contain_text("3 soal")

    page.locator("#start-review-queue").click()
    expect(page.locator("#preview-text")).to_contain_text("Antrean soal satu")
    page.locator("#approve-next").click()
    expect(page.locator("#preview-text")).to_contain_text("Antrean soal dua")
    expect(page.locator("#question-success")).to_contain_text("soal berikutnya")
    page.locator("#approve-next").click()
    expect(page.locator("#preview-text")).to_contain_text("Antrean soal tiga")
    page.locator("#approve-next").click()
    expect(page.locator("#question-success")).to_contain_text("sudah habis")
    expect(page.locator("#approve-refusal")).to_contain_text("reviewer lain")
    screenshot(page, "admin-review-queue")

    # Her own first approvals cannot be ticked for the bulk approval.
    _open_bank(page, bank_name)
    expect(page.locator("#review-queue-count")).to_contain_text("0 soal")
    expect(page.locator("[id^='item-refusal-']")).to_have_count(3)
    expect(page.locator("[id^='select-item-']")).to_have_count(0)
    expect(page.locator("#select-all-items")).to_be_disabled()

    create_user_on_server(
        server_data_dir, QUEUE_ADMIN, QUEUE_PASSWORD, role="admin", full_name="Pak Antrean"
    )
    page.locator("#logout").click()
    expect(page.locator("#login-username")).to_be_visible()
    login(page, QUEUE_ADMIN, QUEUE_PASSWORD)
    expect(page.locator("#nav-admin")).to_be_visible()
    _open_bank(page, bank_name)
    expect(page.locator("#review-queue-count")).to_contain_text("3 soal")
    expect(page.locator("[id^='select-item-']")).to_have_count(3)
    page.locator("#select-all-items").click()
    expect(page.locator("#bulk-approve")).to_contain_text("3")
    page.locator("#bulk-approve").click()
    expect(page.locator("#bulk-success")).to_contain_text("3 soal disetujui")
    expect(page.locator("#bulk-success")).to_contain_text("3 di antaranya")
    expect(page.locator(".bank-row").filter(has_text=bank_name)).to_contain_text("3/3")
    expect(page.locator("[id^='select-item-']")).to_have_count(0)
    screenshot(page, "admin-bulk-approve")
