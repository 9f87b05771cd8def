"""/admin/books: Buku & paket pengetahuan: unggah dan proses buku, versi paket, ekspor, impor."""

from __future__ import annotations

from typing import Any

import reflex as rx

from nexus_app.components.admin import admin_page, either, error_callout, success_callout
from nexus_app.components.shell import SELECT_STYLE
from nexus_app.state.admin.books import (
    BOOK_UPLOAD_ID,
    MAX_BOOK_BYTES,
    MAX_PACKAGE_BYTES,
    PACKAGE_UPLOAD_ID,
    AdminBooksState,
    BookRow,
    VersionRow,
)
from nexus_app.state.admin.sections import SECTION
from nexus_app.state.uploads import upload_headers

_BOOK_TYPES = {
    "application/pdf": [".pdf"],
    "text/markdown": [".md", ".markdown"],
    "text/plain": [".txt", ".md"],
}


def _bar(label: rx.Var[str] | str, value: rx.Var[int], bar_id: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(label, size="2"),
            rx.spacer(),
            rx.text(value.to_string() + "%", size="2", id=f"{bar_id}-percent"),
            width="100%",
        ),
        rx.progress(value=value, max=100, width="100%", id=bar_id),
        spacing="1",
        width="100%",
    )


def _dropzone(upload_id: str, hint: str, **props: Any) -> rx.Component:
    return rx.upload(
        rx.vstack(
            rx.icon("upload", size=20),
            rx.text("Seret berkas ke sini atau klik untuk memilih", size="2"),
            rx.text(hint, size="1", color_scheme="gray"),
            rx.foreach(rx.selected_files(upload_id), lambda f: rx.code(f)),
            align="center",
            spacing="1",
        ),
        id=upload_id,
        multiple=False,
        max_files=1,
        border="1px dashed var(--gray-7)",
        border_radius="8px",
        padding="1em",
        width="100%",
        **props,
    )


def _book_fields() -> rx.Component:
    """The new book's subject and title."""
    s = AdminBooksState
    return rx.hstack(
        rx.vstack(
            rx.text("Mata pelajaran", size="2", weight="medium"),
            rx.el.select(
                rx.foreach(
                    s.subject_choices,
                    lambda c: rx.el.option(c.label, value=c.value),
                ),
                value=s.subject_code,
                on_change=s.set_subject_code,
                id="book-subject",
                style=SELECT_STYLE,
            ),
            spacing="1",
        ),
        rx.vstack(
            rx.text("Judul buku", size="2", weight="medium"),
            rx.input(
                value=s.title,
                on_change=s.set_title,
                placeholder="Kosongkan untuk memakai nama berkas",
                max_length=255,
                id="book-title",
                width="320px",
            ),
            spacing="1",
        ),
        spacing="4",
        wrap="wrap",
    )


def _upload_progress() -> rx.Component:
    """The upload's and the processing's progress bars, once an upload has started."""
    s = AdminBooksState
    return rx.cond(
        s.uploading | s.ingesting | (s.upload_percent > 0),
        rx.vstack(
            _bar("Unggahan", s.upload_percent, "upload-progress"),
            _bar(
                either(s.ingest_label != "", s.ingest_label, "Pemrosesan"),
                s.ingest_percent,
                "ingest-progress",
            ),
            width="100%",
            spacing="3",
        ),
    )


