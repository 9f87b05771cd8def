"""Knowledge packages (VKP): one folder per book version, swapped in atomically.

Layout under a root folder (the app uses ``NEXUS_DATA_DIR/vkp``)::

    <root>/<book_key>/
        current.json            {"version": "1.1.0"}   (replaced atomically with os.replace)
        1.0.0/                  previous version, still complete and loadable
        1.1.0/
            manifest.json       see :class:`Manifest`
            chunks.jsonl        one passage per line: id, text, page, page_end, heading,
                                heading_path
            embeddings.npy      float32 (chunk_count, dim), L2-normalised
            index.hnsw          hnswlib index, cosine space, labels = chunk ids
            bm25/               bm25s index over :func:`nexus_app.ai.chunking.tokenize` tokens
        .lock                   serialises builds and imports of this book

Versioning (semantic): the first build is ``1.0.0``. A build whose source checksum differs
from the current version's is a content change: minor bump (``1.0.0`` → ``1.1.0``). Same
content but a different embedder, chunking or format: patch bump (re-index). Same content and
settings: nothing is built and the current version is returned (``created=False``).

Atomic swap: a build is written into ``<book_key>/.build-*``, fsynced, renamed to its version
folder, and only then ``current.json`` is replaced. Readers that resolve ``current.json`` see
either the old complete version or the new complete version, never a half-written one.

Export/import: :func:`export_package` writes one ``.vkp`` file (a gzip tar of the version
folder). :func:`import_package` checks every member name, the manifest and each file's sha256
against the manifest before anything becomes visible; a bad or forged file raises
:class:`CorruptPackage` and leaves the root as it was. Checksums give integrity, not
authenticity: anyone can write a valid package, so only admins may import. The derived
indexes of an imported package (``index.hnsw``, ``bm25/``) are never extracted or loaded:
hnswlib's loader is native code that trusts its input, so both are rebuilt here from the
package's checked embeddings and chunks (the manifest then lists the rebuilt files).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import re
import shutil
import tarfile
import tempfile
import time
import unicodedata
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from nexus_app.ai.chunking import (
    TOKENIZER_VERSION,
    Chunk,
    ChunkParams,
    chunk_pages,
    content_terms,
    tokenize,
)
from nexus_app.ai.embedder import Embedder
from nexus_app.ai.pdftext import Page, extract_document, sha256_bytes, sha256_file

__all__ = [
    "FORMAT_VERSION",
    "BuildResult",
    "CorruptPackage",
    "HnswParams",
    "ImportResult",
    "Manifest",
    "Package",
    "PackageError",
    "PackageNotFound",
    "ProgressCallback",
    "book_dir",
    "build_package",
    "current_version",
    "export_package",
    "import_package",
    "list_books",
    "list_versions",
    "load_current",
    "load_package",
    "make_book_key",
    "prune_versions",
    "read_manifest",
    "set_current",
]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
EMBEDDINGS = "embeddings.npy"
HNSW_FILE = "index.hnsw"
BM25_DIR = "bm25"
CURRENT = "current.json"
EXPORT_SUFFIX = ".vkp"
# Import guards: a textbook package is a few MB; refuse absurd archives before unpacking.
_MAX_MEMBERS = 64
_MAX_TOTAL_BYTES = 2 * 1024**3

_SEMVER = re.compile(r"^(\d{1,6})\.(\d{1,6})\.(\d{1,6})$")
_SAFE_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,119}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stages in order: extract, chunk, embed, index, write, done."""


class PackageError(Exception):
    """Base class for knowledge-package errors."""


class PackageNotFound(PackageError):
    """No package (or no current version) where one was expected."""


class CorruptPackage(PackageError):
    """A package folder or export file failed validation (message says which check)."""


@dataclass(frozen=True, slots=True)
class HnswParams:
    """hnswlib settings. With these, recall@10 against exact search was 1.000 on the demo books'
    real embeddings (bench/bench_retrieval.py); ``ef_search`` is raised to ``k`` when needed."""

    M: int = 16
    ef_construction: int = 200
    ef_search: int = 64

    def as_dict(self) -> dict[str, int]:
        return {"M": self.M, "ef_construction": self.ef_construction, "ef_search": self.ef_search}


