"""The onboarding target picked from the PTN table (issue 11), on both databases: search,
the stored label, free text without a table, and the tryout's result preselecting it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import auth, onboarding, tryout
from nexus_app.services.errors import InvalidInput, PermissionDenied
from tests.integration.services.test_tryout import school  # noqa: F401  (fixture)

FUTURE = (date.today() + timedelta(days=120)).isoformat()
PTN_CSV = (
    "ptn,program,capacity,applicants,year\n"
    "Universitas Indonesia (UI),Ilmu Komputer,100,3000,2024\n"
    "Universitas Indonesia (UI),Ilmu Komputer,90,3500,2025\n"
    "Universitas Indonesia (UI),Kedokteran,80,4000,2025\n"
    "Institut Teknologi Bandung (ITB),Matematika,60,600,2025\n"
    "Universitas Padjadjaran (UNPAD),Farmasi,70,1400,2025\n"
    f"{'P' * 90},{'Program Panjang'},10,100,2025\n"
)


def _student(name: str = "siswa01") -> auth.CurrentUser:
    return auth.create_user(username=name, password="kata-sandi-1", role="siswa")


def _stored_target(engine: Engine, username: str = "siswa01") -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.text("SELECT target_ptn FROM users WHERE username = :u"), {"u": username}
            ).scalar()
        )


def _save(student: auth.CurrentUser, target: str) -> onboarding.Profile:
    return onboarding.save_onboarding(
        actor=student, target_ptn=target, target_score="650", exam_date=FUTURE, hours="8"
    )


def test_without_a_table_the_target_is_free_text(engine: Engine) -> None:
    student = _student()
    assert onboarding.program_count() == 0
    assert onboarding.search_programs(actor=student, query="UI") == []
    _save(student, "  Politeknik Negeri Baru  ")
    assert _stored_target(engine) == "Politeknik Negeri Baru"
    with pytest.raises(InvalidInput, match="Pilih atau tulis PTN"):
        _save(student, "   ")


def test_the_table_is_searched_and_a_pick_is_stored_as_its_label(engine: Engine) -> None:
    assert tryout.import_ptn(data=PTN_CSV.encode()).imported == 6
    student = _student()
    # Each programme once (its newest year).
    assert onboarding.program_count() == 5
    # Every word must appear; case and extra spaces do not matter.
    assert onboarding.search_programs(actor=student, query="  ui   KOMPUTER ") == [
        "Universitas Indonesia (UI) · Ilmu Komputer"
    ]
    # Labels starting with the text come first, then the others alphabetically.
    assert onboarding.search_programs(actor=student, query="univ")[:3] == [
        "Universitas Indonesia (UI) · Ilmu Komputer",
        "Universitas Indonesia (UI) · Kedokteran",
        "Universitas Padjadjaran (UNPAD) · Farmasi",
    ]
    assert onboarding.search_programs(actor=student, query="", limit=2) == [
        "Institut Teknologi Bandung (ITB) · Matematika",
        f"{'P' * 90} · Program Panjang",
    ]
    assert onboarding.search_programs(actor=student, query="sastra jawa") == []

    # A pick typed in another case is stored as the table's label.
    _save(student, "universitas indonesia (ui) · kedokteran")
    assert _stored_target(engine) == "Universitas Indonesia (UI) · Kedokteran"
    assert onboarding.get_profile(actor=student).target_ptn == (
        "Universitas Indonesia (UI) · Kedokteran"
    )
    # A label longer than the column keeps the PTN; free text is still allowed.
    _save(student, f"{'P' * 90} · Program Panjang")
    assert _stored_target(engine) == "P" * 90
    _save(student, "Universitas Indonesia (UI) · Sastra Jawa")
    assert _stored_target(engine) == "Universitas Indonesia (UI) · Sastra Jawa"


def test_only_students_search(engine: Engine) -> None:
    teacher = auth.create_user(username="guru01", password="kata-sandi-1", role="guru")
    with pytest.raises(PermissionDenied):
        onboarding.search_programs(actor=teacher, query="UI")


def test_the_result_page_preselects_the_picked_programme(
    engine: Engine,
    school: int,  # noqa: F811
) -> None:
    assert tryout.import_ptn(data=PTN_CSV.encode()).imported == 6
    student = _student()
    _save(student, "Universitas Indonesia (UI) · Kedokteran")
    view = tryout.start_tryout(actor=student, blueprint_id=school)
    for position in (1, 2):
        tryout.end_section(actor=student, sitting_id=view.sitting_id, position=position)
    result = tryout.tryout_result(actor=student)
    assert result is not None
    labels = dict(result.program_choices)
    assert labels[result.default_program_id] == "Universitas Indonesia (UI) · Kedokteran"
    # A PTN alone (free text, or a label too long to store) preselects its first programme.
    _save(student, "Universitas Indonesia (UI)")
    result = tryout.tryout_result(actor=student)
    assert result is not None
    assert dict(result.program_choices)[result.default_program_id] == (
        "Universitas Indonesia (UI) · Ilmu Komputer"
    )
