"""Chunking: pages become overlapping passages that remember their page and heading path.

How it works:

1. Each page is read line by line. Markdown headings (``#`` … ``######``) update a heading
   stack, so every passage knows e.g. ``("Matematika Kelas 10", "Bab 1 Eksponen dan Logaritma",
   "Sifat-Sifat Eksponen")``. The stack carries over page breaks (a section may span pages).
   In PDF text, lines such as ``BAB 2 ...`` are taken as chapter headings.
2. Paragraphs are cut into sentence-like units (list items and fenced code blocks stay whole),
   each tagged with its page and heading path.
3. Units are packed, within one section (same heading path), into passages of about
   ``target_words`` words, never over ``max_words`` (over-long units are split by words).
   The next passage repeats the last whole units of the previous one, up to
   ``overlap_words``, so an answer cut at a boundary is still whole in one of them.
4. A section shorter than ``min_words`` (a chapter intro between two headings, for example)
   is carried into the next section of the same page instead of becoming a tiny passage.

Passage size was tuned on the demo gold set (see docs/ai.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nexus_app.ai.pdftext import Page

__all__ = [
    "STOPWORDS_ID",
    "TOKENIZER_VERSION",
    "Chunk",
    "ChunkParams",
    "chunk_pages",
    "content_terms",
    "normalize_text",
    "passage_sentences",
    "passage_units",
    "split_sentences",
    "spoken_variants",
    "stem_id",
    "tokenize",
]

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# A chapter line in PDF text ("BAB 2 ALGORITMA", "Bab 3 Sistem Bilangan").
_PDF_CHAPTER = re.compile(r"^(BAB|Bab)\s+([0-9]+|[IVXLC]+)\b[\s.:–-]*(.{0,80})$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)])\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_PAGE_MARKER = re.compile(r"^\s*<!--.*-->\s*$")
# End of sentence: . ! ? (optionally followed by a closing quote or bracket), then space, then
# something that can start a sentence. Keeps "150.000.000" and "0,5" together.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]?\s+(?=[\"'“‘(\[A-Z0-9−–-])")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class ChunkParams:
    """Passage size in words (whitespace-separated)."""

    target_words: int = 120
    max_words: int = 180
    overlap_words: int = 40
    min_words: int = 25

    def __post_init__(self) -> None:
        if not 0 < self.min_words <= self.target_words <= self.max_words:
            raise ValueError("need 0 < min_words <= target_words <= max_words")
        if not 0 <= self.overlap_words < self.target_words:
            raise ValueError("need 0 <= overlap_words < target_words")

    def as_dict(self) -> dict[str, int]:
        return {
            "target_words": self.target_words,
            "max_words": self.max_words,
            "overlap_words": self.overlap_words,
            "min_words": self.min_words,
        }


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage. ``page`` is where it starts, ``page_end`` where it ends."""

    id: int
    text: str
    page: int
    page_end: int
    heading_path: tuple[str, ...] = field(default=())

    @property
    def heading(self) -> str:
        """The innermost heading (the topic), or "" before any heading."""
        return self.heading_path[-1] if self.heading_path else ""

    @property
    def chapter(self) -> str:
        """The second-level heading when the book has a title heading, else the first."""
        if len(self.heading_path) >= 2:
            return self.heading_path[1]
        return self.heading_path[0] if self.heading_path else ""

    def index_text(self) -> str:
        """Text fed to the embedder and BM25: the two innermost headings, then the passage.

        Headings carry the topic words students use ("logaritma", "topologi") even when the
        passage itself only says "sifat ini".
        """
        head = " — ".join(self.heading_path[-2:])
        return f"{head}\n{self.text}" if head else self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "page": self.page,
            "page_end": self.page_end,
            "heading": self.heading,
            "heading_path": list(self.heading_path),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(
            id=int(data["id"]),
            text=str(data["text"]),
            page=int(data["page"]),
            page_end=int(data.get("page_end", data["page"])),
            heading_path=tuple(str(h) for h in data.get("heading_path", ())),
        )


