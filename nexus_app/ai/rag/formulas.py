"""Formulas readable as plain text: "a^n" → "aⁿ", "U_n" → "Uₙ", "1/2" → "½", "sqrt(x)" → "√x".

Book text and model text are never markup: the chat page renders them as text nodes (React
escapes them), so "<script>", "[tautan](http://…)" and "$$x^2$$" are shown as written. What
this module adds is readability for the plain-text math that books and the model write, with
Unicode characters only — it returns text, never HTML, so it cannot open a way for markup in.

Rules (each applied only where the whole piece converts, else the text is left as written):

- exponent ``base^2``, ``base^(n − 1)``, ``base^{2n}``, ``base^x`` → superscript characters;
- subscript ``U_n``, ``S_20``, ``x_{n+1}`` after a one- or two-letter name → subscripts
  (longer names like ``nilai_max`` are identifiers in code and stay as written);
- ``2**3`` (programming power) → ``2³``; ``2*3`` / ``2 * x`` between numbers → ``×``;
- a fraction of whole numbers ``1/2``, ``3/4``, ``20/2`` → "½", "¾", "²⁰⁄₂" (not in dates
  like 6/12/2026 nor decimals like 1/0,301);
- ``sqrt(x)`` → "√x", ``sqrt(a + b)`` → "√(a + b)".

LaTeX (``$$…$$``, ``\\frac``) is not interpreted: it is shown as written.
"""

from __future__ import annotations

import re

_SUPERSCRIPT = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyz",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ",
        strict=True,
    )
)
_SUBSCRIPT = dict(
    zip("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
_VULGAR = {
    (1, 2): "½",
    (1, 3): "⅓",
    (2, 3): "⅔",
    (1, 4): "¼",
    (3, 4): "¾",
    (1, 5): "⅕",
    (2, 5): "⅖",
    (3, 5): "⅗",
    (4, 5): "⅘",
    (1, 6): "⅙",
    (5, 6): "⅚",
    (1, 7): "⅐",
    (1, 8): "⅛",
    (3, 8): "⅜",
    (5, 8): "⅝",
    (7, 8): "⅞",
    (1, 9): "⅑",
    (1, 10): "⅒",
}
_GROUP = r"\{[^{}\n]{1,16}\}|\([^()\n]{1,16}\)"
_EXPONENT = re.compile(rf"(?<=[\w)\]⁰¹²³⁴⁵⁶⁷⁸⁹√])\^({_GROUP}|[−-]?\d+|[a-z](?![a-zA-Z(]))")
_POWER = re.compile(r"(?<=[\w)])\*\*([−-]?\d+|\([^()\n]{1,16}\))")
_SUBSCRIPT_RE = re.compile(
    rf"(?<![A-Za-z0-9_])([A-Za-z]{{1,2}})_({_GROUP}|\d+|[a-z](?![a-zA-Z]))(?![A-Za-z0-9_])"
)
_TIMES = re.compile(r"(?<=\d)\s?\*\s?(?=[\d(]|[a-z]\b)|(?<=[a-z)])\s?\*\s?(?=\d)")
_FRACTION = re.compile(r"(?<![\w/.,⁄])(\d{1,3})/(\d{1,3})(?![\w/⁄]|[.,]\d)")
_SQRT = re.compile(r"\bsqrt\s*\(([^()\n]{1,40})\)")


def _inner(group: str) -> str:
    if group[:1] in "({" and group[-1:] in ")}":
        return group[1:-1]
    return group


def _convert(text: str, table: dict[str, str]) -> str | None:
    """``text`` in superscript/subscript characters, or None if a character has none."""
    compact = text.replace(" ", "")
    if not compact or any(c not in table for c in compact):
        return None
    return "".join(table[c] for c in compact)


def _exponent(m: re.Match[str]) -> str:
    return _convert(_inner(m.group(1)), _SUPERSCRIPT) or m.group(0)


def _subscript(m: re.Match[str]) -> str:
    sub = _convert(_inner(m.group(2)), _SUBSCRIPT)
    return m.group(1) + sub if sub else m.group(0)


def _fraction(m: re.Match[str]) -> str:
    num, den = int(m.group(1)), int(m.group(2))
    if den == 0:
        return m.group(0)
    vulgar = _VULGAR.get((num, den))
    if vulgar and m.group(1) == str(num) and m.group(2) == str(den):
        return vulgar
    top = _convert(m.group(1), _SUPERSCRIPT)
    bottom = _convert(m.group(2), _SUBSCRIPT)
    return f"{top}⁄{bottom}" if top and bottom else m.group(0)


def _sqrt(m: re.Match[str]) -> str:
    body = m.group(1).strip()
    return f"√{body}" if re.fullmatch(r"[\w.,]+", body) else f"√({body})"


def readable(text: str) -> str:
    """``text`` with plain-text math turned into Unicode (see the module doc). Text in,
    text out: nothing is escaped or unescaped here, and no markup is produced."""
    if not text:
        return text
    out = _SQRT.sub(_sqrt, text)
    out = _POWER.sub(lambda m: _convert(_inner(m.group(1)), _SUPERSCRIPT) or m.group(0), out)
    out = _EXPONENT.sub(_exponent, out)
    out = _SUBSCRIPT_RE.sub(_subscript, out)
    out = _TIMES.sub(" × ", out)
    return _FRACTION.sub(_fraction, out)
