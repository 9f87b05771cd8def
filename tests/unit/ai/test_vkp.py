"""Knowledge packages: build, versioning, atomic swap, export/import, corrupt files.

These use the model-free HashingEmbedder (the real embedders have their twin tests in
test_embedder.py and the gold-set test), so they run in about a second.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from nexus_app.ai.embedder import HashingEmbedder
from nexus_app.ai.pdftext import Page
from nexus_app.ai.vkp import (
    CorruptPackage,
    PackageNotFound,
    build_package,
    current_version,
    export_package,
    import_package,
    list_books,
    list_versions,
    load_current,
    load_package,
    make_book_key,
    prune_versions,
    set_current,
)

from .test_pdftext import make_text_pdf

EMB = HashingEmbedder()


def book_text(extra: str = "") -> str:
    return (
        "# Matematika\n\n<!-- halaman 1 -->\n## Bab 1 Eksponen\n\n"
        "Eksponen adalah perkalian berulang dari bilangan yang sama. "
        * 8
        + "\n\n<!-- halaman 2 -->\n## Bab 2 Logaritma\n\n"
        + "Logaritma adalah kebalikan dari eksponen. " * 8
        + extra
    )


def write_book(tmp_path: Path, text: str, name: str = "mat.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def build(src: Path | list[Page], root: Path, **kw: object):  # type: ignore[no-untyped-def]
    return build_package(
        src,
        root=root,
        subject="MAT_10",
        title="Matematika",
        embedder=EMB,
        **kw,  # type: ignore[arg-type]
    )


def test_first_build_is_1_0_0_with_a_complete_manifest(tmp_path: Path) -> None:
    root = tmp_path / "vkp"
    stages: list[tuple[str, int, int]] = []
    res = build(
        write_book(tmp_path, book_text()), root, progress=lambda s, d, t: stages.append((s, d, t))
    )
    m = res.manifest
    assert res.created and m.version == "1.0.0"
    assert m.subject == "MAT_10" and m.title == "Matematika" and m.embedder == EMB.name
    assert m.chunk_count == len(load_package(res.path).chunks) >= 2
    assert len(m.source_sha256) == 64 and m.format_version == 1 and m.created_at
    assert set(m.files) >= {"chunks.jsonl", "embeddings.npy", "index.hnsw"}
    assert any(f.startswith("bm25/") for f in m.files)
    assert current_version(res.path.parent) == "1.0.0"
    names = [s for s, _, _ in stages]
    assert names[0] == "extract" and names[-1] == "done"
    assert {"chunk", "embed", "index", "write"} <= set(names)
    embed = [(d, t) for s, d, t in stages if s == "embed"]
    assert embed[-1][0] == embed[-1][1] == m.chunk_count
    pkg = load_current(res.path.parent)
    pkg.verify()
    chunk = pkg.chunks[0]
    assert chunk.page == 1 and chunk.heading == "Bab 1 Eksponen"


def test_same_content_keeps_version_changed_content_bumps_minor(tmp_path: Path) -> None:
    root = tmp_path / "vkp"
    first = build(write_book(tmp_path, book_text()), root)
    again = build(write_book(tmp_path, book_text()), root)
    assert not again.created and again.manifest == first.manifest and again.path == first.path
    changed = build(write_book(tmp_path, book_text("Tambahan satu kalimat baru.")), root)
    assert changed.created and changed.manifest.version == "1.1.0"
    assert current_version(root / first.manifest.book_key) == "1.1.0"
    # Same content again after the change: no new version.
    assert (
        build(write_book(tmp_path, book_text("Tambahan satu kalimat baru.")), root).manifest.version
        == "1.1.0"
    )
    # Same content, different embedder settings: a re-index, patch bump.
    reindexed = build_package(
        write_book(tmp_path, book_text("Tambahan satu kalimat baru.")),
        root=root,
        subject="MAT_10",
        title="Matematika",
        embedder=HashingEmbedder(dim=128),
    )
    assert reindexed.manifest.version == "1.1.1"
    assert list_versions(root / first.manifest.book_key) == ["1.0.0", "1.1.0", "1.1.1"]


def test_pages_as_source_and_pdf_source(tmp_path: Path) -> None:
    root = tmp_path / "vkp"
    pages = [Page(1, "## Bab\n\n" + "Fungsi adalah relasi khusus. " * 10)]
    assert build(pages, root).manifest.version == "1.0.0"
    pdf = tmp_path / "buku.pdf"
    pdf.write_bytes(make_text_pdf([["BAB 1 Fungsi", "Fungsi adalah relasi khusus."] * 5]))
    res = build_package(pdf, root=root, subject="MAT_10", title="PDF", embedder=EMB)
    assert res.manifest.source_name == "buku.pdf" and res.manifest.chunk_count >= 1


class Boom(RuntimeError):
    pass


class FailingEmbedder(HashingEmbedder):
    def embed_passages(self, texts):  # type: ignore[no-untyped-def]
        raise Boom("embedding failed")


def test_failed_build_leaves_previous_version_serving_and_no_debris(tmp_path: Path) -> None:
    root = tmp_path / "vkp"
    first = build(write_book(tmp_path, book_text()), root)
    with pytest.raises(Boom):
        build_package(
            write_book(tmp_path, book_text("Isi baru.")),
            root=root,
            subject="MAT_10",
            title="Matematika",
            embedder=FailingEmbedder(),
        )
    book = first.path.parent
    assert current_version(book) == "1.0.0"
    assert list_versions(book) == ["1.0.0"]
    assert not list(book.glob(".build-*"))
    load_current(book).verify()


def test_readers_keep_the_old_version_until_the_swap(tmp_path: Path) -> None:
    root = tmp_path / "vkp"
    first = build(write_book(tmp_path, book_text()), root)
    book = first.path.parent
    seen: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        # While the new version is being written, a reader still gets the old one, whole.
        if stage in ("embed", "index", "write") and done < total:
            pkg = load_current(book)
            seen.append(pkg.manifest.version)

    res = build(write_book(tmp_path, book_text("Isi baru.")), root, progress=progress)
    assert seen and set(seen) == {"1.0.0"}
    assert load_current(book).manifest.version == res.manifest.version == "1.1.0"


def test_set_current_rollback_prune_and_list_books(tmp_path: Path) -> None:
    root = tmp_path / "vkp"
    first = build(write_book(tmp_path, book_text()), root)
    build(write_book(tmp_path, book_text("v2")), root)
    build(write_book(tmp_path, book_text("v3")), root)
    book = first.path.parent
    set_current(book, "1.0.0")
    assert load_current(book).manifest.version == "1.0.0"
    with pytest.raises(PackageNotFound):
        set_current(book, "9.9.9")
    removed = prune_versions(book, keep=1)
    assert removed == ["1.1.0"]  # 1.0.0 survives because it is current
    assert list_versions(book) == ["1.0.0", "1.2.0"]
    build_package(
        write_book(tmp_path, book_text(), "inf.md"),
        root=root,
        subject="INF_10",
        title="Informatika",
        embedder=EMB,
    )
    assert [m.subject for m in list_books(root)] == ["INF_10", "MAT_10"]
    assert [m.title for m in list_books(root, "INF_10")] == ["Informatika"]
    assert make_book_key("MAT_10", "Matematika Kelas 10!") == "mat-10-matematika-kelas-10"


def test_export_import_round_trip(tmp_path: Path) -> None:
    src_root, dst_root = tmp_path / "a", tmp_path / "b"
    res = build(write_book(tmp_path, book_text()), src_root)
    file = export_package(res.path.parent, tmp_path / "out")
    assert file.suffix == ".vkp" and file.is_file()
    imported = import_package(file, dst_root)
    assert imported.created and imported.made_current
    assert imported.manifest == res.manifest
    a, b = load_current(res.path.parent), load_current(dst_root / res.manifest.book_key)
    assert [c.to_dict() for c in a.chunks] == [c.to_dict() for c in b.chunks]
    np.testing.assert_array_equal(a.embeddings, b.embeddings)
    q = EMB.embed_queries(["kebalikan eksponen"])[0]
    assert a.search_dense(q, 3)[0].tolist() == b.search_dense(q, 3)[0].tolist()
    # Importing the same file again changes nothing.
    again = import_package(file, dst_root)
    assert not again.created and not again.made_current


def test_import_of_newer_version_switches_older_does_not(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    v1 = build(write_book(tmp_path, book_text()), src)
    f1 = export_package(v1.path, tmp_path / "v1.vkp")
    v2 = build(write_book(tmp_path, book_text("baru")), src)
    f2 = export_package(v2.path, tmp_path / "v2.vkp")
    book = dst / v1.manifest.book_key
    assert import_package(f2, dst).made_current
    r1 = import_package(f1, dst)
    assert r1.created and not r1.made_current
    assert current_version(book) == "1.1.0"
    assert import_package(f1, dst, make_current=True).made_current
    assert current_version(book) == "1.0.0"


def _members(file: Path) -> dict[str, bytes]:
    with tarfile.open(file, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def _write_tar(path: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
    return path


def _tamper_chunk(m: dict[str, bytes]) -> dict[str, bytes]:
    m = dict(m)
    m["chunks.jsonl"] = m["chunks.jsonl"].replace(b"Eksponen", b"Palsu!!!", 1)
    return m


def _forge_manifest(m: dict[str, bytes], **changes: object) -> dict[str, bytes]:
    m = dict(m)
    data = json.loads(m["manifest.json"])
    data.update(changes)
    m["manifest.json"] = json.dumps(data).encode()
    return m


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("garbage", "bukan file paket"),
        ("truncated", "rusak|terpotong|bukan file"),
        ("tampered_chunk", "checksum chunks.jsonl"),
        ("traversal", "tidak aman"),
        ("symlink", "link"),
        ("no_manifest", "tidak ada manifest"),
        ("extra_member", "daftar file"),
        ("future_format", "tidak didukung"),
        ("bad_version", "semver"),
        ("unsafe_key", "book_key"),
        ("count_mismatch", "tidak cocok"),
    ],
)
def test_corrupt_or_forged_files_are_refused_and_leave_nothing(
    tmp_path: Path, case: str, message: str
) -> None:
    res = build(write_book(tmp_path, book_text()), tmp_path / "src")
    good = export_package(res.path, tmp_path / "good.vkp")
    members = _members(good)
    bad = tmp_path / "bad.vkp"
    if case == "garbage":
        bad.write_bytes(b"\x00not a tar at all" * 100)
    elif case == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif case == "tampered_chunk":
        _write_tar(bad, _tamper_chunk(members))
    elif case == "traversal":
        _write_tar(bad, {**members, "../../evil.txt": b"x"})
    elif case == "symlink":
        _write_tar(bad, members, symlink="bm25/link")
    elif case == "no_manifest":
        _write_tar(bad, {k: v for k, v in members.items() if k != "manifest.json"})
    elif case == "extra_member":
        _write_tar(bad, {**members, "extra.txt": b"x"})
    elif case == "future_format":
        _write_tar(bad, _forge_manifest(members, format_version=99))
    elif case == "bad_version":
        _write_tar(bad, _forge_manifest(members, version="1.0"))
    elif case == "unsafe_key":
        _write_tar(bad, _forge_manifest(members, book_key="../etc"))
    elif case == "count_mismatch":
        _write_tar(bad, _forge_manifest(members, chunk_count=999))
    dst = tmp_path / "dst"
    with pytest.raises(CorruptPackage, match=message):
        import_package(bad, dst)
    leftovers = (
        [p for p in dst.rglob("*") if p.name != ".lock" and p.is_file()] if dst.exists() else []
    )
    assert leftovers == []


def test_import_refuses_same_version_with_different_content(tmp_path: Path) -> None:
    a = build(write_book(tmp_path, book_text()), tmp_path / "a")
    b = build(write_book(tmp_path, book_text("lain")), tmp_path / "b")  # also 1.0.0 there
    import_package(export_package(a.path, tmp_path / "a.vkp"), tmp_path / "dst")
    with pytest.raises(CorruptPackage, match="sudah ada"):
        import_package(export_package(b.path, tmp_path / "b.vkp"), tmp_path / "dst")
    assert current_version(tmp_path / "dst" / a.manifest.book_key) == "1.0.0"


def test_damaged_installed_package_is_detected(tmp_path: Path) -> None:
    res = build(write_book(tmp_path, book_text()), tmp_path / "vkp")
    (res.path / "chunks.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(CorruptPackage):
        load_package(res.path)
    with pytest.raises(CorruptPackage):
        export_package(res.path, tmp_path / "x.vkp")
    shutil.rmtree(res.path / "bm25")
    with pytest.raises(CorruptPackage):
        load_package(res.path, verify=True)


def _replace_member(members: dict[str, bytes], name: str, data: bytes) -> dict[str, bytes]:
    """A consistent forgery: the file and its checksum in the manifest both changed."""
    m = dict(members)
    m[name] = data
    manifest = json.loads(m["manifest.json"])
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    m["manifest.json"] = json.dumps(manifest).encode()
    return m


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def test_a_foreign_index_is_never_loaded_but_rebuilt(tmp_path: Path) -> None:
    res = build(write_book(tmp_path, book_text()), tmp_path / "src")
    members = _members(export_package(res.path, tmp_path / "good.vkp"))
    # Correctly listed and checksummed, yet not an hnswlib index at all: native code that
    # trusted it would read out of bounds. Here it is never even written to disk.
    hostile = b"\xff" * 4096
    forged = _write_tar(tmp_path / "forged.vkp", _replace_member(members, "index.hnsw", hostile))
    imported = import_package(forged, tmp_path / "dst")
    installed = imported.path / "index.hnsw"
    assert installed.read_bytes() != hostile
    assert (
        imported.manifest.files["index.hnsw"] == hashlib.sha256(installed.read_bytes()).hexdigest()
    )
    package = load_package(imported.path, verify=True)
    q = EMB.embed_queries(["kebalikan eksponen"])[0]
    assert package.search_dense(q, 3)[0].tolist() == package.search_exact(q, 3)[0].tolist()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("nan", "NaN"),
        ("float64", "float32"),
        ("short", "float32"),
        ("not_normalised", "ternormalisasi"),
        ("pickle", "tidak terbaca"),
    ],
)
def test_embeddings_are_checked_before_indexing(tmp_path: Path, case: str, message: str) -> None:
    res = build(write_book(tmp_path, book_text()), tmp_path / "src")
    members = _members(export_package(res.path, tmp_path / "good.vkp"))
    good = np.load(io.BytesIO(members["embeddings.npy"]), allow_pickle=False)
    if case == "nan":
        bad = good.copy()
        bad[0, 0] = np.nan
        data = _npy(bad)
    elif case == "float64":
        data = _npy(good.astype(np.float64))
    elif case == "short":
        data = _npy(good[:-1])
    elif case == "not_normalised":
        data = _npy(good * 3)
    else:
        buffer = io.BytesIO()
        np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        data = buffer.getvalue()
    bad_file = _write_tar(tmp_path / "bad.vkp", _replace_member(members, "embeddings.npy", data))
    with pytest.raises(CorruptPackage, match=message):
        import_package(bad_file, tmp_path / "dst")
    leftovers = [p for p in (tmp_path / "dst").rglob("*") if p.is_file() and p.name != ".lock"]
    assert leftovers == []
