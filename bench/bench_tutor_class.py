"""A class asks the tutor at once (issue 12 and 16): when does each student read words, and
when may they ask again? Quote-first (the default, without and with the model's lead-in)
against legacy answers, same run.

Run from the repo root:

    python bench/bench_tutor_class.py [--students 10] [--cache DIR]

Each student is a thread calling ``Tutor.stream`` with the packaged model over the demo
Matematika book, all started together, asking the first covered questions of the tutor gold
set (one each). The model's line bound is the app's setting (``NEXUS_LLM_QUEUE_MAX``). Printed
per style: time to the first words shown (the quote, or the model's first token), time to the
final answer (the page's send button is enabled again then), how many answers carry a model
lead-in or the model's own text, and how many show a "busy" notice.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import bench_tutor

from nexus_app.ai import retriever as retriever_module
from nexus_app.ai.llm import LocalLLM
from nexus_app.ai.models import find_llm_model
from nexus_app.ai.rag import Tutor
from nexus_app.ai.retriever import Retriever
from nexus_app.config import get_settings


def ask_together(tutor: Tutor, questions: list[str]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = [{} for _ in questions]
    start = threading.Barrier(len(questions) + 1)

    def student(i: int, question: str) -> None:
        start.wait()
        t0 = time.monotonic()
        first = None
        for event in tutor.stream(question):
            if event.kind == "token" and first is None:
                first = time.monotonic() - t0
            if event.kind == "final" and event.answer is not None:
                answer = event.answer
                results[i] = {
                    "question": question,
                    "first_words_s": first if first is not None else time.monotonic() - t0,
                    "final_s": time.monotonic() - t0,
                    "mode": answer.mode,
                    "notice": answer.notice or "",
                }

    threads = [threading.Thread(target=student, args=(i, q)) for i, q in enumerate(questions)]
    for t in threads:
        t.start()
    start.wait()
    for t in threads:
        t.join()
    return results


def summary(rows: list[dict[str, Any]]) -> str:
    first = [r["first_words_s"] for r in rows]
    final = [r["final_s"] for r in rows]
    model = sum(r["mode"] == "llm" for r in rows)
    busy = sum(bool(r["notice"]) for r in rows)
    return (
        f"first words median {statistics.median(first):.2f} s, max {max(first):.2f} s; "
        f"final median {statistics.median(final):.2f} s, max {max(final):.2f} s; "
        f"model text in {model}/{len(rows)}; a notice on {busy}/{len(rows)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=10)
    ap.add_argument("--cache", type=Path, default=None, help="keep the built books here")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    gold = json.loads(bench_tutor.GOLD.read_text(encoding="utf-8"))
    questions = [
        g["question"] for g in gold if g["category"] == "covered_loose" and g["subject"] == "MAT_10"
    ][: args.students]
    llm = LocalLLM(find_llm_model())
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        packages = bench_tutor.build(args.cache or Path(tmp))
        retriever = Retriever([packages["MAT_10"]])
        # Warm-up: the model loaded, one generation timed, the sentence embedder ready.
        Tutor(retriever, llm).answer(questions[0])
        # The app's default (no lead-in: the model is not asked), the lead-in switched on
        # (NEXUS_TUTOR_LEAD_IN), and the legacy answers of before 2026-12-07.
        for label, style, lead_in in (
            ("quote_first", "quote_first", False),
            ("lead_in", "quote_first", True),
            ("legacy", "legacy", True),
        ):
            tutor = Tutor(
                retriever,
                llm,
                style=style,  # type: ignore[arg-type]
                lead_in=lead_in,
                max_waiting=get_settings().llm_queue_max,
            )
            # Each configuration meets the questions cold, like a class asking new ones: the
            # sentence vectors a previous configuration embedded are forgotten.
            retriever_module._SENTENCE_CACHE.clear()
            rows = ask_together(tutor, questions)
            print(f"{label:11} {len(rows)} at once: {summary(rows)}", flush=True)
            out[label] = rows
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
