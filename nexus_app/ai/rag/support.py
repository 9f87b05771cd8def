"""Whether each sentence of an answer is supported by the cited passages; extractive answers."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from nexus_app.ai.chunking import (
    STOPWORDS_ID,
    content_terms,
    normalize_text,
    passage_units,
    split_sentences,
    spoken_variants,
    stem_id,
)
from nexus_app.ai.retriever import Passage

from .prompts import _CITATION, _MODEL_REFUSAL, _NUMBER, MIN_SENTENCE_SUPPORT, _best_excerpt

# --- support check -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentenceSupport:
    sentence: str
    terms: tuple[str, ...]
    missing_terms: tuple[str, ...]
    missing_numbers: tuple[str, ...]
    overlap: float
    supported: bool


@dataclass(frozen=True, slots=True)
class SupportResult:
    supported: bool
    score: float  # share of substantive sentences that are supported (0 if none)
    sentences: tuple[SentenceSupport, ...]
    # "ok", "unsupported_sentence", "no_content", "model_refused"; feedback adds "wrong_key"
    # (names another option as the key) and "echo" (repeats the prompt instead of explaining).
    reason: str


def _numbers(text: str) -> set[str]:
    # "150.000.000" and "150000000", "0,5" and "0.5" compare equal.
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(normalize_text(text))}


def support_check(
    answer: str,
    sources: Sequence[str],
    *,
    min_overlap: float = MIN_SENTENCE_SUPPORT,
) -> SupportResult:
    """Is ``answer`` backed by ``sources`` (the passage texts the model saw)?

    Definition: citation marks like ``[1]`` are removed and the answer is split into
    sentences. A sentence is *substantive* if it has at least two content terms (stemmed words
    that are not stopwords; see :func:`nexus_app.ai.chunking.content_terms`) or any number.
    It is *supported* when every number in it occurs in the sources and at least
    ``min_overlap`` of its content terms occur in the sources. The answer is supported when it
    has at least one substantive sentence and all of them are supported, and it is not the
    model's own "the book does not cover this" line.
    """
    text = _CITATION.sub(" ", answer).strip()
    if _MODEL_REFUSAL in normalize_text(text):
        return SupportResult(False, 0.0, (), "model_refused")
    source_text = "\n".join(sources)
    source_terms = set(content_terms(source_text))
    source_numbers = _numbers(source_text)
    checked: list[SentenceSupport] = []
    for sentence in split_sentences(text.replace("\n", " ")):
        terms = content_terms(sentence)
        numbers = _numbers(sentence)
        word_terms = [t for t in terms if not t[0].isdigit()]
        if len(set(word_terms)) < 2 and not numbers:
            continue
        unique = sorted(set(word_terms))
        missing = tuple(t for t in unique if t not in source_terms)
        overlap = (len(unique) - len(missing)) / len(unique) if unique else 1.0
        missing_numbers = tuple(sorted(n for n in numbers if n not in source_numbers))
        ok = overlap >= min_overlap and not missing_numbers
        checked.append(
            SentenceSupport(sentence, tuple(unique), missing, missing_numbers, overlap, ok)
        )
    if not checked:
        return SupportResult(False, 0.0, (), "no_content")
    score = sum(s.supported for s in checked) / len(checked)
    supported = all(s.supported for s in checked)
    return SupportResult(
        supported, score, tuple(checked), "ok" if supported else "unsupported_sentence"
    )


_SOURCE_MARK = re.compile(r"\[\d+(?::[^\]]*)?\]")


def shown_sentences(answer: str) -> list[str]:
    """The sentences a student reads, without citation marks ("[1]", "[1: Buku, bagian X]")."""
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", _SOURCE_MARK.sub(" ", answer))
    text = re.sub(r"[ \t]+", " ", text)
    out: list[str] = []
    for para in text.split("\n"):
        out.extend(s.strip() for s in split_sentences(para) if s.strip())
    return out


# --- extractive answers --------------------------------------------------------------------


def extractive_answer(
    question: str, passages: Sequence[Passage], *, max_passages: int = 2, max_words: int = 60
) -> str:
    """The most relevant sentences of the best passages, each ending with its source number
    and citation, as a model's answer ends its sentences ("… [1]"): the answer starts with
    the book's words, not with a bare "[1]"."""
    parts = []
    for i, p in enumerate(passages[:max_passages], start=1):
        excerpt = _best_excerpt(p.text, question, max_words)
        parts.append(f"{excerpt} [{i}: {p.citation}]")
    return "\n\n".join(parts)


