"""Export one version as a `.vkp` file and import one safely (indexes rebuilt, never loaded)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import uuid
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from nexus_app.ai.chunking import (
    Chunk,
)

from .indexes import _bm25_params, _build_bm25, _build_hnsw
from .manifest import (
    _MAX_MEMBERS,
    _MAX_TOTAL_BYTES,
    BM25_DIR,
    CHUNKS,
    EMBEDDINGS,
    EXPORT_SUFFIX,
    HNSW_FILE,
    MANIFEST,
    CorruptPackage,
    HnswParams,
    ImportResult,
    Manifest,
    PackageNotFound,
    _check_member_name,
    _fsync_dir,
    _fsync_tree,
    _hash_tree,
    _verify_files,
)
from .store import (
    _book_lock,
    _parse_semver,
    _read_manifest,
    _write_json_atomic,
    book_dir,
    current_version,
    load_package,
    set_current,
)


def export_package(source: str | Path, dest: str | Path) -> Path:
    """Write one version folder (or a book folder's current version) to a ``.vkp`` file.

    The file is written to a temp name and renamed, so a crash never leaves a partial export.
    Returns the path written (``.vkp`` is appended when ``dest`` has no suffix).
    """
    source = Path(source)
    if not (source / MANIFEST).is_file():
        version = current_version(source)
        if version is None:
            raise PackageNotFound(f"tidak ada paket di {source}")
        source = source / version
    manifest = _read_manifest(source)
    _verify_files(source, manifest)
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"{manifest.book_key}-{manifest.version}{EXPORT_SUFFIX}"
    elif not dest.suffix:
        dest = dest.with_suffix(EXPORT_SUFFIX)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".export-", suffix=EXPORT_SUFFIX, dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            # Manifest first, so an importer can reject a wrong package before reading the rest.
            for name in [MANIFEST, *sorted(manifest.files)]:
                info = tar.gettarinfo(str(source / name), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o644
                with open(source / name, "rb") as fh:
                    tar.addfile(info, fh)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return dest


def _checked_members(tar: tarfile.TarFile, file_name: str) -> dict[str, tarfile.TarInfo]:
    """The package's regular files by safe name; anything else (links, devices, duplicate or
    unsafe names, too many members or bytes) refuses the whole file."""
    try:
        members = tar.getmembers()
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise CorruptPackage(f"{file_name} rusak atau terpotong ({exc})") from exc
    if not members or len(members) > _MAX_MEMBERS:
        raise CorruptPackage(f"{file_name}: jumlah isi paket tidak wajar")
    total = 0
    by_name: dict[str, tarfile.TarInfo] = {}
    for m in members:
        if m.isdir():
            _check_member_name(m.name.rstrip("/"))
            continue
        if not m.isfile():
            raise CorruptPackage(f"{file_name}: berisi link atau file khusus ({m.name!r})")
        name = _check_member_name(m.name)
        if name in by_name:
            raise CorruptPackage(f"{file_name}: file ganda {name!r}")
        total += m.size
        by_name[name] = m
    if total > _MAX_TOTAL_BYTES:
        raise CorruptPackage(f"{file_name}: paket terlalu besar")
    return by_name


def import_package(
    file: str | Path, root: str | Path, *, make_current: bool | None = None
) -> ImportResult:
    """Install a ``.vkp`` file under ``root``; all-or-nothing.

    Checks: readable gzip tar; only regular files with safe names; a valid manifest of a
    supported format; the member list equals the manifest's file list; every sha256 matches;
    the package loads and its counts agree. Any failure raises :class:`CorruptPackage` and
    leaves nothing behind. The version becomes current when it is newer than the current one
    (or when ``make_current`` is True; ``False`` never switches).
    """
    file = Path(file)
    try:
        # Opened apart from the `with` below so that open errors become CorruptPackage.
        tar = tarfile.open(file, mode="r:gz")  # noqa: SIM115 - closed by `with tar:` below
    except FileNotFoundError:
        raise
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise CorruptPackage(f"{file.name} bukan file paket VKP yang valid ({exc})") from exc

    with tar:
        by_name = _checked_members(tar, file.name)
        if MANIFEST not in by_name:
            raise CorruptPackage(f"{file.name}: tidak ada manifest.json")
        manifest = Manifest.from_dict(_read_member_json(tar, by_name[MANIFEST]))
        if set(by_name) - {MANIFEST} != set(manifest.files):
            raise CorruptPackage(f"{file.name}: daftar file tidak sama dengan manifest")

        book = book_dir(root, manifest.book_key)
        with _book_lock(book):
            final = book / manifest.version
            if (final / MANIFEST).is_file():
                existing = _read_manifest(final)
                # The indexes installed here are rebuilt ones: compare the content only.
                if _content_files(existing.files) == _content_files(manifest.files):
                    switched = _maybe_switch(book, manifest.version, make_current)
                    return ImportResult(existing, final, False, switched)
                raise CorruptPackage(
                    f"versi {manifest.version} buku {manifest.book_key} sudah ada dengan isi "
                    "berbeda; paket ditolak"
                )
            tmp = book / f".import-{uuid.uuid4().hex}"
            tmp.mkdir(parents=True)
            try:
                for name, member in by_name.items():
                    if _derived(name):
                        continue  # a foreign index never reaches the disk, let alone hnswlib
                    target = tmp / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    digest = _extract_member(tar, member, target)
                    if name != MANIFEST and digest != manifest.files[name]:
                        raise CorruptPackage(
                            f"{file.name}: checksum {name} tidak cocok (file rusak atau diubah)"
                        )
                try:
                    manifest = _rebuild_indexes(tmp, manifest)
                    load_package(tmp)  # the counts, the index and BM25 must load
                except CorruptPackage:
                    raise
                except Exception as exc:
                    raise CorruptPackage(f"{file.name}: paket tidak bisa dimuat ({exc})") from exc
                _fsync_tree(tmp)
                os.rename(tmp, final)
                _fsync_dir(book)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            switched = _maybe_switch(book, manifest.version, make_current)
    return ImportResult(manifest, final, True, switched)


_MAX_CHUNKS = 2_000_000
_NORM_TOLERANCE = 0.02


def _derived(name: str) -> bool:
    """Files rebuilt from the others on import (never taken from a package file)."""
    return name in (HNSW_FILE, BM25_DIR) or name.startswith(BM25_DIR + "/")


def _content_files(files: dict[str, str]) -> dict[str, str]:
    return {name: digest for name, digest in files.items() if not _derived(name)}


def _checked_embeddings(folder: Path, manifest: Manifest, chunk_count: int) -> np.ndarray:
    """The package's embeddings, refused unless they are exactly what a build writes."""
    n = manifest.chunk_count
    if chunk_count != n or not 1 <= n <= _MAX_CHUNKS:
        raise CorruptPackage("jumlah chunk tidak cocok dengan manifest")
    try:
        embeddings = np.load(folder / EMBEDDINGS, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise CorruptPackage(f"embeddings.npy tidak terbaca: {exc}") from exc
    if embeddings.dtype != np.float32 or embeddings.shape != (n, manifest.dim):
        raise CorruptPackage(
            f"embeddings.npy harus float32 berukuran ({n}, {manifest.dim}), "
            f"bukan {embeddings.dtype} {embeddings.shape}"
        )
    values = np.ascontiguousarray(embeddings, dtype=np.float32)
    if not np.isfinite(values).all():
        raise CorruptPackage("embeddings.npy berisi NaN atau tak hingga")
    norms = np.linalg.norm(values, axis=1)
    if np.abs(norms - 1.0).max() > _NORM_TOLERANCE:
        raise CorruptPackage("embeddings.npy tidak ternormalisasi (panjang vektor harus 1)")
    return values


def _rebuild_indexes(folder: Path, manifest: Manifest) -> Manifest:
    """Build index.hnsw and bm25/ here from the checked embeddings and chunks, and write
    the manifest that lists them. Returns that manifest."""
    try:
        chunks = [
            Chunk.from_dict(json.loads(line))
            for line in (folder / CHUNKS).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CorruptPackage(f"chunks.jsonl tidak terbaca: {exc}") from exc
    if [c.id for c in chunks] != list(range(len(chunks))):
        raise CorruptPackage("id chunk tidak berurutan")
    embeddings = _checked_embeddings(folder, manifest, len(chunks))
    (folder / HNSW_FILE).unlink(missing_ok=True)
    shutil.rmtree(folder / BM25_DIR, ignore_errors=True)
    params = HnswParams()
    _build_hnsw(embeddings, params).save_index(str(folder / HNSW_FILE))
    _build_bm25(chunks, _bm25_params()).save(str(folder / BM25_DIR), show_progress=False)
    rebuilt = replace(
        manifest, hnsw=params.as_dict(), bm25=_bm25_params(), files=_hash_tree(folder)
    )
    _write_json_atomic(folder / MANIFEST, rebuilt.to_dict())
    return rebuilt


def _maybe_switch(book: Path, version: str, make_current: bool | None) -> bool:
    current = current_version(book)
    if make_current is False or current == version:
        return False
    if make_current or current is None or _parse_semver(version) > _parse_semver(current):
        set_current(book, version)
        return True
    return False


def _read_member_json(tar: tarfile.TarFile, member: tarfile.TarInfo) -> Any:
    if member.size > 1024 * 1024:
        raise CorruptPackage("manifest.json terlalu besar")
    try:
        fh = tar.extractfile(member)
        if fh is None:
            raise CorruptPackage("manifest.json tidak terbaca")
        return json.loads(fh.read().decode("utf-8"))
    except (tarfile.TarError, OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise CorruptPackage(f"manifest.json tidak terbaca: {exc}") from exc


def _extract_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    digest = hashlib.sha256()
    try:
        src = tar.extractfile(member)
        if src is None:
            raise CorruptPackage(f"{member.name} tidak terbaca")
        with src, open(target, "wb") as out:
            while block := src.read(1 << 20):
                digest.update(block)
                out.write(block)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise CorruptPackage(f"{member.name} rusak atau terpotong ({exc})") from exc
    return digest.hexdigest()


# Re-exported for callers that want to read a manifest without loading indexes.
def read_manifest(folder: str | Path) -> Manifest:
    return _read_manifest(Path(folder))
