"""The source viewer (/sumber) on both databases: a tutor citation opens its PDF page or its
Markdown section with the passage marked; stale citations, unregistered books, bad links and
old history rows. Real default embedder on small books written here; no language model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.ai import pageview, vkp
from nexus_app.ai.pageview import SOURCE_DIR
from nexus_app.services import auth, books, subjects, tutor
from nexus_app.services.books import source_view
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied
from tests.integration.services.test_books_tutor import BOOK
from tests.unit.ai.test_pdftext import make_text_pdf

PDF_PAGES = [
    [
        "BAB 1 Gerak Lurus",
        "Gerak lurus beraturan adalah gerak benda pada lintasan lurus dengan kecepatan tetap.",
        "Pada gerak ini jarak yang ditempuh sebanding dengan waktu tempuhnya.",
    ],
    [
        "Gerak lurus berubah beraturan adalah gerak dengan percepatan yang tetap besarnya.",
        "Luas daerah di bawah grafik kecepatan terhadap waktu sama dengan jarak tempuh benda.",
    ],
    [
        "BAB 2 Hukum Newton",
        "Hukum pertama Newton menyatakan bahwa benda diam tetap diam bila resultan gayanya nol.",
    ],
]


@pytest.fixture
def school(engine: Engine, tmp_path: Path) -> dict[str, object]:
    subjects.create_subject(grade=10, name="Fisika", code="FIS_10")
    subjects.create_subject(grade=11, name="Fisika", code="FIS_11")
    md = tmp_path / "fisika.md"
    md.write_text(BOOK, encoding="utf-8")
    pdf = tmp_path / "gerak.pdf"
    pdf.write_bytes(make_text_pdf(PDF_PAGES))
    return {
        "md": md,
        "pdf": pdf,
        "student": auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa"),
        "admin": auth.create_user(username="admin1", password="kata-sandi-1", role="admin"),
    }


def _params_of(link: str, route: str) -> dict[str, str]:
    parts = urlsplit(link)
    assert parts.path == route
    return dict(parse_qsl(parts.query))


def _params(link: str) -> dict[str, str]:
    return _params_of(link, source_view.ROUTE)


def _marked(view: source_view.SourceView) -> str:
    return " ".join(s.text for s in view.segments if s.marked)


def _whole(view: source_view.SourceView) -> str:
    return "".join(s.text for s in view.segments)


def test_a_markdown_citation_opens_its_section_with_the_passage_marked(engine, school) -> None:
    books.ingest_book(path=school["md"], subject_code="FIS_10", title="Fisika Dasar")
    answer = tutor.ask(
        subject_code="FIS_10",
        question="Apa yang dimaksud dengan percepatan?",
        use_llm=False,
        actor=school["student"],
    )
    top = answer.sources[0]
    assert top.book_key and top.chunk_id >= 0 and not top.paged
    params = _params(top.link)
    assert params["versi"] == "1.0.0" and "hlm" not in params
    view = source_view.open_source(actor=school["student"], params=params)
    assert view.kind == "bagian" and view.title == "Fisika Dasar"
    assert view.subject == "Fisika kelas 10" and view.where.startswith("Bagian ")
    assert view.heading.endswith(top.heading) and view.marked
    assert "Percepatan adalah perubahan kecepatan" in _marked(view)
    assert not view.notice  # read from the kept Markdown file
    # Paging through sections keeps the citation, and offers the way back to it.
    other = view.prev_link or view.next_link
    moved = source_view.open_source(actor=school["student"], params=_params(other))
    assert moved.where != view.where and moved.cited_link
    back = source_view.open_source(actor=school["student"], params=_params(moved.cited_link))
    assert back.where == view.where and back.marked
    # The history keeps the link (the saved JSON carries the new fields).
    assert tutor.history(actor=school["student"])[0].sources[0].link == top.link


def test_a_pdf_citation_opens_its_page_and_pages_turn(engine, school) -> None:
    books.ingest_book(path=school["pdf"], subject_code="FIS_10", title="Gerak")
    answer = tutor.ask(
        subject_code="FIS_10",
        question="Apa arti luas daerah di bawah grafik kecepatan terhadap waktu?",
        use_llm=False,
        actor=school["student"],
    )
    top = answer.sources[0]
    # Pages 1 and 2 are one section, so one passage runs across the page break.
    assert top.paged and (top.page, top.location) == (1, "hlm. 1–2")
    params = _params(top.link)
    assert params["hlm"] == "1"
    view = source_view.open_source(actor=school["student"], params=params)
    assert view.kind == "halaman" and view.where == "Halaman 1 dari 3" and not view.prev_link
    assert "Gerak lurus beraturan adalah" in _marked(view)
    # A page shows its own text, not its neighbours'.
    assert "Luas daerah" not in _whole(view) and view.heading == "BAB 1 Gerak Lurus"
    second = source_view.open_source(actor=school["student"], params=_params(view.next_link))
    assert second.where == "Halaman 2 dari 3" and "Luas daerah di bawah grafik" in _marked(second)
    assert not second.cited_link  # the passage is on this page too
    third = source_view.open_source(actor=school["student"], params=_params(second.next_link))
    assert third.where == "Halaman 3 dari 3" and not third.next_link and not third.marked
    assert "Hukum pertama Newton" in _whole(third) and third.cited_link
    _check_page_picture(view)
    with pytest.raises(NotFound, match="Halaman 9"):
        source_view.open_source(actor=school["student"], params={**params, "hlm": "9"})
    # Without the kept file (a package imported from another server) the page is put
    # together from the package's chunks, and says so.
    shutil.rmtree(vkp.book_dir(books.packages_root(), top.book_key) / SOURCE_DIR)
    rebuilt = source_view.open_source(actor=school["admin"], params=params)
    assert rebuilt.notice and "Gerak lurus beraturan adalah" in _marked(rebuilt)


def _check_page_picture(view: source_view.SourceView) -> None:
    """With pypdfium2 installed, the page has a signed picture link that only works as made."""
    if pageview.pdf_renderer() is None:
        assert view.image_link == ""
        return
    params = _params_of(view.image_link, source_view.IMAGE_ROUTE)
    png = source_view.page_image(params=params)
    assert png.read_bytes().startswith(b"\x89PNG") and "cache" in png.parts
    assert source_view.page_image(params=params) == png  # cached
    expired = int(params["exp"]) + 1
    with pytest.raises(NotFound, match="kedaluwarsa"):
        source_view.page_image(params=params, now=expired)
    for forged in ({"hlm": "3"}, {"exp": str(expired + 99)}, {"sig": "x"}, {"buku": "../x"}):
        with pytest.raises(NotFound, match="tidak tersedia"):
            source_view.page_image(params={**params, **forged})


def test_a_stale_citation_says_so_and_points_at_the_current_version(engine, school) -> None:
    admin = school["admin"]
    books.ingest_book(path=school["pdf"], subject_code="FIS_10", title="Gerak")
    old = tutor.ask(
        subject_code="FIS_10", question="Apa itu gerak lurus beraturan?", use_llm=False
    ).sources[0]
    school["pdf"].write_bytes(make_text_pdf([*PDF_PAGES, ["Halaman tambahan tentang gaya."]]))
    assert books.ingest_book(path=school["pdf"], subject_code="FIS_10", title="Gerak").version == (
        "1.1.0"
    )
    [book] = books.admin_list_books(actor=admin)
    books.admin_delete_version(actor=admin, book_id=book.book_id, version="1.0.0")
    with pytest.raises(source_view.StaleSource, match=r"v1\.0\.0") as stale:
        source_view.open_source(actor=school["student"], params=_params(old.link))
    current = _params(stale.value.current_link)
    assert current["versi"] == "1.1.0" and current["hlm"] == str(old.page)
    assert source_view.open_source(actor=school["student"], params=current).version == "1.1.0"
    books.admin_delete_book(actor=admin, book_id=book.book_id)
    with pytest.raises(source_view.StaleSource, match="sudah dihapus") as gone:
        source_view.open_source(actor=school["student"], params=_params(old.link))
    assert gone.value.current_link == ""


def test_unregistered_books_and_bad_links_are_refused(engine, school) -> None:
    from nexus_app.ai.embedder import get_embedder

    # A package on disk whose subject is not registered here (copied in by hand, say).
    built = vkp.build_package(
        school["md"],
        root=books.packages_root(),
        subject="KIM_10",
        title="Kimia",
        embedder=get_embedder(books.embedder_name()),
    )
    link = source_view.citation_link(
        book_key=built.manifest.book_key, version="1.0.0", page=1, chunk_id=0, paged=False
    )
    for actor in (school["student"], school["admin"]):
        with pytest.raises(PermissionDenied, match="tidak terdaftar"):
            source_view.open_source(actor=actor, params=_params(link))
    books.ingest_book(path=school["md"], subject_code="FIS_11", title="Fisika Dasar")
    good = _params(
        source_view.citation_link(
            book_key=vkp.make_book_key("FIS_11", "Fisika Dasar"),
            version="1.0.0",
            page=1,
            chunk_id=0,
            paged=False,
        )
    )
    assert source_view.open_source(actor=school["student"], params=good).marked
    for bad in (
        {**good, "buku": "../../etc"},
        {**good, "versi": "1.0"},
        {**good, "kutipan": "-1"},
        {**good, "bagian": "x"},
        {},
    ):
        with pytest.raises(InvalidInput, match="Tautan sumber tidak valid"):
            source_view.open_source(actor=school["student"], params=bad)
    with pytest.raises(NotFound, match="Bagian 999"):
        source_view.open_source(actor=school["student"], params={**good, "bagian": "999"})


def test_old_history_rows_stay_readable_without_a_link(engine, school) -> None:
    books.ingest_book(path=school["md"], subject_code="FIS_10", title="Fisika Dasar")
    tutor.ask(
        subject_code="FIS_10",
        question="Apa yang dimaksud dengan kecepatan?",
        use_llm=False,
        actor=school["student"],
    )
    old = [{"book": "Fisika Dasar", "page": 1, "version": "1.0.0", "heading": "Kecepatan"}]
    old[0] |= {"score": 0.5, "text": "Kecepatan adalah perpindahan benda dibagi waktu."}
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE chat_history SET sources_json = :j"), {"j": json.dumps(old)})
    [item] = tutor.history(actor=school["student"])
    assert item.sources[0].where == "hlm. 1" and item.sources[0].link == ""


def test_a_damaged_current_version_is_refused_cleanly(engine, school) -> None:
    """A stale citation whose book's current version has a damaged manifest: a clear message,
    not a crash; its page pictures are "not available", not a server error."""
    admin = school["admin"]
    books.ingest_book(path=school["pdf"], subject_code="FIS_10", title="Gerak")
    old = tutor.ask(
        subject_code="FIS_10", question="Apa itu gerak lurus beraturan?", use_llm=False
    ).sources[0]
    school["pdf"].write_bytes(make_text_pdf([*PDF_PAGES, ["Halaman tambahan tentang gaya."]]))
    books.ingest_book(path=school["pdf"], subject_code="FIS_10", title="Gerak")
    [book] = books.admin_list_books(actor=admin)
    books.admin_delete_version(actor=admin, book_id=book.book_id, version="1.0.0")
    with pytest.raises(source_view.StaleSource) as stale:
        source_view.open_source(actor=school["student"], params=_params(old.link))
    current = _params(stale.value.current_link)
    manifest = vkp.book_dir(books.packages_root(), old.book_key) / "1.1.0" / vkp.MANIFEST
    manifest.write_text("{}", encoding="utf-8")
    with pytest.raises(source_view.StaleSource, match="tidak bisa dibaca") as damaged:
        source_view.open_source(actor=school["student"], params=_params(old.link))
    assert damaged.value.current_link == ""
    exp = "9999999999"
    signed = source_view._sign(f"{current['buku']}|1.1.0|{int(current['hlm'])}|{exp}")
    with pytest.raises(NotFound, match="tidak tersedia"):  # signed, but unreadable behind
        source_view.page_image(params={**current, "exp": exp, "sig": signed})
