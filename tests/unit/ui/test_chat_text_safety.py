"""Issue 12: the chat page shows book and model text as text, never as markup.

The answer, the searched question, the sources and the history are rendered as text nodes
(React escapes them): no Markdown, no raw HTML, no math renderer on the page. So a book or a
model writing "<script>", "[tautan](…)" or "$$…$$" is shown as written (the readable form
only turns plain-text math into Unicode, see tests/unit/ai/test_formulas.py)."""

from nexus_app.pages.chat import chat_page
from nexus_app.services import tutor
from nexus_app.state.chat import SourceRow, _source_rows


def test_the_chat_page_renders_no_markup_from_text() -> None:
    rendered = str(chat_page().render())
    assert "chat-searched-question" in rendered and "Dicari: " in rendered
    for markup in ("dangerouslySetInnerHTML", "ReactMarkdown", "Markdown", "katex", "Katex"):
        assert markup not in rendered, markup


def test_source_rows_keep_markup_as_text_and_render_formulas() -> None:
    source = tutor.Source(
        book="Buku <b>Uji</b>",
        page=1,
        version="1.0.0",
        heading="Barisan",
        score=0.5,
        text="Rumus U_n = a × r^(n − 1). <script>alert(1)</script> [x](javascript:y) $$a^2$$",
        location="bagian Barisan",
    )
    (row,) = _source_rows([source])
    assert isinstance(row, SourceRow)
    assert row.book == "Buku <b>Uji</b>"
    assert row.text == ("Rumus Uₙ = a × rⁿ⁻¹. <script>alert(1)</script> [x](javascript:y) $$a²$$")
