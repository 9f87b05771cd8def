"""Where packages live: book keys, versions, the current pointer, and loading a version."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from nexus_app.ai.chunking import (
    TOKENIZER_VERSION,
    Chunk,
)

from .indexes import _build_bm25
from .manifest import (
    _SAFE_KEY,
    _SEMVER,
    BM25_DIR,
    CHUNKS,
    CURRENT,
    EMBEDDINGS,
    HNSW_FILE,
    MANIFEST,
    CorruptPackage,
    Manifest,
    Package,
    PackageError,
    PackageNotFound,
    _fsync_dir,
    _verify_files,
)

# --- paths, versions and the current pointer --------------------------------------------------


def make_book_key(subject: str, title: str) -> str:
    """A filesystem-safe key for a book: ``"mat_10-matematika-kelas-10"``."""

    def slug(text: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")

    key = f"{slug(subject)}-{slug(title)}".strip("-")[:100] or "book"
    return key if _SAFE_KEY.match(key) else "book-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def book_dir(root: str | Path, book_key: str) -> Path:
    if not _SAFE_KEY.match(book_key):
        raise ValueError(f"unsafe book key: {book_key!r}")
    return Path(root) / book_key


def _parse_semver(version: str) -> tuple[int, int, int]:
    m = _SEMVER.match(version)
    if not m:
        raise ValueError(f"not a semantic version: {version!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def list_versions(book: Path) -> list[str]:
    """Complete version folders of a book (those with a manifest), oldest first."""
    if not book.is_dir():
        return []
    found = [p.name for p in book.iterdir() if _SEMVER.match(p.name) and (p / MANIFEST).is_file()]
    return sorted(found, key=_parse_semver)


def current_version(book: Path) -> str | None:
    try:
        data = json.loads((book / CURRENT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    if (
        isinstance(version, str)
        and _SEMVER.match(version)
        and (book / version / MANIFEST).is_file()
    ):
        return version
    return None


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def set_current(book: Path, version: str) -> None:
    """Point ``current.json`` at an installed version (also used for rollback)."""
    if not (book / version / MANIFEST).is_file():
        raise PackageNotFound(f"versi {version} tidak ada di {book}")
    _write_json_atomic(book / CURRENT, {"version": version})


@contextlib.contextmanager
def _book_lock(book: Path) -> Iterator[None]:
    book.mkdir(parents=True, exist_ok=True)
    with open(book / ".lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _read_manifest(folder: Path) -> Manifest:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackageNotFound(f"tidak ada manifest.json di {folder}") from exc
    except (OSError, ValueError) as exc:
        raise CorruptPackage(f"manifest.json tidak terbaca: {exc}") from exc
    return Manifest.from_dict(data)


def list_books(root: str | Path, subject: str | None = None) -> list[Manifest]:
    """Manifests of the current version of every book under ``root`` (optionally one subject)."""
    root = Path(root)
    out: list[Manifest] = []
    if not root.is_dir():
        return out
    for book in sorted(p for p in root.iterdir() if p.is_dir() and _SAFE_KEY.match(p.name)):
        version = current_version(book)
        if version is None:
            continue
        try:
            manifest = _read_manifest(book / version)
        except PackageError:
            continue
        if subject is None or manifest.subject == subject:
            out.append(manifest)
    return out


# --- loading -------------------------------------------------------------------------------


def load_package(folder: str | Path, *, verify: bool = False) -> Package:
    """Load one version folder. ``verify=True`` re-hashes every file first."""
    import bm25s
    import hnswlib

    folder = Path(folder)
    manifest = _read_manifest(folder)
    if verify:
        _verify_files(folder, manifest)
    try:
        chunks = [
            Chunk.from_dict(json.loads(line))
            for line in (folder / CHUNKS).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        embeddings = np.load(folder / EMBEDDINGS, allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CorruptPackage(f"isi paket {folder.name} tidak terbaca: {exc}") from exc
    n = manifest.chunk_count
    if len(chunks) != n or embeddings.shape != (n, manifest.dim):
        raise CorruptPackage(
            f"paket {folder.name}: jumlah chunk/embedding tidak cocok dengan manifest"
        )
    if [c.id for c in chunks] != list(range(n)):
        raise CorruptPackage(f"paket {folder.name}: id chunk tidak berurutan")
    index = hnswlib.Index(space="cosine", dim=manifest.dim)
    try:
        index.load_index(str(folder / HNSW_FILE), max_elements=n)
    except (RuntimeError, OSError) as exc:
        raise CorruptPackage(f"indeks hnswlib rusak: {exc}") from exc
    if index.get_current_count() != n:
        raise CorruptPackage(f"paket {folder.name}: indeks hnswlib tidak lengkap")
    index.set_num_threads(1)
    if manifest.bm25.get("tokenizer") == TOKENIZER_VERSION:
        try:
            bm25 = bm25s.BM25.load(str(folder / BM25_DIR), show_progress=False)
        except (OSError, ValueError, KeyError) as exc:
            raise CorruptPackage(f"indeks BM25 rusak: {exc}") from exc
    else:
        # Built with another tokenizer: re-index in memory (milliseconds for a book).
        bm25 = _build_bm25(chunks, manifest.bm25)
    return Package(
        folder, manifest, chunks, np.ascontiguousarray(embeddings, np.float32), index, bm25
    )


def load_current(book: str | Path) -> Package:
    book = Path(book)
    version = current_version(book)
    if version is None:
        raise PackageNotFound(f"buku {book.name} belum punya paket aktif")
    return load_package(book / version)