# --- extractive-first answers (issue 12) ---------------------------------------------------

# How strictly a model lead-in must match ONE book sentence: most of its content terms, all
# of its numbers. Checking against a single sentence (not the whole passage) stops the small
# model from gluing words of different sentences into a wrong claim.
LEAD_IN_MIN_OVERLAP = 0.8
LEAD_IN_MIN_TERMS = 3


_WORDS = re.compile(r"\w+")
Candidate = tuple[int, int, str]  # (passage index, sentence position, sentence)


def _candidate_units(
    passages: Sequence[Passage], max_passages: int
) -> list[tuple[int, int, str, bool]]:
    """The candidates with whether each is a bulleted list item."""
    out: list[tuple[int, int, str, bool]] = []
    for pi, p in enumerate(passages[:max_passages]):
        for si, (s, bulleted) in enumerate(passage_units(p.text)):
            # Four words at least (a heading or "Contoh 3." says nothing); a formula's parts
            # count: "=AVERAGE(B2:B31) menghitung rata-rata;" is a statement.
            if len(_WORDS.findall(s)) >= 4:
                out.append((pi, si, s, bulleted))
    return out


def candidate_sentences(passages: Sequence[Passage], max_passages: int = 3) -> list[str]:
    """The sentences :func:`select_sentences` ranks, in its order (for ``dense_scores``)."""
    return [s for _, _, s, _ in _candidate_units(passages, max_passages)]


@dataclass(frozen=True, slots=True)
class Quote:
    sentence: str
    passage_index: int  # index into the passages given to select_sentences
    position: int  # sentence position inside its passage (book order)
    score: float
    list_item: bool = False  # a bulleted item of the book: shown on a line of its own