@dataclass(frozen=True, slots=True)
class Manifest:
    format_version: int
    book_key: str
    subject: str
    title: str
    version: str
    source_sha256: str
    source_name: str
    embedder: str
    dim: int
    chunk_count: int
    page_count: int
    created_at: str
    chunking: dict[str, int] = field(default_factory=dict)
    hnsw: dict[str, int] = field(default_factory=dict)
    bm25: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "book_key": self.book_key,
            "subject": self.subject,
            "title": self.title,
            "version": self.version,
            "source_sha256": self.source_sha256,
            "source_name": self.source_name,
            "embedder": self.embedder,
            "dim": self.dim,
            "chunk_count": self.chunk_count,
            "page_count": self.page_count,
            "created_at": self.created_at,
            "chunking": dict(self.chunking),
            "hnsw": dict(self.hnsw),
            "bm25": dict(self.bm25),
            "files": dict(sorted(self.files.items())),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """Parse and validate; raises :class:`CorruptPackage` naming the bad field."""
        if not isinstance(data, dict):
            raise CorruptPackage("manifest.json bukan objek JSON")

        def need(key: str, kind: type | tuple[type, ...]) -> Any:
            value = data.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise CorruptPackage(f"manifest.json: field '{key}' hilang atau salah tipe")
            return value

        fmt = need("format_version", int)
        if fmt > FORMAT_VERSION or fmt < 1:
            raise CorruptPackage(
                f"format paket {fmt} tidak didukung (server ini membaca format {FORMAT_VERSION})"
            )
        version = need("version", str)
        if not _SEMVER.match(version):
            raise CorruptPackage(f"manifest.json: versi '{version}' bukan semver")
        book_key = need("book_key", str)
        if not _SAFE_KEY.match(book_key):
            raise CorruptPackage("manifest.json: book_key tidak aman")
        sha = need("source_sha256", str)
        if not _SHA.match(sha):
            raise CorruptPackage("manifest.json: source_sha256 tidak valid")
        files = need("files", dict)
        for name, digest in files.items():
            if not isinstance(name, str) or not isinstance(digest, str) or not _SHA.match(digest):
                raise CorruptPackage("manifest.json: daftar checksum file tidak valid")
            _check_member_name(name)
        chunk_count = need("chunk_count", int)
        dim = need("dim", int)
        if chunk_count < 1 or not 1 <= dim <= 8192:
            raise CorruptPackage("manifest.json: chunk_count atau dim tidak masuk akal")
        return cls(
            format_version=fmt,
            book_key=book_key,
            subject=need("subject", str),
            title=need("title", str),
            version=version,
            source_sha256=sha,
            source_name=str(data.get("source_name", "")),
            embedder=need("embedder", str),
            dim=dim,
            chunk_count=chunk_count,
            page_count=int(data.get("page_count", 0)),
            created_at=need("created_at", str),
            chunking=dict(data.get("chunking") or {}),
            hnsw=dict(data.get("hnsw") or {}),
            bm25=dict(data.get("bm25") or {}),
            files=dict(files),
        )


@dataclass(frozen=True, slots=True)
class BuildResult:
    manifest: Manifest
    path: Path  # the version folder
    created: bool  # False: identical content, existing version returned unchanged
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class ImportResult:
    manifest: Manifest
    path: Path
    created: bool  # False: that exact version was already installed
    made_current: bool


