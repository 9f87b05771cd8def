"""The admin's user management on real SQLite and PostgreSQL: search and paging, create, CSV
import (all-or-nothing and skip mode), role changes, self-protection, deactivation and password
resets that end sessions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nexus_app.models import utcnow
from nexus_app.services import auth, users
from nexus_app.services.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from tests.integration.repositories import factories

PASSWORD = "kata-sandi-aman"
HEADER = "username,full_name,role,class_name,grade,email,password\n"


@pytest.fixture
def admin(engine: Engine) -> auth.CurrentUser:
    return auth.create_user(
        username="admin", password=PASSWORD, role="admin", full_name="Admin Sekolah"
    )


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def _csv(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8")


def test_search_filters_and_pages_in_sql(engine: Engine, session: Session, admin) -> None:
    for i in range(1, 31):
        factories.user(
            session,
            f"siswa{i:02d}",
            full_name=f"Murid Nomor {i}",
            class_name="XII IPA 1" if i <= 15 else "XII IPS 2",
            grade=12,
        )
    factories.user(session, "guru_fisika", role="guru", full_name="Ibu Sri Wahyuni")
    factories.user(session, "siswa_lama", full_name="Sudah Dihapus", deleted_at=utcnow())
    session.execute(sa.text("UPDATE users SET is_active = false WHERE username = 'siswa07'"))
    session.commit()

    first = users.list_users(actor=admin, per_page=25)
    assert first.total == 32  # 30 students, a teacher, the admin; never the deleted account
    assert (first.page, first.pages, len(first.rows)) == (1, 2, 25)
    assert first.has_next and not first.has_previous
    second = users.list_users(actor=admin, page=2, per_page=25)
    assert len(second.rows) == 7 and not second.has_next
    assert not {r.id for r in first.rows} & {r.id for r in second.rows}
    # A page past the end shows the last one.
    assert users.list_users(actor=admin, page=99).page == 2

    by_name = users.list_users(actor=admin, search="wahyuni")
    assert [r.username for r in by_name.rows] == ["guru_fisika"]
    by_class = users.list_users(actor=admin, search="ips 2")
    assert by_class.total == 15
    assert {r.class_name for r in by_class.rows} == {"XII IPS 2"}
    assert users.list_users(actor=admin, search="siswa0").total == 9
    # LIKE wildcards in the search are literal characters.
    assert users.list_users(actor=admin, search="%").total == 0
    assert users.list_users(actor=admin, search="a_1").total == 0  # not siswa01, siswa11…
    assert [r.username for r in users.list_users(actor=admin, search="u_f").rows] == ["guru_fisika"]

    assert users.list_users(actor=admin, role="guru").total == 1
    inactive = users.list_users(actor=admin, status="inactive")
    assert [r.username for r in inactive.rows] == ["siswa07"]
    assert users.list_users(actor=admin, role="siswa", status="active").total == 29
    with pytest.raises(InvalidInput):
        users.list_users(actor=admin, role="kepala_sekolah")


def test_only_admins_may_use_any_of_it(engine: Engine, admin) -> None:
    guru = auth.create_user(username="guru1", password=PASSWORD, role="guru")
    siswa = auth.create_user(username="siswa1", password=PASSWORD, role="siswa")
    for actor in (guru, siswa):
        calls = [
            lambda a=actor: users.list_users(actor=a),
            lambda a=actor: users.get_user(actor=a, user_id=admin.id),
            lambda a=actor: users.create_user(actor=a, username="x1", full_name="X", role="guru"),
            lambda a=actor: users.import_users_csv(
                actor=a, filename="u.csv", data=_csv("x2,X,guru,,,,")
            ),
            lambda a=actor: users.change_role(actor=a, user_id=a.id, role="admin"),
            lambda a=actor: users.deactivate_user(actor=a, user_id=admin.id),
            lambda a=actor: users.reactivate_user(actor=a, user_id=a.id),
            lambda a=actor: users.reset_password(actor=a, user_id=admin.id),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
    assert _count(engine, "SELECT COUNT(*) FROM users") == 3


def test_create_validates_and_refuses_duplicates(engine: Engine, admin) -> None:
    created = users.create_user(
        actor=admin,
        username="siswa31",
        full_name="  Budi   Santoso ",
        role="siswa",
        class_name="XI IPA 2",
        grade="XI",
        email="budi@sekolah.sch.id",
        password="rahasia-budi-1",
    )
    assert not created.generated and created.password == "rahasia-budi-1"
    assert auth.login(username="siswa31", password="rahasia-budi-1").user.class_name == "XI IPA 2"
    row = users.list_users(actor=admin, search="siswa31").rows[0]
    assert (row.full_name, row.grade, row.email) == ("Budi Santoso", 11, "budi@sekolah.sch.id")

    teacher = users.create_user(actor=admin, username="guru2", full_name="Guru", role="guru")
    assert teacher.generated and len(teacher.password) >= 12
    assert auth.login(username="guru2", password=teacher.password).user.role == "guru"

    with pytest.raises(Conflict, match="sudah dipakai"):
        users.create_user(
            actor=admin, username="SISWA31", full_name="Lain", role="guru", password=PASSWORD
        )
    with pytest.raises(Conflict, match="Email"):
        users.create_user(
            actor=admin, username="lain", full_name="Lain", role="guru", email="BUDI@sekolah.sch.id"
        )
    bad = [
        ({"username": "", "full_name": "A", "role": "guru"}, "Nama pengguna wajib"),
        ({"username": "a b", "full_name": "A", "role": "guru"}, "huruf, angka"),
        ({"username": "a1", "full_name": "", "role": "guru"}, "Nama lengkap wajib"),
        ({"username": "a1", "full_name": "A", "role": "murid"}, "Peran tidak dikenal"),
        ({"username": "a1", "full_name": "A", "role": "siswa", "grade": "12"}, "Kelas wajib"),
        (
            {"username": "a1", "full_name": "A", "role": "siswa", "class_name": "X-1"},
            "Tingkat wajib",
        ),
        (
            {"username": "a1", "full_name": "A", "role": "siswa", "class_name": "X", "grade": 9},
            "10, 11 atau 12",
        ),
        ({"username": "a1", "full_name": "A", "role": "guru", "grade": "12"}, "hanya diisi"),
        ({"username": "a1", "full_name": "A", "role": "guru", "email": "bukan-email"}, "email"),
        ({"username": "a1", "full_name": "A", "role": "guru", "password": "pendek"}, "minimal 8"),
    ]
    for fields, message in bad:
        with pytest.raises(InvalidInput, match=message):
            users.create_user(actor=admin, **fields)  # type: ignore[arg-type]
    assert _count(engine, "SELECT COUNT(*) FROM users") == 3


def test_import_is_all_or_nothing_and_reports_every_bad_line(engine: Engine, admin) -> None:
    auth.create_user(username="siswa05", password=PASSWORD, role="siswa")
    data = _csv(
        "siswa01,Ahmad Rizki,siswa,XII IPA 1,12,,",  # line 2: good, generated password
        "siswa02,Siti Nurhaliza,murid,XII IPA 1,12,,",  # line 3: bad role
        "siswa03,Dewi Lestari,siswa,XII IPA 1,13,,",  # line 4: bad grade
        "siswa01,Ahmad Lagi,siswa,XII IPA 1,12,,",  # line 5: duplicate in the file
        "siswa05,Eko,siswa,XII IPA 1,12,,",  # line 6: already in the database
        "guru_a,Ibu Ani,guru,,,ani@sekolah.sch.id,pendek",  # line 7: short password
        ",Tanpa Nama,siswa,XII IPA 1,12,,",  # line 8: missing username
        "guru_b,Pak Budi,guru,,,budi@sekolah.sch.id,sandi-pak-budi",  # line 9: good
    )
    report = users.import_users_csv(actor=admin, filename="kelas.csv", data=data)
    assert report.imported == 0 and report.rows == 8
    lines = {e.line: e.reason for e in report.errors}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8]
    assert "murid" in lines[3]
    assert "13" in lines[4]
    assert "baris 2" in lines[5]
    assert "sudah dipakai akun lain" in lines[6]
    assert "minimal 8" in lines[7]
    assert "username" in lines[8]
    assert str(report.errors[0]).startswith("Baris 3: ")
    assert _count(engine, "SELECT COUNT(*) FROM users") == 2  # nothing was written

    skipped = users.import_users_csv(
        actor=admin, filename="kelas.csv", data=data, skip_invalid=True
    )
    assert (skipped.imported, skipped.skipped) == (2, 6)
    assert [e.line for e in skipped.errors] == [3, 4, 5, 6, 7, 8]
    assert [c.username for c in skipped.credentials] == ["siswa01"]  # only the generated one
    new_password = skipped.credentials[0].password
    assert auth.login(username="siswa01", password=new_password).user.class_name == "XII IPA 1"
    assert auth.login(username="guru_b", password="sandi-pak-budi").user.role == "guru"
    csv_text = users.credentials_csv(skipped.credentials)
    assert f"siswa01,Ahmad Rizki,siswa,XII IPA 1,{new_password}" in csv_text

    # The same file again: every good row is now a duplicate of the database.
    again = users.import_users_csv(actor=admin, filename="kelas.csv", data=data, skip_invalid=True)
    assert again.imported == 0
    assert {2, 9} <= {e.line for e in again.errors}


def test_import_refuses_unusable_files_with_a_clear_message(engine: Engine, admin) -> None:
    cases = [
        ("users.xlsx", _csv("a1,A,guru,,,,"), "unggah berkas .csv"),
        ("users.csv", "username,full_name,role\nbudi,Budi Ä,guru\n".encode("latin-1"), "UTF-8"),
        ("users.csv", b"PK\x03\x04\x00\x00binary", "bukan CSV"),
        ("users.csv", b"username,role\nbudi,guru\n", "Kolom wajib tidak ada"),
        ("users.csv", b"username,full_name,role,kelas\nbudi,Budi,guru,X\n", "tidak dikenal"),
        ("users.csv", HEADER.encode(), "hanya baris judul"),
        ("users.csv", b"", "kosong"),
        ("users.csv", b"x" * (users.MAX_IMPORT_BYTES + 1), "terlalu besar"),
    ]
    for filename, data, message in cases:
        with pytest.raises(InvalidInput, match=message):
            users.import_users_csv(actor=admin, filename=filename, data=data)
    assert _count(engine, "SELECT COUNT(*) FROM users") == 1


def test_import_reads_excel_semicolons_and_reports_progress(engine: Engine, admin) -> None:
    data = (
        "\ufeffusername;full_name;role;class_name;grade\n"
        'siswa10;"Putri, Ayu";siswa;X MIPA 1;X\n'
        "\n"
        "siswa11;Rudi;siswa;X MIPA 1;10\n"
    ).encode()
    seen: list[tuple[int, int]] = []
    report = users.import_users_csv(
        actor=admin,
        filename="Daftar Siswa.CSV",
        data=data,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert report.ok and report.imported == 2 and len(report.credentials) == 2
    assert seen[-1] == (2, 2)
    row = users.list_users(actor=admin, search="siswa10").rows[0]
    assert (row.full_name, row.class_name, row.grade) == ("Putri, Ayu", "X MIPA 1", 10)
    # Blank lines do not shift the reported line numbers.
    bad = users.import_users_csv(
        actor=admin,
        filename="u.csv",
        data=b"username;full_name;role;class_name;grade\n\nsiswa12;A;siswa;X;99\n",
    )
    assert [e.line for e in bad.errors] == [3]


def test_role_changes_and_self_protection(engine: Engine, admin) -> None:
    siswa = auth.create_user(username="siswa1", password=PASSWORD, role="siswa", class_name="X 1")
    token = auth.login(username="siswa1", password=PASSWORD).token

    row = users.change_role(actor=admin, user_id=siswa.id, role="guru")
    assert row.role == "guru" and row.class_name == "X 1"  # kept for a change back
    # The open session sees the new role on its next request.
    assert auth.current_user(token, roles=("guru",)).role == "guru"

    with pytest.raises(Conflict, match="sendiri"):
        users.change_role(actor=admin, user_id=admin.id, role="guru")
    with pytest.raises(Conflict, match="sendiri"):
        users.deactivate_user(actor=admin, user_id=admin.id)
    with pytest.raises(Conflict, match="sendiri"):
        users.reset_password(actor=admin, user_id=admin.id)
    with pytest.raises(InvalidInput):
        users.change_role(actor=admin, user_id=siswa.id, role="root")
    with pytest.raises(NotFound):
        users.change_role(actor=admin, user_id=999_999, role="guru")

    # A second admin may be demoted while another remains...
    other = auth.create_user(username="admin2", password=PASSWORD, role="admin")
    users.change_role(actor=admin, user_id=other.id, role="guru")
    users.change_role(actor=admin, user_id=other.id, role="admin")
    # ...but never the last active admin, even by an actor the database no longer backs.
    users.deactivate_user(actor=other, user_id=admin.id)
    with pytest.raises(Conflict, match="admin aktif terakhir"):
        users.change_role(actor=admin, user_id=other.id, role="siswa")
    with pytest.raises(Conflict, match="admin aktif terakhir"):
        users.deactivate_user(actor=admin, user_id=other.id)
    assert _count(engine, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND is_active") == 1


def test_deactivation_ends_sessions_and_refuses_login(engine: Engine, admin) -> None:
    auth.create_user(username="siswa1", password=PASSWORD, role="siswa")
    first = auth.login(username="siswa1", password=PASSWORD).token
    second = auth.login(username="siswa1", password=PASSWORD).token
    user_id = auth.current_user(first).id

    result = users.deactivate_user(actor=admin, user_id=user_id)
    assert result.sessions_ended == 2 and not result.user.is_active
    for token in (first, second):
        with pytest.raises(NotAuthenticated):
            auth.current_user(token)
    with pytest.raises(AuthenticationFailed, match="tidak aktif"):
        auth.login(username="siswa1", password=PASSWORD)
    assert _count(engine, "SELECT COUNT(*) FROM sessions WHERE user_id = :u", u=user_id) == 0

    assert users.reactivate_user(actor=admin, user_id=user_id).is_active
    assert auth.login(username="siswa1", password=PASSWORD).user.id == user_id


def test_password_reset_logs_out_and_lifts_a_lockout(engine: Engine, admin) -> None:
    auth.create_user(username="siswa1", password=PASSWORD, role="siswa")
    old_token = auth.login(username="siswa1", password=PASSWORD).token
    user_id = auth.current_user(old_token).id
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login(username="siswa1", password="salah-salah")

    with pytest.raises(InvalidInput, match="minimal 8"):
        users.reset_password(actor=admin, user_id=user_id, new_password="pendek")
    typed = users.reset_password(actor=admin, user_id=user_id, new_password="sandi-baru-123")
    assert (typed.generated, typed.sessions_ended) == (False, 1)
    with pytest.raises(NotAuthenticated):
        auth.current_user(old_token)
    with pytest.raises(AuthenticationFailed):
        auth.login(username="siswa1", password=PASSWORD)
    assert auth.login(username="siswa1", password="sandi-baru-123").user.id == user_id

    generated = users.reset_password(actor=admin, user_id=user_id)
    assert generated.generated and generated.sessions_ended == 1
    assert auth.login(username="siswa1", password=generated.password).user.id == user_id


def test_the_download_template_imports_as_is(engine: Engine, session: Session, admin) -> None:
    """The template the page offers is built from the importer's columns: its two rows (a
    siswa, and a guru with classes) import cleanly with generated passwords."""
    text = users.csv_template()
    assert tuple(text.lstrip("\ufeff").splitlines()[0].split(",")) == users.CSV_COLUMNS
    assert "'" not in text  # nothing went through the export formula guard
    report = users.import_users_csv(
        actor=admin, filename=users.TEMPLATE_FILENAME, data=text.encode("utf-8")
    )
    assert report.errors == () and report.imported == 2
    assert {c.username for c in report.credentials} == {"siti.rahmawati", "budi.santoso"}
    assert (
        _count(
            engine,
            "SELECT COUNT(*) FROM class_assignments a JOIN users u ON u.id = a.teacher_id "
            "WHERE u.username = 'budi.santoso'",
        )
        == 2
    )
    siti = _count(
        engine, "SELECT grade FROM users WHERE username = 'siti.rahmawati' AND role = 'siswa'"
    )
    assert siti == 12


def test_every_missing_and_unknown_column_is_named_at_once(engine: Engine, admin) -> None:
    data = b"username,ful_name,peran\nbudi,Budi,guru\n"
    with pytest.raises(InvalidInput) as caught:
        users.import_users_csv(actor=admin, filename="users.csv", data=data)
    message = caught.value.message
    assert "Kolom wajib tidak ada di baris judul: full_name, role." in message
    assert "Kolom tidak dikenal: ful_name, peran." in message
    assert _count(engine, "SELECT COUNT(*) FROM users") == 1
