"""A school that starts from nothing: the admin gives teachers their classes (panel, CSV,
operator CLI functions), edits profiles without losing history, and a guru without classes is
told why /teacher is empty. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import auth, teacher, users
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.integration.services.test_practice import _bank_csv
from tests.integration.services.test_teacher_mastery import _practise

PASSWORD = "kata-sandi-aman"
HEADER = "username,full_name,role,class_name,grade,email,password,classes\n"


@pytest.fixture
def admin(engine: Engine) -> auth.CurrentUser:
    return auth.create_user(username="admin", password=PASSWORD, role="admin", full_name="Admin")


def _login(username: str) -> auth.CurrentUser:
    return auth.login(username=username, password=PASSWORD).user


def _csv(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8")


def _names(overview: teacher.ClassOverview) -> list[str]:
    return [r.username for r in overview.rows]


def _bank() -> None:
    assert import_bank(
        filename="b.csv",
        data=_bank_csv("PU", 30, ("induktif", "deduktif")),
        bank_name="Uji",
        mark_reviewed_by=["A", "B"],
    ).ok


def test_an_empty_school_imports_a_guru_with_classes_who_then_sees_them(
    engine: Engine, admin
) -> None:
    _bank()
    report = users.import_users_csv(
        actor=admin,
        filename="sekolah.csv",
        data=_csv(
            f"ani,Ani Lestari,siswa,XII IPA 1,12,,{PASSWORD},",
            f"budi,Budi Santoso,siswa,XII IPA 2,12,,{PASSWORD},",
            f"citra,Citra Dewi,siswa,XI IPS 1,11,,{PASSWORD},",
            # Spaces and case as a tired admin types them: the students' spelling wins.
            f'bu_sri,Ibu Sri,guru,,,,{PASSWORD},"xii ipa 1 ;  XII  IPA 2;"',
            f"pak_joko,Pak Joko,guru,,,,{PASSWORD},",
        ),
    )
    assert report.ok and report.imported == 5, report.errors

    sri = _login("bu_sri")
    options = teacher.options(actor=sri)
    assert options.classes == ["XII IPA 1", "XII IPA 2"]
    assert options.notice == ""
    overview = teacher.class_overview(actor=sri, view_key="section:PU")
    assert _names(overview) == ["ani", "budi"]

    # The guru nobody gave a class: told why, and what to ask for.
    joko = _login("pak_joko")
    empty = teacher.options(actor=joko)
    assert empty.classes == []
    assert "belum ditugaskan ke kelas" in empty.notice
    assert "Kelas yang diajar" in empty.notice and "pak_joko" in empty.notice
    assert _names(teacher.class_overview(actor=joko, view_key="section:PU")) == []
    # An admin sees every class and gets no such notice.
    assert teacher.options(actor=admin).notice == ""

    # The admin list shows what each guru teaches.
    rows = {r.username: r for r in users.list_users(actor=admin).rows}
    assert rows["bu_sri"].classes == ("XII IPA 1", "XII IPA 2")
    assert rows["pak_joko"].classes == () and rows["ani"].classes == ()

    # Assigned in the panel: Pak Joko sees XI IPS 1 on his next click.
    change = users.assign_class(actor=admin, user_id=rows["pak_joko"].id, class_name="XI IPS 1")
    assert change.changed and change.has_students and change.classes == ("XI IPS 1",)
    assert teacher.options(actor=joko).notice == ""
    assert _names(teacher.class_overview(actor=joko, view_key="section:PU")) == ["citra"]


def test_assigning_and_removing_classes_follows_the_rules(engine: Engine, admin) -> None:
    users.create_user(
        actor=admin, username="ani", full_name="Ani", role="siswa", class_name="X-1", grade=10
    )
    users.create_user(actor=admin, username="guru1", full_name="Guru Satu", role="guru")
    rows = {r.username: r for r in users.list_users(actor=admin).rows}
    guru, ani = rows["guru1"].id, rows["ani"].id
    assert users.class_choices(actor=admin) == ["X-1"]

    first = users.assign_class(actor=admin, user_id=guru, class_name=" x-1 ")
    assert (first.class_name, first.changed) == ("X-1", True)
    again = users.assign_class(actor=admin, user_id=guru, class_name="X-1")
    assert not again.changed and again.classes == ("X-1",)

    # A class nobody is in: refused with what exists, unless the admin means it.
    with pytest.raises(InvalidInput, match=r"Tidak ada siswa di kelas 'X-9'.*X-1"):
        users.assign_class(actor=admin, user_id=guru, class_name="X-9")
    later = users.assign_class(actor=admin, user_id=guru, class_name="X-9", allow_empty=True)
    assert later.classes == ("X-1", "X-9") and not later.has_students
    for bad in ("", "   ", "K" * 51):
        with pytest.raises(InvalidInput, match="Nama kelas"):
            users.assign_class(actor=admin, user_id=guru, class_name=bad, allow_empty=True)

    with pytest.raises(InvalidInput, match="ani bukan guru"):
        users.assign_class(actor=admin, user_id=ani, class_name="X-1")
    with pytest.raises(InvalidInput, match="admin bukan guru"):
        users.assign_class(actor=admin, user_id=admin.id, class_name="X-1")
    with pytest.raises(NotFound):
        users.assign_class(actor=admin, user_id=99_999, class_name="X-1")

    removed = users.unassign_class(actor=admin, user_id=guru, class_name="x-9")
    assert removed.class_name == "X-9" and removed.classes == ("X-1",)
    with pytest.raises(InvalidInput, match="tidak mengajar kelas 'X-9'"):
        users.unassign_class(actor=admin, user_id=guru, class_name="X-9")

    # The operator's CLI functions: by username, the same rules.
    by_name = users.assign_class_by_username(username="guru1", class_name="X-2", allow_empty=True)
    assert by_name.classes == ("X-1", "X-2")
    with pytest.raises(NotFound, match="'nobody'"):
        users.assign_class_by_username(username="nobody", class_name="X-1")
    with pytest.raises(InvalidInput, match="Tidak ada siswa"):
        users.assign_class_by_username(username="guru1", class_name="X-3")
    assert users.unassign_class_by_username(username="guru1", class_name="X-2").changed
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT class_name FROM class_assignments")).scalars().all()
    assert stored == ["X-1"]

    # A guru created with classes gets them at once.
    users.create_user(
        actor=admin, username="guru2", full_name="Guru Dua", role="guru", classes="x-1; X-5"
    )
    assert users.assign_class_by_username(username="guru2", class_name="X-1").classes == (
        "X-1",
        "X-5",
    )


def test_only_admins_assign_classes_or_edit_profiles(engine: Engine, admin) -> None:
    users.create_user(
        actor=admin, username="guru1", full_name="Guru", role="guru", password=PASSWORD
    )
    guru = _login("guru1")
    for role in ("siswa", "guru"):
        actor = (
            guru
            if role == "guru"
            else auth.create_user(
                username="ani", password=PASSWORD, role="siswa", class_name="X-1", grade=10
            )
        )
        with pytest.raises(PermissionDenied):
            users.assign_class(actor=actor, user_id=guru.id, class_name="X-1")
        with pytest.raises(PermissionDenied):
            users.unassign_class(actor=actor, user_id=guru.id, class_name="X-1")
        with pytest.raises(PermissionDenied):
            users.class_choices(actor=actor)
        with pytest.raises(PermissionDenied):
            users.update_profile(actor=actor, user_id=guru.id, full_name="Nama Baru")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM class_assignments")).scalar() == 0
        assert (
            conn.execute(sa.text("SELECT full_name FROM users WHERE username = 'guru1'")).scalar()
            == "Guru"
        )


def test_moving_a_student_to_another_class_keeps_her_history(engine: Engine, admin) -> None:
    _bank()
    for username, class_name in (("ani", "X-2"), ("budi", "X-1")):
        auth.create_user(
            username=username, password=PASSWORD, role="siswa", class_name=class_name, grade=10
        )
    for username, class_name in (("wali1", "X-1"), ("wali2", "X-2")):
        auth.create_user(username=username, password=PASSWORD, role="guru")
        users.assign_class_by_username(username=username, class_name=class_name)
    ani = _login("ani")
    _practise(ani, 5, "C")

    row = users.update_profile(
        actor=admin,
        user_id=ani.id,
        full_name="  Ani   Lestari ",
        class_name="X-1",
        grade="X",
        email="Ani@Sekolah.sch.id",
    )
    assert (row.full_name, row.class_name, row.grade, row.email) == (
        "Ani Lestari",
        "X-1",
        10,
        "Ani@Sekolah.sch.id",
    )
    # Her new class's teacher sees her, with the five answers she gave in X-2.
    wali1 = teacher.class_overview(actor=_login("wali1"), view_key="section:PU")
    assert sorted(_names(wali1)) == ["ani", "budi"]
    assert {w.username: w.answers for w in wali1.weekly}["ani"] == 5
    assert any(c.answers for r in wali1.rows if r.username == "ani" for c in r.cells)
    assert _names(teacher.class_overview(actor=_login("wali2"), view_key="section:PU")) == []
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT COUNT(*) FROM attempts WHERE user_id = :u"), {"u": ani.id}
            ).scalar()
            == 5
        )

    # Validation, in Indonesian, and nothing written on a refusal.
    cases = [
        ({"full_name": "  "}, InvalidInput, "Nama lengkap wajib"),
        ({"full_name": "N" * 101}, InvalidInput, "maksimal 100"),
        ({"email": "ani@"}, InvalidInput, "email tidak valid"),
        ({"class_name": ""}, InvalidInput, "Kelas wajib diisi"),
        ({"class_name": "K" * 51}, InvalidInput, "Nama kelas maksimal"),
        ({"grade": "13"}, InvalidInput, "10, 11 atau 12"),
        ({"grade": ""}, InvalidInput, "Tingkat wajib"),
    ]
    for change, error, message in cases:
        fields = {"full_name": "Ani", "class_name": "X-1", "grade": 10, "email": None, **change}
        with pytest.raises(error, match=message):
            users.update_profile(actor=admin, user_id=ani.id, **fields)
    auth.create_user(
        username="citra",
        password=PASSWORD,
        role="siswa",
        class_name="X-1",
        grade=10,
        email="citra@sekolah.sch.id",
    )
    with pytest.raises(Conflict, match="sudah dipakai"):
        users.update_profile(
            actor=admin,
            user_id=ani.id,
            full_name="Ani",
            class_name="X-1",
            grade=10,
            email="CITRA@sekolah.sch.id",
        )
    with pytest.raises(NotFound):
        users.update_profile(actor=admin, user_id=99_999, full_name="Siapa")
    assert users.get_user(actor=admin, user_id=ani.id).full_name == "Ani Lestari"

    # A guru's own class and grade are not a thing: the message says where classes go.
    wali2 = _login("wali2")
    with pytest.raises(InvalidInput, match="Kelas yang diajar"):
        users.update_profile(actor=admin, user_id=wali2.id, full_name="W", class_name="X-2")
    edited = users.update_profile(actor=admin, user_id=wali2.id, full_name="Ibu Wali Dua", email="")
    assert edited.full_name == "Ibu Wali Dua" and edited.classes == ("X-2",)


def test_csv_classes_column_and_the_message_for_a_guru_with_a_class(engine: Engine, admin) -> None:
    bad = users.import_users_csv(
        actor=admin,
        filename="u.csv",
        data=_csv(
            "g1,Guru Satu,guru,XII IPA 1,,,,",
            "s1,Siswa Satu,siswa,XII IPA 1,12,,,XII IPA 2",
            "g2,Guru Dua,guru,,,,," + "X" * 51,
        ),
    )
    assert bad.imported == 0
    reasons = {e.line: e.reason for e in bad.errors}
    # Where a teacher's classes do go: the classes column or the Kelola panel.
    assert "kolom classes" in reasons[2] and "Kelola" in reasons[2]
    assert "hanya untuk guru" in reasons[3]
    assert "Nama kelas maksimal" in reasons[4]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM class_assignments")).scalar() == 0

    # Excel with Indonesian settings: ';' between cells, the classes cell quoted.
    semicolons = (
        b"username;full_name;role;class_name;grade;classes\n"
        b"s1;Siswa Satu;siswa;XII IPA 1;12;\n"
        b'g1;Guru Satu;guru;;;"XII IPA 1;XII IPA 3"\n'
    )
    report = users.import_users_csv(actor=admin, filename="u.csv", data=semicolons)
    assert report.ok and report.imported == 2, report.errors
    rows = {r.username: r for r in users.list_users(actor=admin).rows}
    assert rows["g1"].classes == ("XII IPA 1", "XII IPA 3")


def test_teacher_notices_for_classes_without_students_and_nothing_to_map(
    engine: Engine, admin
) -> None:
    auth.create_user(username="guru1", password=PASSWORD, role="guru")
    users.assign_class_by_username(username="guru1", class_name="X-1", allow_empty=True)
    guru = _login("guru1")
    assert "(X-1) belum memiliki siswa" in teacher.options(actor=guru).notice
    auth.create_user(username="ani", password=PASSWORD, role="siswa", class_name="X-1", grade=10)
    # Students, but no bank and no subject yet: nothing to map, and who can fix it.
    for actor in (guru, admin):
        assert "Belum ada bank soal" in teacher.options(actor=actor).notice
    _bank()
    assert teacher.options(actor=guru).notice == ""


def test_kenaikan_kelas_moves_a_whole_class_with_a_preview(engine: Engine, admin) -> None:
    _bank()
    for username, class_name, grade in (
        ("ani", "X-1", 10),
        ("budi", "X-1", 10),
        ("citra", "XI-1", 11),
        ("dodi", "XII-1", 12),
    ):
        auth.create_user(
            username=username, password=PASSWORD, role="siswa", class_name=class_name, grade=grade
        )
    auth.create_user(username="wali", password=PASSWORD, role="guru")
    users.assign_class_by_username(username="wali", class_name="X-1")
    ani = _login("ani")
    _practise(ani, 3, "C")

    plan = users.preview_class_move(
        actor=admin, class_name="x-1", new_class_name="XI-2", grade_mode="up"
    )
    assert (plan.old, plan.new, plan.grade_step) == ("X-1", "XI-2", 1)
    assert [(s.username, s.grade_before, s.grade_after) for s in plan.students] == [
        ("ani", 10, 11),
        ("budi", 10, 11),
    ]
    assert plan.teachers == ("wali",)
    with engine.connect() as conn:  # a preview writes nothing
        assert (
            conn.execute(sa.text("SELECT COUNT(*) FROM users WHERE class_name = 'X-1'")).scalar()
            == 2
        )

    # A student joined X-1 after the preview: the confirmed list no longer holds.
    auth.create_user(username="eka", password=PASSWORD, role="siswa", class_name="X-1", grade=10)
    with pytest.raises(Conflict, match="berubah sejak pratinjau"):
        users.move_class(
            actor=admin,
            class_name="X-1",
            new_class_name="XI-2",
            grade_mode="up",
            fingerprint=plan.fingerprint,
        )
    plan = users.preview_class_move(
        actor=admin, class_name="X-1", new_class_name="XI-2", grade_mode="up"
    )
    done = users.move_class(
        actor=admin,
        class_name="X-1",
        new_class_name="XI-2",
        grade_mode="up",
        fingerprint=plan.fingerprint,
    )
    assert len(done.students) == 3
    with engine.connect() as conn:
        moved = conn.execute(
            sa.text(
                "SELECT username, class_name, grade FROM users "
                "WHERE role = 'siswa' ORDER BY username"
            )
        ).all()
        assert (
            conn.execute(
                sa.text("SELECT COUNT(*) FROM attempts WHERE user_id = :u"), {"u": ani.id}
            ).scalar()
            == 3
        )
    assert [tuple(r) for r in moved] == [
        ("ani", "XI-2", 11),
        ("budi", "XI-2", 11),
        ("citra", "XI-1", 11),
        ("dodi", "XII-1", 12),
        ("eka", "XI-2", 11),
    ]
    # The teacher went with the class and still sees ani's answers.
    overview = teacher.class_overview(actor=_login("wali"), view_key="section:PU")
    assert sorted(_names(overview)) == ["ani", "budi", "eka"]
    assert {w.username: w.answers for w in overview.weekly}["ani"] == 3

    # Refusals: a class 12 cannot go up, classes are not merged, nonsense is named.
    with pytest.raises(InvalidInput, match=r"1 siswa sudah kelas 12 \(dodi\)"):
        users.preview_class_move(
            actor=admin, class_name="XII-1", new_class_name="XIII-1", grade_mode="up"
        )
    with pytest.raises(Conflict, match="sudah punya 1 siswa"):
        users.preview_class_move(actor=admin, class_name="XI-2", new_class_name="xi-1")
    with pytest.raises(InvalidInput, match="tidak punya siswa"):
        users.preview_class_move(actor=admin, class_name="X-9", new_class_name="X-8")
    with pytest.raises(InvalidInput, match="sama dengan yang lama"):
        users.preview_class_move(actor=admin, class_name="XI-2", new_class_name="XI-2")
    with pytest.raises(InvalidInput, match="tingkat tetap"):
        users.preview_class_move(
            actor=admin, class_name="XI-2", new_class_name="XI-3", grade_mode="down"
        )
    # A plain rename keeps the grade; without move_teachers the guru stays on the old name.
    renamed = users.preview_class_move(
        actor=admin, class_name="XI-1", new_class_name="XI IPA 1", move_teachers=False
    )
    users.move_class(
        actor=admin,
        class_name="XI-1",
        new_class_name="XI IPA 1",
        move_teachers=False,
        fingerprint=renamed.fingerprint,
    )
    assert users.get_user(actor=admin, user_id=_login("citra").id).grade == 11
    with pytest.raises(PermissionDenied):
        users.preview_class_move(actor=_login("wali"), class_name="XI-2", new_class_name="XI-3")
