"""Issue 12: formulas readable as Unicode text; book and model text never become markup."""

from __future__ import annotations

import pytest

from nexus_app.ai.rag.formulas import readable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("x^2", "x²"),
        ("a^n dibaca a pangkat n", "aⁿ dibaca a pangkat n"),
        ("(−3)^4 = 81", "(−3)⁴ = 81"),
        ("−3^4 = −81", "−3⁴ = −81"),
        ("2^(x + 1) = 32", "2ˣ⁺¹ = 32"),
        ("10^(−4)", "10⁻⁴"),
        ("x^{2n}", "x²ⁿ"),
        ("a^m × a^n = a^(m + n)", "aᵐ × aⁿ = aᵐ⁺ⁿ"),
        ("U_n = a + (n − 1)b", "Uₙ = a + (n − 1)b"),
        ("S_20 = 820", "S₂₀ = 820"),
        ("x_{n+1}", "xₙ₊₁"),
        ("1/2", "½"),
        ("3/4 bagian", "¾ bagian"),
        ("(2/3)^0 = 1", "(⅔)⁰ = 1"),
        ("20/2 × 82", "²⁰⁄₂ × 82"),
        ("sqrt(25) = 5", "√25 = 5"),
        ("sqrt(a + b)", "√(a + b)"),
        ("2**3 = 8", "2³ = 8"),
        ("3 * 4 = 12", "3 × 4 = 12"),
    ],
)
def test_formulas_become_unicode(text: str, shown: str) -> None:
    assert readable(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        # What cannot be written in Unicode super/subscripts stays as written.
        "a^(1/n)",
        "a^(m × n)",
        "a^f(x) = a^g(x)",
        # Dates, decimals and identifiers in code are not formulas.
        "6/12/2026",
        "1/0,301",
        "nilai_max = data_1",
        "1,5/2",
        # Markdown emphasis is not multiplication.
        "ini **penting** dan *miring*",
        "",
    ],
)
def test_what_is_not_a_formula_is_left_alone(text: str) -> None:
    assert readable(text) == text


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert('x')</script>",
        '<img src=x onerror="alert(1)">',
        "[klik di sini](javascript:alert(1))",
        "![gambar](http://contoh.test/a.png)",
        "$$\\frac{1}{2}$$",
        "&lt;b&gt;tebal&lt;/b&gt;",
        "# Judul\n\n- butir",
    ],
)
def test_hostile_text_is_kept_literally(hostile: str) -> None:
    # Text in, the same text out: no escaping (the page renders text nodes), no unescaping,
    # no markup produced, the LaTeX delimiters and link syntax still visible.
    assert readable(hostile) == hostile


def test_formulas_inside_hostile_text_render_and_the_markup_stays_text() -> None:
    shown = readable("<b>x^2</b> [U_n](http://x.test) $$a^2$$")
    assert shown == "<b>x²</b> [Uₙ](http://x.test) $$a²$$"
    assert "<" in shown and "](" in shown and "$$" in shown