def _upload_card() -> rx.Component:
    s = AdminBooksState
    return rx.card(
        rx.vstack(
            rx.heading("Unggah buku", size="4"),
            rx.text(
                "PDF dengan lapisan teks, Markdown (.md) atau teks (.txt), maksimal "
                f"{MAX_BOOK_BYTES // 2**20} MB. Buku diproses menjadi paket pengetahuan untuk "
                "tutor AI; mengunggah ulang buku dengan judul sama membuat versi baru. "
                "Berkas aslinya tidak disimpan setelah diproses.",
                size="2",
                color_scheme="gray",
            ),
            _book_fields(),
            _dropzone(
                BOOK_UPLOAD_ID,
                "PDF, .md atau .txt",
                accept=_BOOK_TYPES,
                max_size=MAX_BOOK_BYTES,
                on_drop_rejected=s.book_rejected,
            ),
            rx.button(
                rx.cond(
                    s.uploading | s.ingesting,
                    rx.spinner(size="1"),
                    rx.icon("book-up", size=16),
                ),
                "Unggah dan proses",
                on_click=[
                    s.begin_upload,
                    s.upload_book(
                        rx.upload_files(
                            upload_id=BOOK_UPLOAD_ID,
                            on_upload_progress=s.upload_progress,
                            extra_headers=upload_headers(),
                        )
                    ),
                ],
                disabled=s.uploading | s.ingesting,
                id="book-upload-submit",
            ),
            _upload_progress(),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="book-upload-card",
    )


def _version_row(book: BookRow, v: VersionRow) -> rx.Component:
    s = AdminBooksState
    return rx.table.row(
        rx.table.cell(rx.code(v.version)),
        rx.table.cell(v.chunks),
        rx.table.cell(v.pages),
        rx.table.cell(v.created),
        rx.table.cell(v.size),
        rx.table.cell(
            rx.cond(
                v.is_current,
                rx.badge("Aktif", color_scheme="green"),
                rx.button(
                    "Jadikan aktif",
                    size="1",
                    variant="ghost",
                    on_click=s.make_current(book.book_id, v.version),
                ),
            )
        ),
        rx.table.cell(
            rx.button(
                rx.icon("download", size=14),
                "Ekspor .vkp",
                size="1",
                variant="soft",
                on_click=s.export_package(book.book_id, v.version),
                id="export-" + v.row_id,
            )
        ),
        rx.table.cell(
            # The version being served cannot go: activate another one first.
            rx.button(
                rx.icon("trash-2", size=14),
                "Hapus",
                size="1",
                variant="ghost",
                color_scheme="red",
                disabled=v.is_current,
                title="Hapus versi ini (versi aktif: aktifkan versi lain dahulu)",
                on_click=s.delete_version(book.book_id, v.version),
                id="delete-" + v.row_id,
            )
        ),
        id=v.row_id,
        class_name="book-version",
    )


def _delete_book(book: BookRow) -> rx.Component:
    """Two clicks: the second states what goes (every version; chats keep their text)."""
    s = AdminBooksState
    return rx.cond(
        s.confirm_delete_book_id == book.book_id,
        rx.hstack(
            rx.text(
                "Buku dan semua versi paketnya dihapus; tutor tidak lagi mengutipnya. "
                "Riwayat obrolan tetap tersimpan.",
                size="2",
            ),
            rx.button(
                "Ya, hapus buku",
                size="1",
                color_scheme="red",
                on_click=s.delete_book(book.book_id),
                id=f"delete-book-confirm-{book.book_id}",
            ),
            rx.button(
                "Batal",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=s.cancel_delete_book,
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.button(
            rx.icon("trash-2", size=14),
            "Hapus buku",
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=s.ask_delete_book(book.book_id),
            id=f"delete-book-{book.book_id}",
        ),
    )


def _book_card(book: BookRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("book-open", size=18),
                rx.heading(book.title, size="3"),
                rx.badge(book.subject, variant="soft"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(
                "Berkas: ",
                book.filename,
                " · versi aktif ",
                rx.code(book.current_version),
                " · ",
                book.chunks,
                " bagian",
                size="2",
                color_scheme="gray",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in [
                                "Versi",
                                "Bagian",
                                "Halaman",
                                "Dibuat",
                                "Ukuran",
                                "",
                                "",
                                "",
                            ]
                        ]
                    )
                ),
                rx.table.body(rx.foreach(book.versions, lambda v: _version_row(book, v))),
                size="1",
                variant="ghost",
                width="100%",
            ),
            _delete_book(book),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id=book.card_id,
        class_name="book-card",
    )


def _list() -> rx.Component:
    s = AdminBooksState
    return rx.vstack(
        rx.heading("Buku dan versi paket", size="4"),
        rx.cond(
            s.books.length() > 0,
            rx.vstack(rx.foreach(s.books, _book_card), spacing="3", width="100%", id="books-list"),
            rx.text("Belum ada buku.", color_scheme="gray", id="books-empty"),
        ),
        spacing="3",
        width="100%",
    )


def _import_card() -> rx.Component:
    s = AdminBooksState
    return rx.card(
        rx.vstack(
            rx.heading("Impor paket pengetahuan", size="4"),
            rx.text(
                "Berkas .vkp hasil ekspor server Nexus lain (maksimal "
                f"{MAX_PACKAGE_BYTES // 2**20} MB). Isi dan checksum-nya diperiksa dulu; "
                "paket yang rusak ditolak tanpa mengubah apa pun. Mata pelajaran dengan kode "
                "yang sama harus sudah ada.",
                size="2",
                color_scheme="gray",
            ),
            _dropzone(
                PACKAGE_UPLOAD_ID,
                "Berkas .vkp",
                max_size=MAX_PACKAGE_BYTES,
                on_drop_rejected=s.package_rejected,
            ),
            rx.button(
                rx.cond(s.importing, rx.spinner(size="1"), rx.icon("package-plus", size=16)),
                "Impor paket",
                variant="soft",
                on_click=[
                    s.begin_import,
                    s.import_package(
                        rx.upload_files(
                            upload_id=PACKAGE_UPLOAD_ID,
                            on_upload_progress=s.import_progress,
                            extra_headers=upload_headers(),
                        )
                    ),
                ],
                disabled=s.importing,
                id="package-import-submit",
            ),
            rx.cond(
                s.importing | (s.import_percent > 0),
                _bar("Unggahan paket", s.import_percent, "import-progress"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="package-import-card",
    )


def _content() -> rx.Component:
    s = AdminBooksState
    return rx.vstack(
        error_callout(s.error, "books-error"),
        success_callout(s.message, "books-message"),
        _upload_card(),
        _list(),
        _import_card(),
        spacing="4",
        width="100%",
    )


def admin_books_page() -> rx.Component:
    return admin_page(SECTION["books"], _content)()