def select_sentences(
    question: str,
    passages: Sequence[Passage],
    *,
    dense_scores: Sequence[float] | None = None,
    max_passages: int = 3,
    max_sentences: int = 3,
    max_words: int = 70,
    rrf_k: int = 10,
) -> list[Quote]:
    """The best 1–3 book sentences for the question, fused like the retriever: reciprocal rank
    over a lexical ranking (IDF-weighted share of the question's content terms, IDF over the
    candidate sentences), the dense ranking (``dense_scores``: cosine of each candidate, in
    candidate order; optional) and the passage's retrieval rank. Returned in book order inside
    each passage, the best sentence's passage first."""
    units = _candidate_units(passages, max_passages)
    cands = [(pi, si, s) for pi, si, s, _ in units]
    if not cands:
        return []
    question = _REDUPLICATED.sub(r"\1-\1", question)
    cand_terms = [set(content_terms(s)) for _, _, s in cands]
    vocabulary = set().union(*cand_terms)
    q_terms = {_book_form(t, vocabulary) for t in content_terms(question)}
    n = len(cands)
    idf = {t: math.log(1 + n / (1 + sum(t in ct for ct in cand_terms))) for t in q_terms}
    total = sum(idf.values()) or 1.0
    lexical = [sum(idf[t] for t in q_terms if t in ct) / total for ct in cand_terms]
    lists: list[list[int]] = [sorted(range(n), key=lambda i: -lexical[i])]
    if dense_scores is not None and len(dense_scores) == n:
        lists.append(sorted(range(n), key=lambda i: -dense_scores[i]))
    lists.append(sorted(range(n), key=lambda i: (cands[i][0], cands[i][1])))
    # Only the sentences that repeat a phrase of the question are ranked here: a bonus, so
    # "1 radian ≈ 57,3°" wins for "1 radian tuh brp derajat" over sentences that merely hold
    # both words, and a rule of a list ("tidak boleh diawali angka") over the list's topic.
    q_tokens = [_book_form(t, vocabulary) for t in _phrase_tokens(question)]
    phrase = [_shared_run(q_tokens, _phrase_tokens(s)) for _, _, s in cands]
    lists.append(sorted((i for i in range(n) if phrase[i] >= 2), key=lambda i: -phrase[i]))
    fused = [0.0] * n
    for ranking in lists:
        for rank, i in enumerate(ranking, start=1):
            fused[i] += 1.0 / (rrf_k + rank)
    order = sorted(range(n), key=lambda i: -fused[i])
    # A question, a task set to the student or an exercise section's text answers nothing:
    # quoted only if the passages hold nothing else.
    statements = [
        i
        for i in order
        if not _asks(cands[i][2]) and not _is_exercise(passages[cands[i][0]].heading_path)
    ]
    order = statements or order
    if _ASKS_WHAT.search(question):
        # "eksponen tuh maksudnya apa": the book's definition of exactly that comes first
        # ("Eksponen atau perpangkatan adalah …"), not that of a neighbour that shares the
        # word ("Persamaan eksponen adalah …").
        defining = [i for i in order if _defines(cands[i][2], q_terms)]
        order = defining + [i for i in order if i not in defining]
    if _ASKS_LIKENESS.search(question):
        # "fungsi komposisi itu ibaratnya kayak apa": the book's own picture of it
        # ("Bayangkan sebuah pabrik dengan dua mesin.") comes first.
        likening = [i for i in order if _LIKENS.search(cands[i][2])]
        order = likening + [i for i in order if i not in likening]
    best = order[0]
    following = _continuation(cands, cand_terms, best, q_terms)
    if following is not None and following not in order:
        following = None
    if following is not None:
        # The sentence that goes on about the best one comes next, before sentences that
        # only share the question's words (an exercise that names the topic, say).
        order.remove(following)
        order.insert(1, following)
    chosen = [best]
    words = len(cands[best][2].split())
    for i in order[1:]:
        if len(chosen) >= max_sentences:
            break
        if _quoted_already(i, chosen, cands):
            continue
        size = len(cands[i][2].split())
        # A further sentence must share the question's words (or continue the best one)
        # and fit the length budget.
        if (lexical[i] <= 0 and i != following) or words + size > max_words:
            continue
        chosen.append(i)
        words += size
    quotable = set(order)
    words = _fill_gaps(chosen, cands, quotable, words, max_words)
    _complete_lists(chosen, cands, quotable, lexical, words, max_words)
    # Book order inside a passage; the best sentence's passage first (its definition is what
    # the student asked for), then the others in retrieval order.
    lead = cands[best][0]
    chosen.sort(key=lambda i: (cands[i][0] != lead, cands[i][0], cands[i][1]))
    return [Quote(cands[i][2], cands[i][0], cands[i][1], fused[i], units[i][3]) for i in chosen]


def _quoted_already(i: int, chosen: Sequence[int], cands: Sequence[Candidate]) -> bool:
    """Neighbouring passages overlap: a sentence of two of them is quoted once."""
    text = " ".join(cands[i][2].split())
    return any(j == i or " ".join(cands[j][2].split()) == text for j in chosen)


def _fill_gaps(
    chosen: list[int], cands: Sequence[Candidate], quotable: set[int], words: int, max_words: int
) -> int:
    """One sentence between two quoted ones of a passage ("Bayangkan sebuah pabrik dengan dua
    mesin." … "Penggabungan dua fungsi secara berurutan seperti ini …") is what joins them:
    quoted too (added to ``chosen``), when it fits, so the quote reads as the book does.
    Returns the words quoted."""
    at = {(pi, si): i for i, (pi, si, _) in enumerate(cands)}
    for i, j in itertools.combinations(list(chosen), 2):
        if cands[i][0] != cands[j][0] or abs(cands[i][1] - cands[j][1]) != 2:
            continue
        middle = at.get((cands[i][0], min(cands[i][1], cands[j][1]) + 1))
        if middle is None or middle not in quotable or _quoted_already(middle, chosen, cands):
            continue
        size = len(cands[middle][2].split())
        if words + size <= max_words:
            chosen.append(middle)
            words += size
    return words