class Package:
    """A loaded, searchable package version (read-only; safe to share between threads)."""

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        chunks: list[Chunk],
        embeddings: np.ndarray,
        index: Any,
        bm25: Any,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.chunks = chunks
        self.embeddings = embeddings
        self._index = index
        self._bm25 = bm25
        self._vocab: dict[str, int] = dict(getattr(bm25, "vocab_dict", {}) or {})
        self._df: dict[str, int] | None = None

    def __repr__(self) -> str:
        m = self.manifest
        return f"Package({m.book_key!r} {m.version}, {m.chunk_count} chunks, {m.embedder})"

    def search_dense(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` chunk ids and cosine similarities from the hnswlib index."""
        n = len(self.chunks)
        k = max(1, min(k, n))
        ef = int(self.manifest.hnsw.get("ef_search", HnswParams().ef_search))
        # hnswlib's set_ef is per index; max(ef, k) keeps recall when a caller asks for many.
        self._index.set_ef(max(ef, k))
        labels, dist = self._index.knn_query(np.asarray(query_vec, np.float32).reshape(1, -1), k=k)
        return labels[0].astype(np.int64), (1.0 - dist[0]).astype(np.float32)

    def search_exact(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Brute-force cosine top-``k`` over the stored embeddings (benchmarks, recall checks)."""
        sims = self.embeddings @ np.asarray(query_vec, np.float32).reshape(-1)
        k = max(1, min(k, len(sims)))
        top = np.argsort(-sims, kind="stable")[:k]
        return top.astype(np.int64), sims[top].astype(np.float32)

    def bm25_scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (zeros when no token is known)."""
        ids = [self._vocab[t] for t in tokens if t in self._vocab]
        if not ids:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed content term (see ``content_terms``) in this
        book; unseen terms get the highest value. Used by the relevance signal."""
        if self._df is None:
            df: dict[str, int] = {}
            for chunk in self.chunks:
                for t in set(content_terms(chunk.index_text())):
                    df[t] = df.get(t, 0) + 1
            self._df = df
        n = len(self.chunks)
        return math.log((n + 1) / (self._df.get(term, 0) + 0.5))

    def verify(self) -> None:
        """Re-hash every file against the manifest; raises :class:`CorruptPackage`."""
        _verify_files(self.path, self.manifest)


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


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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


# --- building ------------------------------------------------------------------------------


def _bm25_params() -> dict[str, Any]:
    return {"tokenizer": TOKENIZER_VERSION, "k1": 1.2, "b": 0.75, "method": "lucene"}


def _build_bm25(chunks: Sequence[Chunk], params: dict[str, Any]) -> Any:
    import bm25s

    bm25 = bm25s.BM25(
        k1=float(params.get("k1", 1.2)),
        b=float(params.get("b", 0.75)),
        method=str(params.get("method", "lucene")),
    )
    corpus = [tokenize(c.index_text()) or [""] for c in chunks]
    bm25.index(corpus, show_progress=False)
    return bm25


def _build_hnsw(embeddings: np.ndarray, params: HnswParams) -> Any:
    import hnswlib

    n, dim = embeddings.shape
    index = hnswlib.Index(space="cosine", dim=dim)
    # Fixed seed: the same content gives the same graph (reproducible builds).
    index.init_index(
        max_elements=n, ef_construction=params.ef_construction, M=params.M, random_seed=42
    )
    index.set_num_threads(1)
    index.add_items(embeddings, np.arange(n))
    index.set_ef(params.ef_search)
    return index


def _next_version(existing: Sequence[str], current: Manifest | None, content_changed: bool) -> str:
    if not existing:
        return "1.0.0"
    major, minor, patch = max(_parse_semver(v) for v in existing)
    if content_changed or current is None:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def _pages_sha256(pages: Sequence[Page]) -> str:
    blob = "\n".join(f"<<{p.number}>>\n{p.text}" for p in pages).encode("utf-8")
    return sha256_bytes(blob)


def build_package(
    source: str | Path | Sequence[Page],
    *,
    root: str | Path,
    subject: str,
    title: str,
    embedder: Embedder,
    book_key: str | None = None,
    chunk_params: ChunkParams | None = None,
    hnsw: HnswParams | None = None,
    progress: ProgressCallback | None = None,
    source_name: str | None = None,
    batch_size: int = 16,
) -> BuildResult:
    """Build (or reuse) the package of one book and make it current.

    ``source`` is a ``.pdf``/``.md``/``.txt`` path (its bytes are checksummed) or already
    extracted pages (their text is checksummed). Raises the extraction errors of
    :mod:`nexus_app.ai.pdftext` unchanged, and ``ValueError`` if no text remains after chunking.
    Builds of the same book are serialised by a lock file; other books build in parallel.
    """
    started = time.perf_counter()
    chunk_params = chunk_params or ChunkParams()
    hnsw = hnsw or HnswParams()
    report = progress or (lambda stage, done, total: None)
    key = book_key or make_book_key(subject, title)
    book = book_dir(root, key)

    report("extract", 0, 1)
    if isinstance(source, (str, Path)):
        path = Path(source)
        pages = extract_document(path)
        source_sha = sha256_file(path)
        name = source_name or path.name
    else:
        pages = list(source)
        source_sha = _pages_sha256(pages)
        name = source_name or ""
    report("extract", 1, 1)

    with _book_lock(book):
        cur_version = current_version(book)
        current = _read_manifest(book / cur_version) if cur_version else None
        same_settings = current is not None and (
            current.embedder == embedder.name
            and current.chunking == chunk_params.as_dict()
            and current.format_version == FORMAT_VERSION
            and current.hnsw == hnsw.as_dict()
            and current.bm25 == _bm25_params()
            and current.subject == subject
            and current.title == title
        )
        if (
            current is not None
            and cur_version
            and same_settings
            and (current.source_sha256 == source_sha)
        ):
            report("done", 1, 1)
            return BuildResult(current, book / cur_version, False, time.perf_counter() - started)
        content_changed = current is None or current.source_sha256 != source_sha

        chunks = chunk_pages(pages, chunk_params)
        report("chunk", len(chunks), len(chunks))
        if not chunks:
            raise ValueError("Dokumen tidak berisi teks yang bisa dipotong menjadi bagian.")

        texts = [c.index_text() for c in chunks]
        vectors: list[np.ndarray] = []
        report("embed", 0, len(texts))
        for i in range(0, len(texts), batch_size):
            vectors.append(embedder.embed_passages(texts[i : i + batch_size]))
            report("embed", min(i + batch_size, len(texts)), len(texts))
        embeddings = np.ascontiguousarray(np.vstack(vectors), dtype=np.float32)
        if embeddings.shape != (len(chunks), embedder.dim):
            raise ValueError("embedder returned an unexpected shape")

        report("index", 0, 2)
        index = _build_hnsw(embeddings, hnsw)
        report("index", 1, 2)
        bm25 = _build_bm25(chunks, _bm25_params())
        report("index", 2, 2)

        version = _next_version(list_versions(book), current, content_changed)
        tmp = book / f".build-{uuid.uuid4().hex}"
        tmp.mkdir(parents=True)
        try:
            report("write", 0, 4)
            with open(tmp / CHUNKS, "w", encoding="utf-8") as fh:
                for c in chunks:
                    fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
            report("write", 1, 4)
            np.save(tmp / EMBEDDINGS, embeddings, allow_pickle=False)
            index.save_index(str(tmp / HNSW_FILE))
            report("write", 2, 4)
            bm25.save(str(tmp / BM25_DIR), show_progress=False)
            report("write", 3, 4)
            manifest = Manifest(
                format_version=FORMAT_VERSION,
                book_key=key,
                subject=subject,
                title=title,
                version=version,
                source_sha256=source_sha,
                source_name=name,
                embedder=embedder.name,
                dim=embedder.dim,
                chunk_count=len(chunks),
                page_count=len(pages),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                chunking=chunk_params.as_dict(),
                hnsw=hnsw.as_dict(),
                bm25=_bm25_params(),
                files=_hash_tree(tmp),
            )
            _write_json_atomic(tmp / MANIFEST, manifest.to_dict())
            _fsync_tree(tmp)
            final = book / version
            os.rename(tmp, final)  # atomic on one filesystem; fails if the folder exists
            _fsync_dir(book)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        set_current(book, version)
        report("write", 4, 4)
    report("done", 1, 1)
    return BuildResult(manifest, final, True, time.perf_counter() - started)


def prune_versions(book: str | Path, keep: int = 2) -> list[str]:
    """Delete old version folders, keeping the newest ``keep`` and always the current one."""
    book = Path(book)
    removed: list[str] = []
    with _book_lock(book):
        versions = list_versions(book)
        current = current_version(book)
        for v in versions[: max(len(versions) - keep, 0)]:
            if v != current:
                shutil.rmtree(book / v, ignore_errors=True)
                removed.append(v)
        for stale in book.glob(".build-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in book.glob(".import-*"):
            shutil.rmtree(stale, ignore_errors=True)
    return removed


# --- checksums -----------------------------------------------------------------------------


def _hash_tree(folder: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            out[path.relative_to(folder).as_posix()] = sha256_file(path)
    return out


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    for sub in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        _fsync_dir(sub)


def _verify_files(folder: Path, manifest: Manifest) -> None:
    present = _hash_tree(folder)
    if set(present) != set(manifest.files):
        extra = sorted(set(present) - set(manifest.files))
        missing = sorted(set(manifest.files) - set(present))
        raise CorruptPackage(
            f"file paket tidak cocok dengan manifest (lebih: {extra}, kurang: {missing})"
        )
    for name, digest in manifest.files.items():
        if present[name] != digest:
            raise CorruptPackage(f"checksum {name} tidak cocok: file rusak atau diubah")


# --- export and import ---------------------------------------------------------------------


def _check_member_name(name: str) -> str:
    """Reject absolute paths, '..', backslashes and deep trees (tar path traversal)."""
    pure = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in pure.parts)
        or len(pure.parts) > 2
        or not all(re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", part) for part in pure.parts)
    ):
        raise CorruptPackage(f"nama file tidak aman di dalam paket: {name!r}")
    return pure.as_posix()


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
        try:
            members = tar.getmembers()
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise CorruptPackage(f"{file.name} rusak atau terpotong ({exc})") from exc
        if not members or len(members) > _MAX_MEMBERS:
            raise CorruptPackage(f"{file.name}: jumlah isi paket tidak wajar")
        total = 0
        by_name: dict[str, tarfile.TarInfo] = {}
        for m in members:
            if m.isdir():
                _check_member_name(m.name.rstrip("/"))
                continue
            if not m.isfile():
                raise CorruptPackage(f"{file.name}: berisi link atau file khusus ({m.name!r})")
            name = _check_member_name(m.name)
            if name in by_name:
                raise CorruptPackage(f"{file.name}: file ganda {name!r}")
            total += m.size
            by_name[name] = m
        if total > _MAX_TOTAL_BYTES:
            raise CorruptPackage(f"{file.name}: paket terlalu besar")
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
