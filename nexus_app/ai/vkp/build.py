"""Building a version from a document, and pruning old versions."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from nexus_app.ai.chunking import (
    Chunk,
    ChunkParams,
    chunk_pages,
)
from nexus_app.ai.embedder import Embedder
from nexus_app.ai.pdftext import Page, extract_document, sha256_bytes, sha256_file

from .indexes import _bm25_params, _build_bm25, _build_hnsw
from .manifest import (
    BM25_DIR,
    CHUNKS,
    EMBEDDINGS,
    FORMAT_VERSION,
    HNSW_FILE,
    MANIFEST,
    BuildResult,
    HnswParams,
    Manifest,
    ProgressCallback,
    _fsync_dir,
    _fsync_tree,
    _hash_tree,
)
from .store import (
    _book_lock,
    _parse_semver,
    _read_manifest,
    _write_json_atomic,
    book_dir,
    current_version,
    list_versions,
    make_book_key,
    set_current,
)


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


def _read_source(
    source: str | Path | Sequence[Page], source_name: str | None
) -> tuple[list[Page], str, str]:
    """Pages, checksum and display name of a file (its bytes) or of extracted pages (text)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        return extract_document(path), sha256_file(path), source_name or path.name
    pages = list(source)
    return pages, _pages_sha256(pages), source_name or ""


def _embed_chunks(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    batch_size: int,
    report: ProgressCallback,
) -> np.ndarray:
    """One L2-normalised float32 row per chunk, embedded in batches with progress."""
    texts = [c.index_text() for c in chunks]
    vectors: list[np.ndarray] = []
    report("embed", 0, len(texts))
    for i in range(0, len(texts), batch_size):
        vectors.append(embedder.embed_passages(texts[i : i + batch_size]))
        report("embed", min(i + batch_size, len(texts)), len(texts))
    embeddings = np.ascontiguousarray(np.vstack(vectors), dtype=np.float32)
    if embeddings.shape != (len(chunks), embedder.dim):
        raise ValueError("embedder returned an unexpected shape")
    return embeddings


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
    pages, source_sha, name = _read_source(source, source_name)
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

        embeddings = _embed_chunks(chunks, embedder, batch_size, report)

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
