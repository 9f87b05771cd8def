"""The admin page's staged uploads and ingestion with progress."""

from __future__ import annotations

import contextlib
import queue
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from nexus_app.ai import vkp
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import InvalidInput, NotFound

from .library import (
    MAX_PACKAGE_BYTES,
    MAX_UPLOAD_BYTES,
    STAGE_MAX_AGE_SECONDS,
    SUPPORTED,
    IngestResult,
    ingest_book,
    staging_root,
)

# --- the admin page: staged uploads, ingestion with progress, versions, export, import --------


@dataclass(frozen=True)
class StagedUpload:
    """An uploaded file waiting for ingestion or import (deleted when that ends)."""

    path: str
    filename: str
    size: int


UploadKind = Literal["book", "package"]
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_filename(filename: str) -> str:
    base = Path((filename or "").replace("\\", "/")).name
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE_NAME.sub("-", stem).strip("-._")[:100] or "berkas"
    suffix = _UNSAFE_NAME.sub("", suffix)[:10].lower()
    return f"{stem}.{suffix}" if suffix else stem


def _limit(kind: UploadKind) -> int:
    return MAX_UPLOAD_BYTES if kind == "book" else MAX_PACKAGE_BYTES


def too_big_message(kind: UploadKind) -> str:
    what = "Buku" if kind == "book" else "Paket"
    return f"{what} terlalu besar: ukuran maksimal {_limit(kind) // 2**20} MB."


def _check_suffix(name: str, kind: UploadKind) -> None:
    suffix = Path(name).suffix.lower()
    if kind == "book" and suffix not in SUPPORTED:
        raise InvalidInput("Format buku tidak didukung: gunakan PDF, Markdown (.md) atau .txt.")
    if kind == "package" and suffix != vkp.EXPORT_SUFFIX:
        raise InvalidInput("Pilih berkas paket pengetahuan berakhiran .vkp.")


def _sweep_stale(now: float | None = None) -> None:
    """Staged uploads whose ingestion never ran (a closed tab) are removed after a day."""
    root = staging_root()
    if not root.is_dir():
        return
    limit = (now or time.time()) - STAGE_MAX_AGE_SECONDS
    for folder in root.iterdir():
        with contextlib.suppress(OSError):
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)


def stage_upload(
    *,
    actor: CurrentUser,
    filename: str,
    source: BinaryIO,
    kind: UploadKind = "book",
    declared_size: int | None = None,
) -> StagedUpload:
    """Copy an uploaded file into a fresh staging folder, refusing a wrong type, an empty
    file or one over the size limit (nothing is kept when refused)."""
    require_admin(actor)
    name = _safe_filename(filename)
    _check_suffix(name, kind)
    limit = _limit(kind)
    if declared_size is not None and declared_size > limit:
        raise InvalidInput(too_big_message(kind))
    staging_root().mkdir(parents=True, exist_ok=True)
    _sweep_stale()
    folder = Path(tempfile.mkdtemp(prefix="up-", dir=staging_root()))
    target = folder / name
    size = 0
    try:
        with open(target, "wb") as out:
            while block := source.read(1 << 20):
                size += len(block)
                if size > limit:  # the declared size may be missing or wrong
                    raise InvalidInput(too_big_message(kind))
                out.write(block)
        if size == 0:
            raise InvalidInput(f"Berkas '{name}' kosong.")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StagedUpload(path=str(target), filename=name, size=size)


def _staged(path: str) -> Path:
    """A staged file, refusing any path outside the staging folder."""
    root = staging_root().resolve()
    candidate = Path(path).resolve()
    if candidate.parent.parent != root or not candidate.is_file():
        raise NotFound("Berkas unggahan tidak ditemukan lagi; unggah ulang.")
    return candidate


def _discard(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)


def discard_staged(*, actor: CurrentUser, path: str) -> None:
    require_admin(actor)
    with contextlib.suppress(NotFound):
        _discard(_staged(path))


STAGE_LABELS = {
    "model": "Memuat model embedding",
    "extract": "Membaca teks dari berkas",
    "chunk": "Memotong teks menjadi bagian",
    "embed": "Membuat embedding",
    "index": "Membangun indeks pencarian",
    "write": "Menyimpan paket",
    "done": "Selesai",
}
# Share of the bar per stage; embedding is where the time goes.
_STAGE_SPAN = {
    "model": (0, 5),
    "extract": (5, 15),
    "chunk": (15, 20),
    "embed": (20, 88),
    "index": (88, 94),
    "write": (94, 100),
    "done": (100, 100),
}


@dataclass(frozen=True)
class IngestProgress:
    stage: str
    label: str
    done: int
    total: int
    percent: int
    result: IngestResult | None = None


def progress_percent(stage: str, done: int, total: int) -> int:
    start, end = _STAGE_SPAN.get(stage, (0, 0))
    fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
    return round(start + (end - start) * fraction)


def _progress(stage: str, done: int, total: int) -> IngestProgress:
    label = STAGE_LABELS.get(stage, stage)
    if stage == "embed" and total:
        label = f"{label} ({done}/{total} bagian)"
    return IngestProgress(stage, label, done, total, progress_percent(stage, done, total))


def ingest_staged(
    *, actor: CurrentUser, path: str, subject_code: str, title: str
) -> Iterator[IngestProgress]:
    """Ingest a staged upload on a worker thread; the returned iterator yields progress and
    ends with an update carrying the result (or raises the ServiceError). The staged file is
    deleted when the work ends, even if nobody reads the iterator to the end."""
    require_admin(actor)
    staged = _staged(path)
    title = (title or "").strip() or staged.stem.replace("-", " ").replace("_", " ")
    events: queue.Queue[IngestProgress | BaseException] = queue.Queue()

    def work() -> None:
        outcome: IngestProgress | BaseException
        try:
            result = ingest_book(
                path=staged,
                subject_code=subject_code,
                title=title,
                progress=lambda stage, done, total: events.put(_progress(stage, done, total)),
            )
            done = _progress("done", 1, 1)
            outcome = IngestProgress(done.stage, done.label, 1, 1, 100, result)
        except BaseException as exc:  # handed to the reader, who raises it
            outcome = exc
        # The upload goes before the reader hears the end, so "finished" means "cleaned up".
        _discard(staged)
        events.put(outcome)

    threading.Thread(target=work, name="nexus-ingest", daemon=True).start()

    def updates() -> Iterator[IngestProgress]:
        while True:
            item = events.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if item.result is not None:
                return

    return updates()