def _complete_lists(
    chosen: list[int],
    cands: Sequence[Candidate],
    quotable: set[int],
    lexical: Sequence[float],
    words: int,
    max_words: int,
) -> None:
    """A sentence that opens a list ("Tipe data dasar yang sering dipakai adalah:") says
    nothing without its items: the items that share the question's words come with it, then
    the others in order, as the budget allows; with none, it is left out of ``chosen``."""
    for opener in [i for i in chosen if cands[i][2].rstrip().endswith(":")]:
        items = [
            j
            for j, (pi, si, _) in enumerate(cands)
            if pi == cands[opener][0]
            and 0 < si - cands[opener][1] <= _MAX_LIST_ITEMS
            and j not in chosen
            and j in quotable
        ]
        items.sort(key=lambda j: (lexical[j] <= 0, cands[j][1]))
        added = False
        for j in items:
            size = len(cands[j][2].split())
            if words + size <= max_words and not _quoted_already(j, chosen, cands):
                chosen.append(j)
                words += size
                added = True
        if not added and len(chosen) > 1:
            chosen.remove(opener)
            words -= len(cands[opener][2].split())


# Reduplication as students type it: "rata2" is "rata-rata", "suku2" is "suku-suku".
_REDUPLICATED = re.compile(r"\b([^\W\d_]{2,})2\b")
# Words, numbers and the operators of a formula ("17 % 5", "a^0 = 1"), as phrases compare.
_PHRASE_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+|[%=+×/^°<>≤≥]", re.UNICODE)


def _book_form(term: str, vocabulary: set[str]) -> str:
    """The book's word for a spoken form the candidates lack ("cepet" → "cepat")."""
    if term in vocabulary:
        return term
    return next((v for v in spoken_variants(term) if v in vocabulary), term)


def _phrase_tokens(text: str) -> list[str]:
    return [stem_id(t) if t.isalpha() else t for t in _PHRASE_TOKEN.findall(normalize_text(text))]


def _shared_run(question: Sequence[str], sentence: Sequence[str]) -> int:
    """How many words and numbers (stopwords left out) the longest run of tokens the two
    share, in order, holds: "diawali angka" 2, "kebalikan dari" 1 (no phrase)."""
    best = 0
    previous = [0] * (len(sentence) + 1)
    for q in question:
        current = [0] * (len(sentence) + 1)
        for j, t in enumerate(sentence, start=1):
            if t == q:
                current[j] = previous[j - 1] + 1
                run = sentence[j - current[j] : j]
                best = max(best, sum(w.isalnum() and w not in STOPWORDS_ID for w in run))
        previous = current
    return best


# A question that asks what something is ("modus artinya apa", "apa itu 2FA").
_ASKS_WHAT = re.compile(
    r"\b(maksud|maksudnya|pengertian|arti|artinya|definisi|apaan|apa itu)\b"
    r"|\b(itu|tu|tuh) apa\b",
    re.IGNORECASE,
)
# How far after a list's opening sentence its items are looked for.
_MAX_LIST_ITEMS = 6
# A question that asks what something is like, and a sentence that pictures it so.
_ASKS_LIKENESS = re.compile(
    r"\b(ibarat\w*|diibaratkan|analogi\w*|perumpamaan\w*|umpama\w*|diumpamakan)\b",
    re.IGNORECASE,
)
_LIKENS = re.compile(
    r"^\W*bayangkan\b|\b(diibaratkan|ibarat\w*|diumpamakan|seumpama\w*|analogi\w*)\b",
    re.IGNORECASE,
)
# The copula of a definition: "X adalah …", "X merupakan …", "X ialah …".
_COPULAS = {"adalah", "merupakan", "ialah"}
_MAX_SUBJECT_WORDS = 6


def _defines(sentence: str, q_terms: set[str]) -> bool:
    """Whether the sentence defines what the question names: before its copula stand a few
    plain words, all of them the question's terms, leaving out an alternative name ("atau
    perpangkatan") and asides in parentheses. An example ("Relasi {(1, 2)} merupakan …") is
    not a definition."""
    words = re.sub(r"\([^)]*\)", " ", sentence).split()
    cut = next((k for k, w in enumerate(words) if w.strip(",").lower() in _COPULAS), None)
    if not cut or cut > _MAX_SUBJECT_WORDS:
        return False
    subject = words[:cut]
    if not all(w.strip(",").replace("-", "").isalpha() for w in subject):
        return False
    lowered = [w.lower() for w in subject]
    if "atau" in lowered:
        subject = subject[: lowered.index("atau")]
    terms = set(content_terms(" ".join(subject)))
    return bool(terms) and terms <= q_terms


