"""Deleting a book, or one installed version of its knowledge package.

- A book: its row and every package version on disk go; the tutor stops citing it at the
  next question (it lists the packages on disk). Past chats keep their text and citations.
- A version that is not current: its folder goes; nothing served changes.
- The current version is refused while it serves: activate another version first, or
  delete the whole book (docs/admin-guide.md).
"""

from __future__ import annotations

from nexus_app.ai import vkp
from nexus_app.db import unit_of_work
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, NotFound

from .footprint import removing_packages
from .versions import _book_folder, _book_row


def admin_delete_book(*, actor: CurrentUser, book_id: int) -> str:
    """Delete the book and all its package versions; returns the message for the page."""
    require_admin(actor)
    row = _book_row(book_id)
    folder = _book_folder(row.subject_code, row.title)
    versions = vkp.list_versions(folder)
    # The folder is moved aside first and restored if the database delete fails.
    with removing_packages([folder]), unit_of_work() as session:
        if not curriculum_repo.delete_book(session=session, book_id=book_id):
            raise NotFound("Buku tidak ditemukan (mungkin sudah dihapus).")
    return (
        f"Buku '{row.title}' dihapus beserta {len(versions)} versi paketnya. Tutor tidak lagi "
        "mengutipnya; riwayat obrolan tetap tersimpan."
    )


def admin_delete_version(*, actor: CurrentUser, book_id: int, version: str) -> str:
    """Delete one installed version that is not the one being served."""
    require_admin(actor)
    row = _book_row(book_id)
    folder = _book_folder(row.subject_code, row.title)
    if version not in vkp.list_versions(folder):
        raise NotFound(f"Versi {version} buku '{row.title}' tidak ada.")
    if version == vkp.current_version(folder) or version == row.vkp_version:
        raise Conflict(
            f"Versi {version} sedang dipakai tutor dan tidak bisa dihapus. Aktifkan versi lain "
            "terlebih dahulu, atau hapus seluruh buku."
        )
    with removing_packages([folder / version]):
        pass
    return f"Versi {version} buku '{row.title}' dihapus."
