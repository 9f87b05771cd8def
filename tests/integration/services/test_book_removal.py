"""Deleting a book or one package version on both databases: the version being served is
refused until another is current; a whole book goes with every version; other roles are
refused. Uses the real default embedder on the small book of test_book_admin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.ai import vkp
from nexus_app.services import auth, books, subjects
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import Conflict, NotFound, PermissionDenied
from tests.integration.services.test_book_admin import BOOK, MORE, _ingest


@pytest.fixture
def actors(engine: Engine) -> dict[str, CurrentUser]:
    subjects.create_subject(grade=10, name="Ekonomi", code="EKO_10")
    return {
        role: auth.create_user(username=f"{role}1", password="kata-sandi-1", role=role)
        for role in ("admin", "guru", "siswa")
    }


def test_a_version_not_served_can_be_deleted_the_served_one_cannot(engine: Engine, actors) -> None:
    admin = actors["admin"]
    _ingest(admin, BOOK)
    _ingest(admin, BOOK + MORE)
    [book] = books.admin_list_books(actor=admin)
    assert book.current_version == "1.1.0"
    with pytest.raises(Conflict, match="Aktifkan versi lain"):
        books.admin_delete_version(actor=admin, book_id=book.book_id, version="1.1.0")
    message = books.admin_delete_version(actor=admin, book_id=book.book_id, version="1.0.0")
    assert "1.0.0" in message
    [book] = books.admin_list_books(actor=admin)
    assert [v.version for v in book.versions] == ["1.1.0"]
    assert books.list_books("EKO_10")[0].version == "1.1.0"  # still served
    with pytest.raises(NotFound):
        books.admin_delete_version(actor=admin, book_id=book.book_id, version="1.0.0")


def test_deleting_a_book_removes_its_row_and_every_version(engine: Engine, actors) -> None:
    admin = actors["admin"]
    _ingest(admin, BOOK)
    _ingest(admin, BOOK + MORE)
    [book] = books.admin_list_books(actor=admin)
    for role in ("guru", "siswa"):
        with pytest.raises(PermissionDenied):
            books.admin_delete_book(actor=actors[role], book_id=book.book_id)
        with pytest.raises(PermissionDenied):
            books.admin_delete_version(actor=actors[role], book_id=book.book_id, version="1.0.0")
    message = books.admin_delete_book(actor=admin, book_id=book.book_id)
    assert "2 versi" in message
    assert books.admin_list_books(actor=admin) == []
    assert books.list_books("EKO_10") == []  # the tutor finds nothing to cite
    assert vkp.list_books(books.packages_root()) == []
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM books")).scalar_one() == 0
    with pytest.raises(NotFound):
        books.admin_delete_book(actor=admin, book_id=book.book_id)