# Verbs that open a task set to the student ("Tentukan rumus …", "Hitunglah …").
_TASK_VERBS = {
    "tentukan",
    "tentukanlah",
    "tuliskan",
    "tulislah",
    "hitung",
    "hitunglah",
    "carilah",
    "jelaskan",
    "sebutkan",
    "buatlah",
    "gambarlah",
    "selesaikan",
    "selesaikanlah",
    "ubahlah",
    "buktikan",
}


def _asks(sentence: str) -> bool:
    """A question ("Mengapa tandanya harus dibalik?") or a task: opened by a task verb,
    after a number ("2. Tentukan …") or a comma ("Jika log 3 = 0,477, tentukan log 27.")."""
    text = sentence.strip()
    if text.endswith("?"):
        return True
    words = text.split()
    while words and (words[0].rstrip(".)").isdigit() or len(words[0].rstrip(".)")) == 1):
        words = words[1:]
    opening = [words[0]] if words else []
    opening += [w for before, w in itertools.pairwise(words) if before.endswith(",")]
    return any(w.strip(",.:;").lower() in _TASK_VERBS for w in opening)


# Headings of a textbook's exercise sections ("Latihan Bab 5", "Uji Kompetensi").
_EXERCISE_HEADINGS = ("latihan", "soal", "uji kompetensi", "evaluasi")


def _is_exercise(heading_path: Sequence[str]) -> bool:
    return bool(heading_path) and heading_path[-1].strip().lower().startswith(_EXERCISE_HEADINGS)


# Words that make a sentence point back at the one before it ("Selisih tetap itu …").
_POINTING_BACK = {"itu", "ini", "tersebut", "demikian"}


def _continuation(
    cands: Sequence[Candidate],
    cand_terms: Sequence[set[str]],
    best: int,
    q_terms: set[str],
) -> int | None:
    """The candidate right after ``best`` in its passage if it goes on about it: it points
    back (one of _POINTING_BACK among its first four words) at a content term of ``best`` that
    the question lacks ("… selisih dua suku berurutannya selalu tetap." → "Selisih tetap itu
    disebut beda …"). A definition's next sentence often names what the student needs in
    words the question never used."""
    passage, position = cands[best][0], cands[best][1]
    for i, (pi, si, sentence) in enumerate(cands):
        if pi == passage and si == position + 1:
            opening = {w.strip(",.:;").lower() for w in sentence.split()[:4]}
            points_back = bool(opening & _POINTING_BACK)
            shared = (cand_terms[best] & cand_terms[i]) - q_terms
            return i if points_back and shared else None
    return None


def quoted_answer(quotes: Sequence[Quote], passages: Sequence[Passage]) -> tuple[str, list[int]]:
    """The chosen sentences, grouped per passage, each group ending with "[n: citation]".
    Returns the text and the indices of the passages it cites (in citation order)."""
    cited: list[int] = []
    parts: list[str] = []
    for q in quotes:
        if q.passage_index not in cited:
            cited.append(q.passage_index)
    for number, pi in enumerate(cited, start=1):
        body = ""
        after_item = False
        for q in (q for q in quotes if q.passage_index == pi):
            # A list item stands on its own line, as in the book; what follows the list too.
            joint = "\n- " if q.list_item else "\n" if after_item else " "
            body += (joint if body else "- " if q.list_item else "") + q.sentence
            after_item = q.list_item
        parts.append(f"{body} [{number}: {passages[pi].citation}]")
    return "\n\n".join(parts), cited


