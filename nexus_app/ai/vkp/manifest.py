"""The package format: file names, limits, errors, the manifest of one version and its checksums."""

from __future__ import annotations

import contextlib
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from nexus_app.ai.chunking import (
    Chunk,
    content_terms,
)
from nexus_app.ai.pdftext import sha256_file

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
_PARENTHESISED = re.compile(r"\(([^()]{3,80})\)")

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
        self._acronyms: dict[str, str] | None = None

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

    def acronyms(self) -> dict[str, str]:
        """Initials → the words they abbreviate, for the book's parenthesised phrases of two
        to six words ("kartu jaringan (network interface card)": "nic"), so a question that
        uses the short form the book never writes ("NIC tu gunanya apa") still finds them."""
        if self._acronyms is None:
            found: dict[str, str] = {}
            for chunk in self.chunks:
                for inner in _PARENTHESISED.findall(chunk.text):
                    words = inner.split()
                    if 2 <= len(words) <= 6 and all(w.isalpha() for w in words):
                        found.setdefault("".join(w[0] for w in words).lower(), inner)
            self._acronyms = found
        return self._acronyms

    def _doc_freq(self) -> dict[str, int]:
        """In how many chunks each stemmed content term occurs (built once)."""
        if self._df is None:
            df: dict[str, int] = {}
            for chunk in self.chunks:
                for t in set(content_terms(chunk.index_text())):
                    df[t] = df.get(t, 0) + 1
            self._df = df
        return self._df

    def has_term(self, term: str) -> bool:
        """Whether the book uses this stemmed content term anywhere."""
        return term in self._doc_freq()

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed content term (see ``content_terms``) in this
        book; unseen terms get the highest value. Used by the relevance signal."""
        n = len(self.chunks)
        return math.log((n + 1) / (self._doc_freq().get(term, 0) + 0.5))

    def verify(self) -> None:
        """Re-hash every file against the manifest; raises :class:`CorruptPackage`."""
        _verify_files(self.path, self.manifest)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
