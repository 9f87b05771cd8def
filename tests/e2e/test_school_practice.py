"""The OpenClass loop in the browser: practice questions imported with the CLI, a new student
practises a school-subject topic (multiple choice scored, an open answer self-marked against
the model answer) until it becomes a weak area, then finds it on the dashboard with a link
back to the topic's questions.

Runs on the demo school and, with NEXUS_E2E_EMPTY_SCHOOL=1, on a school that starts from
nothing: the test brings its own subject, questions and student.
"""

from __future__ import annotations

import os
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from nexus_app.services.demo import STUDENT_PASSWORD
from tests.e2e.conftest import EMPTY_SCHOOL, ROOT, create_user_on_server, login, screenshot

pytestmark = pytest.mark.e2e

SUBJECT = "BIO_E2E"
TOPIC = "Sel Hewan"
STUDENT = "latih_e2e"
PASSWORD = "latih-e2e-2026"
# Every key is A, so picking B is always wrong; the open question comes last (hardest).
QUESTIONS = (
    "topic,question,answer,difficulty,option_a,option_b,option_c\n"
    f"{TOPIC},Bagian sel yang menyimpan DNA adalah ...,A,mudah,inti sel,dinding sel,vakuola\n"
    f"{TOPIC},Organel penghasil energi adalah ...,A,mudah,mitokondria,ribosom,lisosom\n"
    f"{TOPIC},Pembuat protein di sel adalah ...,A,sedang,ribosom,sentriol,vakuola\n"
    f"{TOPIC},Pengatur keluar masuk zat adalah ...,A,sedang,membran sel,inti sel,ribosom\n"
    f'{TOPIC},Jelaskan fungsi membran sel.,"Mengatur zat yang keluar masuk sel.",sulit,,,\n'
)


def _cli(data_dir: Path, *args: str) -> None:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["NEXUS_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "nexus"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_student_practises_a_school_topic_until_it_is_a_weak_area(
    page: Page, server_data_dir: Path, tmp_path: Path
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
    questions = tmp_path / "latihan.csv"
    questions.write_text(QUESTIONS, encoding="utf-8")
    _cli(server_data_dir, "practice-questions", "import", str(questions), "--subject", SUBJECT)
    create_user_on_server(server_data_dir, STUDENT, PASSWORD, role="siswa", full_name="Lia Pratiwi")

    login(page, STUDENT, PASSWORD)
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))
    page.locator("#onboarding-ptn").fill("Universitas Indonesia (UI)")
    page.locator("#onboarding-target").fill("650")
    page.locator("#onboarding-exam-date").fill((date.today() + timedelta(days=120)).isoformat())
    page.locator("#onboarding-hours").fill("6")
    page.locator("#onboarding-submit").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))
    expect(page.locator("#school-weak-areas")).to_have_count(0)

    page.goto("/practice")
    page.locator("#school-practice-link").click()
    expect(page).to_have_url(re.compile(r"/practice/subject/?$"))
    row = page.locator(".school-topic", has_text=TOPIC)
    expect(row).to_contain_text("5 soal")
    expect(row).to_contain_text("penguasaan belum ada")
    screenshot(page, "school-practice-topics")
    row.get_by_role("link").click()

    expect(page.locator("#school-position")).to_have_text("Soal 1 dari 5")
    # Multiple choice: nothing is submitted until an option is picked; a wrong pick is
    # scored, shows the key, and moves mastery.
    expect(page.locator("#school-submit")).to_be_disabled()
    for position in range(1, 5):
        expect(page.locator("#school-position")).to_have_text(f"Soal {position} dari 5")
        page.locator("#school-choice-B").click()
        page.locator("#school-submit").click()
        expect(page.locator("#school-verdict")).to_contain_text("Jawaban yang benar: A")
        expect(page.locator("#school-mastery")).to_contain_text(f"dari {position} jawaban")
        if position == 3:
            # The weak-area rule needs three answers; three wrong ones cross it.
            expect(page.locator("#school-weak")).to_be_visible()
            screenshot(page, "school-practice-weak")
        page.locator("#school-next").click()

    # The open question: the model answer only after asking, then the student marks it.
    expect(page.locator("#school-position")).to_have_text("Soal 5 dari 5")
    expect(page.locator("#school-model-answer")).to_have_count(0)
    page.locator("#school-draft").fill("Melindungi sel.")
    page.locator("#school-reveal").click()
    expect(page.locator("#school-model-answer")).to_contain_text("keluar masuk sel")
    screenshot(page, "school-practice-open")
    page.locator("#school-mark-wrong").click()
    expect(page.locator("#school-verdict")).to_contain_text("Belum tepat")
    expect(page.locator("#school-mastery")).to_contain_text("dari 5 jawaban")
    page.locator("#school-next").click()
    expect(page.locator("#school-summary")).to_contain_text("0 dari 5 benar")

    page.goto("/dashboard")
    weak = page.locator("#school-weak-areas .school-weak-area", has_text=TOPIC)
    expect(weak).to_contain_text("Biologi")
    expect(weak).to_contain_text("Ada 5 soal latihan topik ini")
    expect(page.locator("#school-mastery")).to_contain_text("0/5 benar")
    screenshot(page, "school-dashboard-weak")
    # The weak area links straight back to the topic's questions.
    weak.get_by_role("link").click()
    expect(page.locator("#school-position")).to_have_text("Soal 1 dari 5")
    expect(page.locator("#school-question")).to_contain_text("DNA")
    page.locator("#school-choice-A").click()
    page.locator("#school-submit").click()
    expect(page.locator("#school-verdict")).to_contain_text("Benar")
    expect(page.locator("#school-mastery")).to_contain_text("dari 6 jawaban")


@pytest.mark.skipif(EMPTY_SCHOOL, reason="needs the demo school's books and questions")
def test_the_tutor_suggests_practice_on_the_topic_just_asked(page: Page) -> None:
    login(page, "siswa09", STUDENT_PASSWORD)
    expect(page.locator("#nav-chat")).to_be_visible()
    page.goto("/chat")
    page.locator("#chat-subject").select_option("MAT_10")
    page.locator("#chat-input").fill("Apa yang dimaksud dengan barisan aritmetika?")
    page.locator("#chat-send").click()
    expect(page.locator("#chat-sources")).to_contain_text("Matematika Kelas 10", timeout=120_000)
    suggestion = page.locator("#chat-practice")
    expect(suggestion).to_contain_text("Barisan Aritmetika", timeout=120_000)
    screenshot(page, "chat-practice-suggestion")
    suggestion.get_by_role("link").click()
    expect(page.locator("#school-position")).to_have_text("Soal 1 dari 2")
    expect(page.locator("#school-question")).to_contain_text("barisan")
