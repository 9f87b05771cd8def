"""Other ways to ask the packaged model about answerability, on stored rows (issue 12).

Input: the features file of ``python bench/bench_tutor.py --calibrate --judge --features F``
(every row keeps the 1–3 sentences the judge read: ``judge_sentences``). Run from the repo root:

    python bench/bench_judge_variants.py F OUT --prompts few,strict
    python bench/bench_judge_variants.py F OUT --qlik [--seconds S]

- ``--prompts``: the yes/no judgement with other wordings (``few``: three worked examples, not
  from the gold set, in the system prompt; ``strict``: "the exact answer, not only a similar
  topic?"), stored as ``judge_few`` / ``judge_strict``;
- ``--qlik``: query likelihood: how much the book sentences raise the model's log-probability
  of the student's question (PMI = log P(question | sentences) − log P(question), summed over
  its tokens: ``qlik_pmi``; per token: ``qlik_pmi_tok``). One eval with every token's logits
  (a second llama.cpp instance with ``logits_all``). Original rows first, so a run cut short
  by ``--seconds`` still has the fit rows.

Prints each new input's AUC (covered vs out-of-book) on the original and the fresh rows, then
:func:`bench_tutor.judge_report` with the input in the judge's place (fit on the 131 original
rows, reported on the fresh 80).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_tutor
import numpy as np

from nexus_app.ai.llm import ChatMessage, LocalLLM
from nexus_app.ai.models import find_llm_model

FEW_SHOT = (
    "Kamu memeriksa apakah kutipan buku menjawab pertanyaan siswa. Jawab hanya dengan satu "
    "kata: ya atau tidak.\n\nContoh 1:\nKutipan buku:\n- Fotosintesis adalah proses tumbuhan "
    "membuat makanan dengan bantuan cahaya matahari.\nPertanyaan siswa: fotosintesis itu apa\n"
    "Jawaban: ya\n\nContoh 2:\nKutipan buku:\n- Gunung api aktif di Indonesia banyak terdapat "
    "di sepanjang Pulau Jawa.\nPertanyaan siswa: gimana cara ngitung tinggi gunung\n"
    "Jawaban: tidak\n\nContoh 3:\nKutipan buku:\n- Hukum Newton pertama menyatakan benda diam "
    "tetap diam jika tidak ada gaya.\nPertanyaan siswa: hukum newton ketiga bunyinya apa\n"
    "Jawaban: tidak"
)


def _quoted(sentences: Sequence[str]) -> str:
    return "\n".join(f"- {' '.join(s.split())}" for s in sentences)


def few(question: str, sentences: Sequence[str]) -> list[ChatMessage]:
    q = " ".join(question.split())
    return [
        {"role": "system", "content": FEW_SHOT},
        {
            "role": "user",
            "content": f"Kutipan buku:\n{_quoted(sentences)}\nPertanyaan siswa: {q}\nJawaban:",
        },
    ]


def strict(question: str, sentences: Sequence[str]) -> list[ChatMessage]:
    q = " ".join(question.split())
    return [
        {"role": "system", "content": "Kamu guru yang teliti. Jawab hanya ya atau tidak."},
        {
            "role": "user",
            "content": (
                f"Pertanyaan siswa: {q}\n\nKutipan buku:\n{_quoted(sentences)}\n\n"
                "Apakah kutipan buku itu memuat jawaban yang tepat untuk pertanyaan siswa, "
                "bukan hanya membahas topik yang mirip? Jawab ya atau tidak."
            ),
        },
    ]


PROMPTS: dict[str, Callable[[str, Sequence[str]], list[ChatMessage]]] = {
    "few": few,
    "strict": strict,
}


def run_prompts(rows: list[dict[str, Any]], names: Sequence[str]) -> list[str]:
    model = LocalLLM(find_llm_model())
    times: list[float] = []
    for i, r in enumerate(rows):
        for name in names:
            sentences = r["judge_sentences"]
            if not sentences:
                r["features"][f"judge_{name}"] = -8.0
                continue
            t0 = time.monotonic()
            with model.judge(PROMPTS[name](r["question"], sentences)) as gen:
                gen.result()
            times.append(time.monotonic() - t0)
            value = gen.stats.log_odds or 0.0
            r["features"][f"judge_{name}"] = max(-8.0, min(8.0, value))
        if i % 20 == 0:
            print(f"{i}/{len(rows)}", flush=True)
    _times("judgement", times)
    return [f"judge_{n}" for n in names]


def run_qlik(rows: list[dict[str, Any]], seconds: float) -> list[str]:
    from llama_cpp import Llama

    llm = Llama(
        model_path=str(find_llm_model()),
        n_ctx=512,
        n_threads=2,
        n_threads_batch=2,
        logits_all=True,
        verbose=False,
    )

    def q_logprob(prefix: str, question: str) -> tuple[float, int]:
        p = llm.tokenize(prefix.encode(), add_bos=False, special=False)
        q = llm.tokenize((" " + " ".join(question.split())).encode(), add_bos=False)
        toks = (p + q)[-500:]
        start = len(toks) - len(q)
        llm.reset()
        llm.eval(toks)
        logits = np.asarray(llm.scores[: len(toks)], dtype=np.float64)[start - 1 : len(toks) - 1]
        top = logits.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        return float((logits[np.arange(len(q)), q] - lse).sum()), len(q)

    deadline = time.monotonic() + seconds
    times: list[float] = []
    for r in sorted(rows, key=lambda x: x["fresh"]):
        if time.monotonic() > deadline:
            break
        t0 = time.monotonic()
        cond, n = q_logprob(
            f"Kutipan buku:\n{_quoted(r['judge_sentences'])}\n\n"
            "Pertanyaan siswa tentang kutipan itu:",
            r["question"],
        )
        base, _ = q_logprob("Pertanyaan siswa:", r["question"])
        times.append(time.monotonic() - t0)
        r["features"]["qlik_pmi"] = round(cond - base, 4)
        r["features"]["qlik_pmi_tok"] = round((cond - base) / max(n, 1), 4)
        if len(times) % 20 == 0:
            print(f"{len(times)}/{len(rows)}", flush=True)
    _times("query likelihood", times)
    return ["qlik_pmi", "qlik_pmi_tok"]


def _times(what: str, times: list[float]) -> None:
    if times:
        times = sorted(times)
        print(
            f"{what}: {len(times)} evaluations, median {times[len(times) // 2]:.2f} s, "
            f"max {times[-1]:.2f} s"
        )


def _auc(part: Sequence[dict[str, Any]], key: str) -> float:
    pos = [r["features"][key] for r in part if r["category"] != "out_of_book"]
    neg = [r["features"][key] for r in part if r["category"] == "out_of_book"]
    if not pos or not neg:
        return float("nan")
    return sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("features", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--prompts", default="", help="comma-separated: few,strict")
    ap.add_argument("--qlik", action="store_true")
    ap.add_argument("--seconds", type=float, default=3600.0, help="--qlik: stop after this")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = json.loads(args.features.read_text(encoding="utf-8"))
    keys: list[str] = []
    if args.prompts:
        keys += run_prompts(rows, [n for n in args.prompts.split(",") if n])
    if args.qlik:
        keys += run_qlik(rows, args.seconds)
    rows = [r for r in rows if all(k in r["features"] for k in keys)]
    args.out.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    original = [r for r in rows if not r["fresh"]]
    fresh = [r for r in rows if r["fresh"]]
    for key in ["judge", *keys]:
        print(f"AUC {key}: original {_auc(original, key):.3f}, fresh {_auc(fresh, key):.3f}")
    for key in keys:
        swapped = copy.deepcopy(rows)
        for r in swapped:
            r["features"]["judge"] = r["features"][key]
        print(f"\n######## {key} in the judge's place")
        bench_tutor.judge_report(swapped)


if __name__ == "__main__":
    main()