def checked_lead_in(model_text: str, sources: Sequence[str], quoted: Sequence[str]) -> str | None:
    """The model's first sentence if ONE sentence of the sources backs it (see
    :data:`LEAD_IN_MIN_OVERLAP`), it says something (at least three content terms) and it does
    not only repeat a quoted sentence; otherwise None."""
    text = _CITATION.sub(" ", model_text).strip()
    if not text or _MODEL_REFUSAL in normalize_text(text):
        return None
    first = next(iter(shown_sentences(text)), "")
    terms = set(content_terms(first))
    words = {t for t in terms if not t[0].isdigit()}
    if len(words) < LEAD_IN_MIN_TERMS:
        return None
    numbers = _numbers(first)
    source_sentences = [s for src in sources for s in split_sentences(src.replace("\n", " "))]
    backed = False
    for s in source_sentences:
        st = set(content_terms(s))
        if len(words & st) / len(words) >= LEAD_IN_MIN_OVERLAP and numbers <= _numbers(s):
            backed = True
            break
    if not backed:
        return None
    for q in quoted:
        qt = set(content_terms(q))
        if qt and len(terms & qt) / len(terms | qt) >= 0.7:
            return None  # a copy of the quote adds nothing
    return first


# --- which sources an answer used (issue 12) ------------------------------------------------

_MARK_NUMBERS = re.compile(r"\d+")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of ``text`` is, so its source marks can be rewritten in place."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n"):
        for s in split_sentences(para):
            at = text.find(s, pos)
            if at < 0:
                continue
            spans.append((at, at + len(s)))
            pos = at + len(s)
    return spans


def _best_overlap(check: SupportResult) -> float:
    return max((s.overlap for s in check.sentences), default=0.0)


def sources_used(
    answer: str, passages: Sequence[str], *, min_overlap: float = MIN_SENTENCE_SUPPORT
) -> tuple[str, list[int]]:
    """The passages that back the shown sentences of a generated answer, and the answer with
    its source marks renumbered to match them.

    Each substantive sentence (see :func:`support_check`) is credited to one passage: the
    one that supports it on its own with the largest share of its terms (on a tie, the one
    its own mark "[2]" names). The lexical check is loose — a neighbouring section often
    "supports" a sentence with most of its words — so the best cover wins over the model's
    own mark. A sentence that no single passage supports gets the passage covering it best
    (the caller has checked the answer against all of them together). Returns the text,
    whose marks now number the cited passages in order of first use, and the indices of
    the cited passages into ``passages``.
    """
    spans = _sentence_spans(answer)
    per_sentence: list[list[int]] = []
    order: list[int] = []
    for start, end in spans:
        sentence = answer[start:end]
        marks = [
            int(n) - 1
            for mark in _CITATION.findall(sentence)
            for n in _MARK_NUMBERS.findall(mark)
            if 0 < int(n) <= len(passages)
        ]
        checks = [support_check(sentence, [p], min_overlap=min_overlap) for p in passages]
        if all(c.reason == "no_content" for c in checks):
            per_sentence.append([])  # no claim ("Semoga membantu."): backs nothing
            continue
        # The passage covering the sentence best; on a tie, the one the sentence names.
        best = max(
            range(len(passages)),
            key=lambda i: (checks[i].supported, _best_overlap(checks[i]), i in marks, -i),
        )
        chosen = [best]
        per_sentence.append(chosen)
        for i in chosen:
            if i not in order:
                order.append(i)
    number = {pi: n for n, pi in enumerate(order, start=1)}
    out: list[str] = []
    last = 0
    for (start, end), chosen in zip(spans, per_sentence, strict=True):
        out.append(answer[last:start])
        sentence = answer[start:end]
        if chosen:
            label = "[" + ", ".join(str(number[i]) for i in chosen) + "]"
            # Every mark of the sentence names what backs it; repeated marks collapse.
            sentence = _CITATION.sub(label, sentence)
            sentence = re.sub(rf"(?:{re.escape(label)}\s*){{2,}}", label + " ", sentence)
            sentence = sentence.replace(label + " .", label + ".").rstrip()
        else:
            sentence = _CITATION.sub("", sentence).rstrip()
            sentence = re.sub(r"\s+([.!?])$", r"\1", sentence)
        out.append(sentence)
        last = end
    out.append(answer[last:])
    return "".join(out), order
