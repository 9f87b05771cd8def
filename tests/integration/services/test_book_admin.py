"""The admin's book section on both databases: staged uploads with size and type limits,
ingestion with progress, package versions, export and import of .vkp files.

Uses the real default embedder on a small Markdown book written here (a few seconds)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app import config
from nexus_app.services import auth, books, subjects
from nexus_app.services.auth import CurrentUser
from nexus_app.services.books import uploads as book_uploads
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied

BOOK = """# Ekonomi Dasar

<!-- halaman 1 -->
## Bab 1 Kebutuhan

### Kebutuhan primer
Kebutuhan primer adalah kebutuhan pokok seperti pangan, sandang dan papan. Tanpa kebutuhan
primer manusia tidak dapat hidup layak, sehingga kebutuhan ini dipenuhi lebih dahulu.

### Kebutuhan sekunder
Kebutuhan sekunder melengkapi kebutuhan primer, misalnya televisi atau sepeda motor.
Kebutuhan ini dipenuhi setelah kebutuhan pokok tercukupi.

<!-- halaman 2 -->
## Bab 2 Pasar

### Pengertian pasar
Pasar adalah tempat bertemunya penjual dan pembeli untuk melakukan transaksi barang dan jasa.

### Harga keseimbangan
Harga keseimbangan terbentuk ketika jumlah barang yang diminta sama dengan jumlah barang yang
ditawarkan oleh produsen di pasar.
"""
MORE = "\n### Fungsi uang\nUang berfungsi sebagai alat tukar, satuan hitung dan penyimpan nilai.\n"
STAGES = ["model", "extract", "chunk", "embed", "index", "write", "done"]


@pytest.fixture
def actors(engine: Engine) -> dict[str, CurrentUser]:
    subjects.create_subject(grade=10, name="Ekonomi", code="EKO_10")
    return {
        role: auth.create_user(username=f"{role}1", password="kata-sandi-1", role=role)
        for role in ("admin", "guru", "siswa")
    }


def _stage(admin: CurrentUser, name: str, data: bytes, kind: books.UploadKind = "book"):
    return books.stage_upload(actor=admin, filename=name, source=io.BytesIO(data), kind=kind)


def _ingest(admin: CurrentUser, text: str, title: str = "Ekonomi Dasar"):
    staged = _stage(admin, "ekonomi dasar.md", text.encode())
    updates = list(
        books.ingest_staged(actor=admin, path=staged.path, subject_code="EKO_10", title=title)
    )
    return staged, updates


def _staging_is_empty() -> bool:
    root = books.staging_root()
    return not root.exists() or not any(root.iterdir())


def _rows(engine: Engine, sql: str) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql)))


def test_ingest_reports_progress_and_removes_the_upload(engine: Engine, actors) -> None:
    staged, updates = _ingest(actors["admin"], BOOK)
    assert staged.filename == "ekonomi-dasar.md" and staged.size == len(BOOK.encode())
    stages = [u.stage for u in updates]
    assert [s for s in STAGES if s in stages] == STAGES  # every stage, in order
    assert sorted(set(stages), key=stages.index) == STAGES
    percents = [u.percent for u in updates]
    assert percents == sorted(percents) and percents[0] < 10 and percents[-1] == 100
    embeds = [u for u in updates if u.stage == "embed"]
    assert embeds[-1].done == embeds[-1].total > 0 and "bagian" in embeds[-1].label
    result = updates[-1].result
    assert result is not None and result.version == "1.0.0" and result.chunk_count >= 2
    assert all(u.result is None for u in updates[:-1])
    assert not Path(staged.path).exists() and _staging_is_empty()
    row = _rows(engine, "SELECT title, filename, vkp_version, chunk_count FROM books")[0]
    assert tuple(row) == ("Ekonomi Dasar", "ekonomi-dasar.md", "1.0.0", result.chunk_count)


def test_versions_are_listed_and_an_older_one_can_be_made_current(engine: Engine, actors) -> None:
    admin = actors["admin"]
    _ingest(admin, BOOK)
    _, updates = _ingest(admin, BOOK + MORE)
    bumped = updates[-1].result
    assert bumped is not None and bumped.version == "1.1.0"
    [book] = books.admin_list_books(actor=admin)
    assert (book.title, book.subject_code, book.grade) == ("Ekonomi Dasar", "EKO_10", 10)
    assert book.current_version == "1.1.0" and book.chunk_count == bumped.chunk_count
    assert [(v.version, v.is_current) for v in book.versions] == [
        ("1.1.0", True),
        ("1.0.0", False),
    ]
    newest, oldest = book.versions
    assert newest.chunk_count == bumped.chunk_count > oldest.chunk_count >= 2
    assert newest.created_at.endswith("WIB") and newest.size_bytes > 0 and oldest.page_count == 2

    books.admin_set_current_version(actor=admin, book_id=book.book_id, version="1.0.0")
    [book] = books.admin_list_books(actor=admin)
    assert book.current_version == "1.0.0" and book.chunk_count == oldest.chunk_count
    assert [v.version for v in book.versions if v.is_current] == ["1.0.0"]
    assert books.list_books("EKO_10")[0].version == "1.0.0"  # what the tutor loads
    with pytest.raises(NotFound):
        books.admin_set_current_version(actor=admin, book_id=book.book_id, version="9.9.9")


def test_an_empty_pdf_is_refused_and_changes_nothing(engine: Engine, actors) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    blank = io.BytesIO()
    writer.write(blank)
    admin = actors["admin"]
    staged = _stage(admin, "pindaian.pdf", blank.getvalue())
    updates = books.ingest_staged(
        actor=admin, path=staged.path, subject_code="EKO_10", title="Pindaian"
    )
    with pytest.raises(InvalidInput, match="tidak memiliki lapisan teks"):
        list(updates)
    assert _rows(engine, "SELECT id FROM books") == []
    assert books.admin_list_books(actor=admin) == []
    packages = books.packages_root()
    assert not packages.exists() or not any(packages.iterdir())
    assert _staging_is_empty()


def test_uploads_over_the_limit_or_of_the_wrong_kind_are_refused(
    engine: Engine, actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = actors["admin"]
    monkeypatch.setattr(book_uploads, "MAX_UPLOAD_BYTES", 2 * 1024 * 1024)
    big = b"a" * (2 * 1024 * 1024 + 1)
    with pytest.raises(InvalidInput, match="terlalu besar: ukuran maksimal 2 MB"):
        _stage(admin, "besar.txt", big)
    with pytest.raises(InvalidInput, match="terlalu besar"):
        books.stage_upload(
            actor=admin,
            filename="besar.txt",
            source=io.BytesIO(b"kecil"),
            declared_size=len(big),
        )
    with pytest.raises(InvalidInput, match="tidak didukung"):
        _stage(admin, "buku.docx", b"PK\x03\x04")
    with pytest.raises(InvalidInput, match=r"\.vkp"):
        _stage(admin, "paket.zip", b"PK\x03\x04", kind="package")
    with pytest.raises(InvalidInput, match="kosong"):
        _stage(admin, "kosong.md", b"")
    assert _staging_is_empty()
    with pytest.raises(NotFound, match="unggah ulang"):
        books.ingest_staged(
            actor=admin, path="/etc/passwd", subject_code="EKO_10", title="Bukan unggahan"
        )


def _retar(source: bytes, change: dict[str, bytes]) -> bytes:
    """The same package with some members' bytes replaced (the manifest kept as it was)."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(source), mode="r:gz") as tar,
        tarfile.open(fileobj=out, mode="w:gz") as new,
    ):
        for member in tar.getmembers():
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            data = change.get(member.name, data)
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    return out.getvalue()


