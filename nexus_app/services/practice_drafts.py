"""A guru asks the local model to draft practice questions from a book chapter: the chapter
(or topic) is looked up in the subject's books, the best passages go to the model with a
strict answer format, and every question it writes that passes the import rules is saved as
a *draft*. Drafts are never served to students; a guru or admin approves them one by one
(or edits, or deletes them) on /admin/practice-questions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from nexus_app.ai.llm import ChatMessage, ChatModel, QueueTimeout
from nexus_app.db import unit_of_work
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.repositories import practice_questions as practice_repo
from nexus_app.services import school_practice, tutor
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from nexus_app.services.practice_admin import question_key

MAX_DRAFTS = 5
PASSAGES = 3
PASSAGE_CHARS = 1200
MAX_TOKENS = 900
TIME_LIMIT_S = 240.0

SYSTEM_PROMPT = (
    "Anda guru SMA di Indonesia yang menyusun soal latihan pilihan ganda dari bacaan buku "
    "pelajaran. Tulis soal hanya dari isi bacaan. Gunakan format ini untuk setiap soal, "
    "dipisahkan satu baris kosong, tanpa teks lain:\n"
    "SOAL: <pertanyaan>\nA: <pilihan>\nB: <pilihan>\nC: <pilihan>\nD: <pilihan>\n"
    "KUNCI: <huruf>"
)
_LINE = re.compile(r"^\s*(SOAL|KUNCI|[A-E])\s*[:.)]\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class DraftResult:
    created: tuple[int, ...]  # ids of the saved drafts
    rejected: int  # questions the model wrote that failed the import rules or repeated one
    sources: tuple[str, ...]  # where the passages came from (book, page)


def _require_staff(actor: CurrentUser) -> None:
    if actor.role not in ("admin", "guru"):
        raise PermissionDenied("Hanya guru dan admin yang dapat membuat draf soal latihan.")


def parse_drafts(text: str) -> list[dict[str, str | None]]:
    """The model's answer as CSV-like rows (question, answer, option_a..); lines outside the
    format are ignored, a block without SOAL or KUNCI is dropped."""
    rows: list[dict[str, str | None]] = []
    current: dict[str, str | None] = {}

    def flush() -> None:
        if current.get("question") and current.get("answer"):
            rows.append(dict(current))
        current.clear()

    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        label, value = match.group(1).upper(), match.group(2).strip()
        if label == "SOAL":
            flush()
            current["question"] = value
        elif label == "KUNCI":
            current["answer"] = value[:1].upper() if value else ""
        else:
            current[f"option_{label.lower()}"] = value
    flush()
    return rows


def _save_drafts(
    subject_id: int, chapter: str, drafts: list[dict[str, str | None]]
) -> tuple[list[int], int]:
    """Save what passes the CSV row rules and the duplicate rule as drafts of `chapter`;
    returns their ids and how many were rejected."""
    created: list[int] = []
    rejected = 0
    with unit_of_work() as session:
        seen = {
            question_key(t, q)
            for t, q in practice_repo.list_practice_question_texts(
                session=session, subject_id=subject_id
            )
        }
        for values in drafts:
            try:
                clean = school_practice.validate_row({**values, "topic": chapter})
            except ValueError:
                rejected += 1
                continue
            key = question_key(clean.topic, clean.question)
            if key in seen:
                rejected += 1
                continue
            seen.add(key)
            row = practice_repo.create_practice_question(
                session=session,
                subject_id=subject_id,
                topic=clean.topic,
                question=clean.question,
                answer=clean.answer,
                difficulty=clean.difficulty,
                options_json=json.dumps(list(clean.options), ensure_ascii=False)
                if clean.options
                else None,
                status="draft",
            )
            assert row.id is not None
            created.append(row.id)
    return created, rejected


def draft_questions(
    *,
    actor: CurrentUser,
    subject_id: int,
    chapter: str,
    count: int = 3,
    model: ChatModel | None = None,
) -> DraftResult:
    """Draft up to `count` multiple-choice questions on `chapter` (also their topic) from the
    subject's books. `model` defaults to the server's packaged model."""
    _require_staff(actor)
    chapter = " ".join((chapter or "").split())
    if not chapter:
        raise InvalidInput("Tulis judul bab atau topik yang akan dibuatkan soal.")
    if len(chapter) > school_practice.MAX_TOPIC_CHARS:
        raise InvalidInput("Judul bab terlalu panjang.")
    count = max(1, min(int(count), MAX_DRAFTS))
    with unit_of_work() as session:
        subject = curriculum_repo.get_subject(session=session, subject_id=subject_id)
        if subject is None or subject.id is None:
            raise NotFound("Mata pelajaran tidak ditemukan.")
        code = subject.code
    passages = tutor.retriever_for(code).search(chapter, k=PASSAGES).passages
    if not passages:
        raise NotFound(f"Tidak ada bacaan tentang '{chapter}' di buku {code}.")
    llm = model if model is not None else tutor.language_model()
    if llm is None:
        raise Conflict("Model AI lokal belum tersedia di server ini: draf soal tidak bisa dibuat.")
    reading = "\n\n".join(p.text[:PASSAGE_CHARS] for p in passages)
    messages: list[ChatMessage] = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {
            "role": "user",
            "content": f"Bacaan (bab: {chapter}):\n{reading}\n\nBuat {count} soal.",
        },
    ]
    try:
        with llm.generate(messages, max_tokens=MAX_TOKENS, time_limit_s=TIME_LIMIT_S) as gen:
            text = "".join(gen)
    except QueueTimeout as exc:
        raise Conflict("Model AI sedang sibuk. Coba lagi beberapa menit lagi.") from exc
    created, rejected = _save_drafts(subject_id, chapter, parse_drafts(text)[:count])
    sources = tuple(dict.fromkeys(f"{p.book_title}, hlm. {p.page}" for p in passages))
    return DraftResult(created=tuple(created), rejected=rejected, sources=sources)


def approve_draft(*, actor: CurrentUser, question_id: int) -> None:
    """A teacher read the draft and accepts it: students may now be given it."""
    _require_staff(actor)
    with unit_of_work() as session:
        q = practice_repo.get_practice_question(session=session, question_id=question_id)
        if q is None:
            raise NotFound("Soal latihan tidak ditemukan (mungkin sudah dihapus).")
        if q.status != "draft":
            raise Conflict("Soal ini bukan draf: sudah disetujui.")
        q.status = "approved"
        session.add(q)
        session.flush()