@dataclass(slots=True)
class _Unit:
    text: str
    page: int
    path: tuple[str, ...]
    words: int


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences (Indonesian/English punctuation rules)."""
    paragraph = paragraph.strip()
    if not paragraph:
        return []
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def passage_sentences(text: str) -> list[str]:
    """The sentences of a passage as a quote or an evidence check sees them. A list item (a
    line opened by "-", "*", "•", "+" or "1.") starts a sentence of its own, bullet mark
    dropped: the chunker keeps a list inside its paragraph, and what a question asks for is
    often one rule of the list ("nama variabel tidak boleh diawali angka"), not the whole
    list. Other line breaks (a PDF's wrapped lines) join."""
    return [sentence for sentence, _ in passage_units(text)]


def passage_units(text: str) -> list[tuple[str, bool]]:
    """:func:`passage_sentences` with, for each, whether it opens a bulleted list item (so a
    quote can show it as one)."""
    segments: list[tuple[list[str], bool]] = [([], False)]
    in_item = False
    for line in text.split("\n"):
        mark = _LIST_ITEM.match(line)
        if mark is None:
            # After an item that ends like one ("…;", "….") a line is the text after the
            # list, not the item wrapped onto a second line.
            if in_item and segments[-1][0][-1].rstrip().endswith((".", ";", ":", "!", "?")):
                segments.append(([], False))
                in_item = False
            segments[-1][0].append(line)
            continue
        in_item = True
        numbered = mark.group(0).strip()[0].isdigit()
        segments.append(([line.strip() if numbered else line[mark.end() :]], not numbered))
    out: list[tuple[str, bool]] = []
    for lines, bulleted in segments:
        for k, sentence in enumerate(split_sentences(" ".join(lines))):
            out.append((sentence, bulleted and k == 0))
    return out


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _units(pages: Iterable[Page]) -> list[_Unit]:
    """Walk the pages, tracking headings, and emit sentence-like units."""
    stack: list[tuple[int, str]] = []
    units: list[_Unit] = []

    def path() -> tuple[str, ...]:
        return tuple(title for _, title in stack)

    def set_heading(level: int, title: str) -> None:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))

    for page in pages:
        para: list[str] = []
        in_code = False
        code: list[str] = []

        for raw in page.text.split("\n"):
            line = raw.rstrip()
            if _FENCE.match(line):
                if in_code:
                    code.append(line)
                    block = "\n".join(code)
                    units.append(_Unit(block, page.number, path(), _word_count(block)))
                    code, in_code = [], False
                else:
                    para = _flush(para, units, page.number, path())
                    code, in_code = [line], True
                continue
            if in_code:
                code.append(line)
                continue
            if not line.strip() or _PAGE_MARKER.match(line):
                para = _flush(para, units, page.number, path())
                continue
            heading = _HEADING.match(line)
            if heading:
                para = _flush(para, units, page.number, path())
                set_heading(len(heading.group(1)), heading.group(2).strip())
                continue
            chapter = _PDF_CHAPTER.match(line.strip())
            if chapter and len(line.strip()) <= 90:
                para = _flush(para, units, page.number, path())
                set_heading(2, line.strip())
                continue
            para.append(line)
        if in_code and code:  # an unclosed fence ends with its page
            block = "\n".join(code)
            units.append(_Unit(block, page.number, path(), _word_count(block)))
        para = _flush(para, units, page.number, path())
    return units


def _flush(para: list[str], units: list[_Unit], page_no: int, path: tuple[str, ...]) -> list[str]:
    """Turn a paragraph's lines into units (list items one by one); returns a fresh buffer."""
    prose: list[str] = []
    for line in para:
        if _LIST_ITEM.match(line):
            if prose:
                units.extend(_sentences(" ".join(prose), page_no, path))
                prose = []
            units.extend(_sentences(line.strip(), page_no, path))
        else:
            prose.append(line.strip())
    if prose:
        units.extend(_sentences(" ".join(prose), page_no, path))
    return []


def _sentences(text: str, page: int, path: tuple[str, ...]) -> list[_Unit]:
    return [_Unit(s, page, path, _word_count(s)) for s in split_sentences(text)]


def _split_long(unit: _Unit, max_words: int) -> list[_Unit]:
    words = unit.text.split()
    if len(words) <= max_words:
        return [unit]
    return [
        _Unit(
            " ".join(words[i : i + max_words]), unit.page, unit.path, len(words[i : i + max_words])
        )
        for i in range(0, len(words), max_words)
    ]


def _sections(units: Sequence[_Unit], min_words: int) -> list[list[_Unit]]:
    """Group consecutive units by heading path; fold tiny sections into the next one."""
    groups: list[list[_Unit]] = []
    for unit in units:
        if groups and groups[-1][0].path == unit.path:
            groups[-1].append(unit)
        else:
            groups.append([unit])
    merged: list[list[_Unit]] = []
    carry: list[_Unit] = []
    for i, group in enumerate(groups):
        group = carry + group
        carry = []
        words = sum(u.words for u in group)
        nxt = groups[i + 1] if i + 1 < len(groups) else None
        if words < min_words and nxt is not None and nxt[0].page - group[-1].page <= 1:
            # Re-tag the short intro with the next section's path so the passage is coherent.
            carry = [_Unit(u.text, u.page, nxt[0].path, u.words) for u in group]
            continue
        merged.append(group)
    if carry:
        merged.append(carry)
    return merged