def test_export_then_import_round_trip_and_bad_packages(
    engine: Engine, actors, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = actors["admin"]
    _ingest(admin, BOOK)
    [book] = books.admin_list_books(actor=admin)
    package = books.admin_export_package(actor=admin, book_id=book.book_id)
    assert package.filename == "eko-10-ekonomi-dasar-1.0.0.vkp" and package.version == "1.0.0"
    assert package.data[:2] == b"\x1f\x8b"  # gzip

    # Another school's server: same database schema, empty data folder and no book row.
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path / "sekolah-lain"))
    config.get_settings.cache_clear()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM books"))

    with tarfile.open(fileobj=io.BytesIO(package.data), mode="r:gz") as tar:
        chunks = tar.extractfile("chunks.jsonl").read()  # type: ignore[union-attr]
    forged = _retar(package.data, {"chunks.jsonl": chunks.replace(b"Pasar", b"Pajak")})
    with pytest.raises(InvalidInput, match=r"checksum chunks\.jsonl tidak cocok"):
        books.admin_import_package(actor=admin, path=_stage(admin, "p.vkp", forged, "package").path)
    truncated = package.data[: len(package.data) // 2]
    with pytest.raises(InvalidInput, match="rusak"):
        books.admin_import_package(
            actor=admin, path=_stage(admin, "p.vkp", truncated, "package").path
        )
    with pytest.raises(InvalidInput, match="bukan paket"):
        books.admin_import_package(
            actor=admin, path=_stage(admin, "p.vkp", b"bukan tar", "package").path
        )
    assert books.admin_list_books(actor=admin) == []
    packages = books.packages_root()
    assert not packages.exists() or not [p for p in packages.iterdir() if p.is_dir()]

    result = books.admin_import_package(
        actor=admin, path=_stage(admin, "paket.vkp", package.data, "package").path
    )
    assert (result.subject, result.title, result.version) == ("EKO_10", "Ekonomi Dasar", "1.0.0")
    assert result.chunk_count == book.chunk_count and result.created
    [imported] = books.admin_list_books(actor=admin)
    assert imported.current_version == "1.0.0" and imported.chunk_count == book.chunk_count
    assert [v.version for v in imported.versions] == ["1.0.0"]
    again = books.admin_export_package(actor=admin, book_id=imported.book_id)
    assert again.filename == package.filename
    assert _staging_is_empty()


def test_importing_a_package_for_an_unknown_subject_installs_nothing(
    engine: Engine, actors
) -> None:
    admin = actors["admin"]
    _ingest(admin, BOOK)
    [book] = books.admin_list_books(actor=admin)
    package = books.admin_export_package(actor=admin, book_id=book.book_id)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM books"))
        conn.execute(sa.text("DELETE FROM subjects"))
    folder = books.packages_root() / "eko-10-ekonomi-dasar"
    import shutil

    shutil.rmtree(folder)
    with pytest.raises(NotFound, match="'EKO_10' belum ada"):
        books.admin_import_package(
            actor=admin, path=_stage(admin, "paket.vkp", package.data, "package").path
        )
    assert not folder.exists()
    assert _rows(engine, "SELECT id FROM books") == []


def test_other_roles_are_refused(engine: Engine, actors) -> None:
    admin = actors["admin"]
    _ingest(admin, BOOK)
    [book] = books.admin_list_books(actor=admin)
    staged = _stage(admin, "lagi.md", BOOK.encode())
    calls = [
        lambda a: books.admin_list_books(actor=a),
        lambda a: books.stage_upload(actor=a, filename="x.md", source=io.BytesIO(b"teks")),
        lambda a: books.ingest_staged(
            actor=a, path=staged.path, subject_code="EKO_10", title="Ekonomi"
        ),
        lambda a: books.discard_staged(actor=a, path=staged.path),
        lambda a: books.admin_export_package(actor=a, book_id=book.book_id),
        lambda a: books.admin_import_package(actor=a, path=staged.path),
        lambda a: books.admin_set_current_version(actor=a, book_id=book.book_id, version="1.0.0"),
    ]
    for role in ("guru", "siswa"):
        for call in calls:
            with pytest.raises(PermissionDenied):
                call(actors[role])
    assert Path(staged.path).is_file()  # nothing ran for them
    books.discard_staged(actor=admin, path=staged.path)
    assert _staging_is_empty()
