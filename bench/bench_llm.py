"""LLM benchmark: first-token time and tokens/s through nexus_app.ai.llm vs a direct llama_cpp call.

Run from the repo root:  python bench/bench_llm.py [--questions 8] [--max-tokens 96] [--model PATH]

Prompts are the tutor's real prompts (nexus_app.ai.rag.build_answer_messages) for covered gold
questions, with passages retrieved by BM25 from the demo books (BM25-only so the benchmark
does not depend on the embedder). Both paths load the same GGUF with the same settings
(n_ctx 2048, n_threads 2, n_batch 512, greedy decoding) in separate llama.cpp contexts, and
each question runs through both, alternating which goes first. The first question of each
context is "cold" (the system prompt is not cached yet); later ones reuse the cached prefix.

Also reported: how many of the generated answers pass the support check, and one sample answer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus_app.ai.embedder import HashingEmbedder
from nexus_app.ai.llm import DEFAULT_N_CTX, DEFAULT_THREADS, LocalLLM
from nexus_app.ai.models import find_llm_model
from nexus_app.ai.rag import build_answer_messages, support_check
from nexus_app.ai.retriever import Retriever
from nexus_app.ai.vkp import build_package, load_current

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "nexus_app" / "demo" / "data"
BOOKS = {
    "MAT_10": (DATA / "books" / "matematika-10.md", "Matematika Kelas 10"),
    "INF_10": (DATA / "books" / "informatika-10.md", "Informatika Kelas 10"),
}


def direct_run(llama: Any, messages: list[dict[str, str]], max_tokens: int) -> dict[str, float]:
    t0 = time.monotonic()
    first = None
    n = 0
    prompt_tokens = 0
    for chunk in llama.create_chat_completion(
        messages=messages, stream=True, max_tokens=max_tokens, temperature=0.0
    ):
        piece = chunk["choices"][0].get("delta", {}).get("content")
        if piece:
            if first is None:
                first = time.monotonic() - t0
                prompt_tokens = int(llama.n_tokens)
            n += 1
    total = time.monotonic() - t0
    rate = (n - 1) / (total - first) if first is not None and n > 1 else 0.0
    return {"first": first or total, "rate": rate, "prompt": prompt_tokens, "pieces": n}


def ours_run(llm: LocalLLM, messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
    with llm.generate(messages, max_tokens=max_tokens, temperature=0.0, time_limit_s=120) as gen:
        for _ in gen:
            pass
    s = gen.stats
    return {
        "first": s.first_token_s or s.total_s,
        "rate": s.tokens_per_s or 0.0,
        "prompt": s.prompt_tokens,
        "pieces": s.completion_tokens,
        "text": gen.text,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="llama.cpp threads")
    args = ap.parse_args()

    from llama_cpp import Llama

    path = find_llm_model(args.model)
    gold = json.loads((DATA / "gold" / "retrieval_gold.json").read_text(encoding="utf-8"))
    covered = [g for g in gold if g["page"] is not None]
    step = max(1, len(covered) // args.questions)
    picked = covered[::step][: args.questions]

    with tempfile.TemporaryDirectory() as tmp:
        emb = HashingEmbedder()
        retrievers = {}
        for subject, (book, title) in BOOKS.items():
            res = build_package(book, root=tmp, subject=subject, title=title, embedder=emb)
            retrievers[subject] = Retriever(
                [load_current(res.path.parent)], embedder_for=lambda _n: emb
            )
        prompts = []
        for g in picked:
            passages = retrievers[g["subject"]].search(g["question"], k=5, mode="bm25").passages
            prompts.append(
                (g["question"], build_answer_messages(g["question"], passages), passages)
            )

    t0 = time.monotonic()
    ours = LocalLLM(path, n_ctx=DEFAULT_N_CTX, n_threads=args.threads)
    load_s = time.monotonic() - t0
    direct = Llama(
        model_path=str(path),
        n_ctx=DEFAULT_N_CTX,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        n_batch=512,
        seed=42,
        verbose=False,
    )

    rows = []
    for i, (question, messages, passages) in enumerate(prompts):
        if i % 2 == 0:
            a = ours_run(ours, messages, args.max_tokens)
            b = direct_run(direct, messages, args.max_tokens)
        else:
            b = direct_run(direct, messages, args.max_tokens)
            a = ours_run(ours, messages, args.max_tokens)
        support = support_check(a["text"], [p.text for p in passages[:2]])
        rows.append((question, a, b, support.supported))

    print(
        f"model: {path.name} ({ours.name}), load {load_s:.2f} s, max_tokens {args.max_tokens}, "
        f"{args.threads} threads\n"
    )
    header = (
        "| # | prompt tokens | first token ours (s) | first token direct (s) "
        "| tok/s ours | tok/s direct | supported |"
    )
    print(header)
    print("|---|---|---|---|---|---|---|")
    for i, (_q, a, b, ok) in enumerate(rows, start=1):
        label = f"{i} (cold)" if i == 1 else str(i)
        print(
            f"| {label} | {a['prompt']} | {a['first']:.2f} | {b['first']:.2f} "
            f"| {a['rate']:.1f} | {b['rate']:.1f} | {'yes' if ok else 'no'} |"
        )
    warm = rows[1:] or rows
    med = statistics.median
    ours_rate = med([a["rate"] for _, a, _, _ in warm])
    direct_rate = med([b["rate"] for _, _, b, _ in warm])
    cold_ours, cold_direct = rows[0][1]["first"], rows[0][2]["first"]
    warm_ours = med([a["first"] for _, a, _, _ in warm])
    warm_direct = med([b["first"] for _, _, b, _ in warm])
    print()
    print(f"median prompt tokens: {med([a['prompt'] for _, a, _, _ in rows]):.0f}")
    print(f"first token, cold (question 1): ours {cold_ours:.2f} s, direct {cold_direct:.2f} s")
    print(
        f"first token, warm prefix (median of the rest): ours {warm_ours:.2f} s, "
        f"direct {warm_direct:.2f} s"
    )
    print(
        f"generation rate (median): ours {ours_rate:.1f} tok/s, direct {direct_rate:.1f} tok/s, "
        f"ratio {ours_rate / direct_rate:.3f}"
    )
    print(f"answers passing the support check: {sum(r[3] for r in rows)} of {len(rows)}")
    print("\nsample:")
    for q, a, _b, ok in rows[:3]:
        print(f"- Q: {q}\n  A: {a['text'].strip()}\n  supported: {ok}")


if __name__ == "__main__":
    main()