def _pack(section: Sequence[_Unit], params: ChunkParams) -> list[list[_Unit]]:
    units = [piece for u in section for piece in _split_long(u, params.max_words)]
    spans: list[tuple[int, int]] = []  # [start, end) unit ranges
    i = 0
    while i < len(units):
        start = i
        words = 0
        while i < len(units):
            w = units[i].words
            if i > start and (words + w > params.max_words or words >= params.target_words):
                break
            words += w
            i += 1
        if spans and i >= len(units) and words < params.min_words:
            # A short tail joins the previous passage when that stays under max_words.
            prev_start, prev_end = spans[-1]
            tail = sum(u.words for u in units[prev_end:i])
            if sum(u.words for u in units[prev_start:prev_end]) + tail <= params.max_words:
                spans[-1] = (prev_start, i)
                break
        spans.append((start, i))
        if i >= len(units):
            break
        # Step back over whole units for the overlap, but always make progress.
        back = 0
        j = i
        while j - 1 > start and back + units[j - 1].words <= params.overlap_words:
            j -= 1
            back += units[j].words
        i = j
    return [list(units[a:b]) for a, b in spans]


def chunk_pages(pages: Iterable[Page], params: ChunkParams | None = None) -> list[Chunk]:
    """Cut pages into overlapping passages with page numbers and heading paths."""
    params = params or ChunkParams()
    units = [u for u in _units(pages) if u.words > 0]
    out: list[Chunk] = []
    for section in _sections(units, params.min_words):
        for group in _pack(section, params):
            text = _join(group)
            out.append(
                Chunk(
                    id=len(out),
                    text=text,
                    page=group[0].page,
                    page_end=group[-1].page,
                    heading_path=group[-1].path,
                )
            )
    return out


def _join(units: Sequence[_Unit]) -> str:
    parts: list[str] = []
    for u in units:
        # List items and code keep their own line; prose sentences flow together.
        if parts and (_LIST_ITEM.match(u.text) or "\n" in u.text or _LIST_ITEM.match(parts[-1])):
            parts.append("\n" + u.text)
        elif parts:
            parts.append(" " + u.text)
        else:
            parts.append(u.text)
    return "".join(parts)


# --- Tokens for BM25 and the support check ---------------------------------------------------

TOKENIZER_VERSION = "id-v1"

# Function words and chat filler that carry no topic (Indonesian, plus a few English ones
# that appear in mixed questions). Written for Nexus; kept short on purpose.
_STOPWORD_TEXT = """
    yang dan di ke dari ini itu dengan untuk pada adalah ialah merupakan dalam akan atau juga
    ada oleh karena sebagai dapat bisa boleh sudah telah sedang masih kita kamu kami saya aku
    anda engkau ia dia beliau mereka apa apakah bagaimana gimana kenapa mengapa siapa kapan
    dimana mana berapa jika kalau bila apabila maka sehingga agar supaya tetapi tapi namun lalu
    kemudian saat ketika bahwa hal para nya pun lah kah tersebut yaitu yakni jadi lebih sangat
    hanya saja setiap semua tiap seperti antara tentang bagi kepada hingga sampai sebuah seorang
    suatu si sang nggak gak enggak ga dong sih ya kok deh nih tuh kan tolong jelaskan sebutkan
    apaan maksud dimaksud disebut sebut artinya arti coba ingin mau harus perlu punya begitu
    begini sini situ sana secara buat bukan belum pernah lagi sendiri diri tadi nanti kutipan
    berdasarkan menurut jawaban jawab pertanyaan the a an of to is are and or in on for what how
    why which who misalnya misal contohnya demikian adapun
"""
STOPWORDS_ID: frozenset[str] = frozenset(_STOPWORD_TEXT.split())

_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_PARTICLES = ("lah", "kah", "tah", "pun")
_POSSESSIVES = ("nya", "ku", "mu")
_PREFIX_1 = ("meng", "meny", "men", "mem", "me", "peng", "peny", "pen", "pem", "di", "ter", "ke")
_PREFIX_2 = ("ber", "bel", "be", "per", "pel", "pe")
_SUFFIXES = ("kan", "an", "i")
_MIN_STEM = 4


