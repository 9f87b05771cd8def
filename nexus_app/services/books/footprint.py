"""What a subject's books occupy on disk, and removing it with the subject."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nexus_app.ai import vkp

from .library import packages_root
from .versions import _book_folder, _folder_size

# --- what a subject's books occupy on disk, and removing it with the subject ------------------


@dataclass(frozen=True)
class PackageFootprint:
    folders: tuple[Path, ...]
    versions: int
    files: int
    bytes: int


def package_footprint(subject_code: str, titles: Iterable[str]) -> PackageFootprint:
    """The package folders of a subject's books (by title, plus any package whose current
    manifest names the subject), with their version, file and byte counts."""
    root = packages_root()
    found = {_book_folder(subject_code, t) for t in titles}
    found |= {vkp.book_dir(root, m.book_key) for m in vkp.list_books(root, subject_code)}
    folders = tuple(sorted(f for f in found if f.is_dir()))
    versions = files = size = 0
    for folder in folders:
        versions += len(vkp.list_versions(folder))
        n, b = _folder_size(folder)
        files += n
        size += b
    return PackageFootprint(folders, versions, files, size)


@contextlib.contextmanager
def removing_packages(folders: Iterable[Path]) -> Iterator[None]:
    """Move package folders aside for the duration of the block: deleted if the block
    succeeds, moved back if it fails (so a failed database delete keeps the files)."""
    present = [f for f in folders if f.is_dir()]
    if not present:
        yield
        return
    trash = packages_root() / f".trash-{uuid.uuid4().hex}"
    trash.mkdir(parents=True)
    moved: list[tuple[Path, Path]] = []
    try:
        for folder in present:
            aside = trash / folder.name
            os.rename(folder, aside)  # same filesystem: atomic, and readers stop seeing it
            moved.append((folder, aside))
        yield
    except BaseException:
        for folder, aside in reversed(moved):
            with contextlib.suppress(OSError):
                os.rename(aside, folder)
        with contextlib.suppress(OSError):
            trash.rmdir()  # only when everything went back
        raise
    shutil.rmtree(trash, ignore_errors=True)
