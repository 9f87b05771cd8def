"""Whether each sentence of an answer is supported by the cited passages; extractive answers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nexus_app.ai.chunking import content_terms, normalize_text, split_sentences
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
    text = _SOURCE_MARK.sub(" ", answer)
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