def normalize_text(text: str) -> str:
    """Lowercase and unify the Unicode minus, dashes and digit grouping that books use."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("−", "-").replace("–", "-").replace("—", "-")


def stem_id(word: str) -> str:
    """A light Indonesian stemmer (after Tala's rules, without recoding).

    ``dipangkatkan`` → ``pangkat``, ``perpangkatan`` → ``pangkat``, ``bilangannya`` →
    ``bilang``. Over-stemming is tolerable because BM25 indexes the surface word as well.
    """
    if len(word) <= _MIN_STEM or not word.isalpha():
        return word
    w = word
    for suf in _PARTICLES:
        if w.endswith(suf) and len(w) - len(suf) >= _MIN_STEM:
            w = w[: -len(suf)]
            break
    for suf in _POSSESSIVES:
        if w.endswith(suf) and len(w) - len(suf) >= _MIN_STEM:
            w = w[: -len(suf)]
            break
    prefixed = False
    for pre in _PREFIX_1:
        if w.startswith(pre) and len(w) - len(pre) >= _MIN_STEM:
            w = ("s" + w[4:]) if pre in ("meny", "peny") else w[len(pre) :]
            prefixed = True
            break
    for pre in _PREFIX_2:
        if w.startswith(pre) and len(w) - len(pre) >= _MIN_STEM:
            w = w[len(pre) :]
            prefixed = True
            break
    for suf in _SUFFIXES:
        # A bare "-i"/"-an" ending is often part of the root ("bumi", "jalan"): only strip
        # it when a prefix was removed too, or when the word is long.
        if w.endswith(suf) and len(w) - len(suf) >= _MIN_STEM and (prefixed or len(w) > 8):
            w = w[: -len(suf)]
            break
    return w


def tokenize(
    text: str, *, stem: bool = True, stopwords: frozenset[str] = STOPWORDS_ID
) -> list[str]:
    """BM25 tokens: lowercase words and numbers, stopwords dropped, each word followed by its
    stem when the stem differs (so exact forms score higher than mere stem matches).

    Numbers keep their grouping (``150.000.000``, ``0,5``) so they match exactly.
    """
    out: list[str] = []
    for tok in _TOKEN_RE.findall(normalize_text(text)):
        if tok in stopwords or (len(tok) == 1 and not tok.isdigit()):
            continue
        out.append(tok)
        if stem:
            s = stem_id(tok)
            if s != tok:
                out.append("~" + s)
    return out


# Spoken prefixes that replace the book's "me-" and the letter after it (ngitung = hitung,
# nyimpen = simpan, ngukur = ukur, nebak = tebak, mukul = pukul).
_NASAL = (
    ("nge", ("",)),
    ("ng", ("", "k", "h")),
    ("ny", ("s", "c")),
    ("n", ("t",)),
    ("m", ("p",)),
)
# The last vowel as it is spoken: cepet = cepat, dapet = dapat, bener = benar.
_SPOKEN_LAST_VOWEL = re.compile(r"^([a-z]*[^aeiou])e([^aeiou]+)$")


def spoken_variants(term: str) -> list[str]:
    """The book words a spoken form (a stemmed content term, see :func:`content_terms`) may
    stand for, stemmed the same way: ilang → hilang; nebak → menebak (stemmed "ebak": the
    stemmer does not restore the dropped letter), tebak; nyimpen → simpan; ngerjain → kerja;
    cepet → cepat; akarin → akar; selnya → sel. Which of them is really meant is for the
    caller to check against a book: these are candidates, most of them no word at all."""
    out = ["h" + term]
    for prefix, heads in _NASAL:
        if not term.startswith(prefix) or len(term) <= len(prefix) + 2:
            continue
        if prefix != "nge":
            out.append(stem_id("me" + term))
        rest = term[len(prefix) :]
        for head in heads:
            base = head + rest
            out += [base, stem_id(base), _with_book_vowel(base)]  # muter: puter, putar
            if base.endswith("en"):
                out.append(base[:-2] + "an")  # nyimpen -> simpan
            if base.endswith("in"):
                out.append(base[:-2])  # ngerjain -> kerja
    out.append(_with_book_vowel(term))
    # Spoken suffixes: "-in" for "-kan"/"-i" (diakarin: akar, dikerjain: kerja), and "-nya"
    # the stemmer keeps on a short word (selnya: sel).
    for suffix in ("in", "nya"):
        if term.endswith(suffix) and len(term) - len(suffix) >= 3:
            out.append(term[: -len(suffix)])
    return list(dict.fromkeys(v for v in out if v and v != term))


def _with_book_vowel(word: str) -> str:
    """The word with its spoken last vowel as the book writes it (cepet: cepat), or ""."""
    vowel = _SPOKEN_LAST_VOWEL.match(word)
    return f"{vowel.group(1)}a{vowel.group(2)}" if vowel and len(word) >= 4 else ""


def content_terms(text: str) -> list[str]:
    """Words and numbers that carry content (no stopwords), stemmed: for overlap checks."""
    terms: list[str] = []
    for tok in _TOKEN_RE.findall(normalize_text(text)):
        if tok in STOPWORDS_ID or (len(tok) == 1 and not tok.isdigit()):
            continue
        terms.append(stem_id(tok))
    return terms
