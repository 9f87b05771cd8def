"""School-subject practice (the OpenClass loop): a bank of practice questions per subject and
topic, imported from CSV; students answer them and every answer moves the topic's mastery,
so the weak-area rules fire for school subjects as they do for UTBK sections.

Multiple-choice questions are scored against their key; an open question shows its model
answer and the student marks themselves right or wrong. The CSV columns are documented in
docs/practice-questions-import.md.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from urllib.parse import quote

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.engine import mastery as mastery_engine
from nexus_app.models import PracticeQuestion, TopicMastery, utcnow
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.repositories import mastery as mastery_repo
from nexus_app.repositories import practice_questions as practice_repo
from nexus_app.services import mastery as mastery_service
from nexus_app.services import task_credit
from nexus_app.services.auth import CurrentUser
from nexus_app.services.bank_import import RowError, template_csv
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied

OPTION_LETTERS = ("A", "B", "C", "D", "E")
OPTION_COLUMNS = tuple(f"option_{letter.lower()}" for letter in OPTION_LETTERS)
REQUIRED = ("topic", "question", "answer")
COLUMNS = (*REQUIRED, "difficulty", *OPTION_COLUMNS)
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TOPIC_CHARS = 255
MAX_TEXT_CHARS = 10_000
MAX_OPTION_CHARS = 500
# Indonesian words teachers type are accepted beside the stored English codes.
DIFFICULTY_WORDS = {
    "easy": "easy",
    "mudah": "easy",
    "medium": "medium",
    "sedang": "medium",
    "hard": "hard",
    "sulit": "hard",
    "sukar": "hard",
}
DIFFICULTY_LABELS = {"easy": "mudah", "medium": "sedang", "hard": "sulit"}
# The item difficulty the mastery model is given per band (logit scale, as UTBK items'
# b): an easy question answered right is weaker evidence than a hard one.
DIFFICULTY_B = {"easy": -1.0, "medium": 0.0, "hard": 1.0}
PRACTICE_PATH = "/practice/subject"

TEMPLATE_FILENAME = "templat-impor-soal-latihan.csv"
_TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {
        "topic": "Pecahan",
        "question": "Berapakah hasil 1/2 + 1/4?",
        "answer": "B",
        "difficulty": "mudah",
        "option_a": "1/6",
        "option_b": "3/4",
        "option_c": "2/6",
        "option_d": "1/8",
        "option_e": "",
    },
    {
        "topic": "Pecahan",
        "question": "Jelaskan mengapa 2/4 sama dengan 1/2.",
        "answer": "Pembilang dan penyebut 2/4 sama-sama dibagi 2, hasilnya 1/2.",
        "difficulty": "sedang",
        "option_a": "",
        "option_b": "",
        "option_c": "",
        "option_d": "",
        "option_e": "",
    },
)


def csv_template() -> str:
    """Every column the importer reads and two example questions (one multiple choice, one
    open)."""
    return template_csv(COLUMNS, _TEMPLATE_ROWS)


@dataclass
class ImportReport:
    subject_code: str
    imported: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class CleanQuestion:
    topic: str
    question: str
    answer: str
    difficulty: str | None
    options: tuple[str, ...]


def _read_csv(data: bytes) -> list[tuple[int, dict[str, str | None]]]:
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"Berkas terlalu besar (maksimal {MAX_FILE_BYTES // (1024 * 1024)} MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("Berkas harus berformat teks UTF-8.") from exc
    if not text.strip():
        raise InvalidInput("Berkas kosong.")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    problems = []
    if missing:
        problems.append(f"Kolom wajib tidak ada di baris judul: {', '.join(missing)}.")
    if unknown:
        problems.append(f"Kolom tidak dikenal: {', '.join(unknown)}.")
    if problems:
        raise InvalidInput(" ".join(problems))
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str | None]]] = []
    line = reader.line_num + 1
    try:
        for record in reader:
            values: dict[str, str | None] = {k: v for k, v in record.items() if k is not None}
            if None in record:  # more cells than header columns
                values["__extra__"] = "x"
            rows.append((line, values))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"CSV rusak di baris {reader.line_num}: {exc}.") from exc
    return rows


def validate_row(values: dict[str, str | None]) -> CleanQuestion:
    """One CSV row as a clean question; ValueError (Indonesian) names what is wrong."""
    if "__extra__" in values:
        raise ValueError("jumlah sel lebih banyak dari kolom judul")

    def text_of(key: str) -> str:
        return (values.get(key) or "").strip()

    topic, question, answer = text_of("topic"), text_of("question"), text_of("answer")
    for name, value in (("topic", topic), ("question", question), ("answer", answer)):
        if not value:
            raise ValueError(f"kolom {name} kosong")
    if len(topic) > MAX_TOPIC_CHARS:
        raise ValueError(f"topic lebih dari {MAX_TOPIC_CHARS} karakter")
    if len(question) > MAX_TEXT_CHARS or len(answer) > MAX_TEXT_CHARS:
        raise ValueError(f"question atau answer lebih dari {MAX_TEXT_CHARS} karakter")
    raw_difficulty = text_of("difficulty").lower()
    difficulty: str | None = None
    if raw_difficulty:
        if raw_difficulty not in DIFFICULTY_WORDS:
            raise ValueError(
                f"difficulty '{raw_difficulty}' tidak dikenal (mudah, sedang, sulit, atau kosong)"
            )
        difficulty = DIFFICULTY_WORDS[raw_difficulty]
    cells = [text_of(c) for c in OPTION_COLUMNS]
    given = [i for i, c in enumerate(cells) if c]
    options: tuple[str, ...] = ()
    if given:
        # Options fill A, B, ... without gaps, so the letters the student sees are the
        # letters the key uses.
        count = given[-1] + 1
        if count < 2 or len(given) != count:
            raise ValueError("pilihan harus diisi berurutan mulai option_a, minimal dua pilihan")
        options = tuple(cells[:count])
        if any(len(o) > MAX_OPTION_CHARS for o in options):
            raise ValueError(f"pilihan lebih dari {MAX_OPTION_CHARS} karakter")
        answer = answer.upper()
        if answer not in OPTION_LETTERS[:count]:
            letters = ", ".join(OPTION_LETTERS[:count])
            raise ValueError(f"answer soal pilihan ganda harus salah satu huruf {letters}")
    return CleanQuestion(
        topic=topic, question=question, answer=answer, difficulty=difficulty, options=options
    )


def _key(topic: str, question: str) -> tuple[str, str]:
    return topic.casefold(), " ".join(question.split()).casefold()


def _insert(session: Session, subject_id: int, q: CleanQuestion) -> PracticeQuestion:
    return practice_repo.create_practice_question(
        session=session,
        subject_id=subject_id,
        topic=q.topic,
        question=q.question,
        answer=q.answer,
        difficulty=q.difficulty,
        options_json=json.dumps(list(q.options), ensure_ascii=False) if q.options else None,
    )


def import_practice_questions(
    *, data: bytes, subject_code: str, skip_invalid: bool = False
) -> ImportReport:
    """Validate every row, then import all (or, with skip_invalid, the valid ones).

    A question already in the subject (same topic and text, ignoring case and spacing) or
    twice in the file is a row error, so importing the same file again adds nothing.
    """
    code = (subject_code or "").strip().upper()
    if not code:
        raise InvalidInput("Kode mata pelajaran wajib diisi.")
    rows = _read_csv(data)
    if not rows:
        raise InvalidInput("Berkas tidak berisi soal.")
    report = ImportReport(subject_code=code)
    with unit_of_work() as session:
        subject = curriculum_repo.get_subject_by_code(session=session, code=code)
        if subject is None or subject.id is None:
            raise NotFound(f"Mata pelajaran dengan kode '{code}' tidak ada.")
        seen = {
            _key(t, q)
            for t, q in practice_repo.list_practice_question_texts(
                session=session, subject_id=subject.id
            )
        }
        clean: list[CleanQuestion] = []
        for line, values in rows:
            try:
                q = validate_row(values)
                key = _key(q.topic, q.question)
                if key in seen:
                    raise ValueError(
                        "soal yang sama sudah ada di berkas atau di mata pelajaran ini"
                    )
                seen.add(key)
                clean.append(q)
            except ValueError as exc:
                report.errors.append(RowError(line=line, reason=str(exc)))
        if report.errors and not skip_invalid:
            return report
        report.skipped = len(report.errors)
        for q in clean:
            _insert(session, subject.id, q)
        report.imported = len(clean)
    return report


def _require_staff(actor: CurrentUser) -> None:
    if actor.role not in ("admin", "guru"):
        raise PermissionDenied("Hanya guru dan admin yang dapat menambah soal latihan.")


def create_practice_question(
    *,
    actor: CurrentUser,
    subject_code: str,
    topic: str,
    question: str,
    answer: str,
    difficulty: str = "",
    options: tuple[str, ...] = (),
) -> int:
    """Add one question (same validation as a CSV row); returns its id."""
    _require_staff(actor)
    values: dict[str, str | None] = {
        "topic": topic,
        "question": question,
        "answer": answer,
        "difficulty": difficulty,
    }
    for column, text in zip(OPTION_COLUMNS, options, strict=False):
        values[column] = text
    try:
        clean = validate_row(values)
    except ValueError as exc:
        raise InvalidInput(str(exc).capitalize() + ".") from exc
    with unit_of_work() as session:
        subject = curriculum_repo.get_subject_by_code(
            session=session, code=subject_code.strip().upper()
        )
        if subject is None or subject.id is None:
            raise NotFound(f"Mata pelajaran dengan kode '{subject_code}' tidak ada.")
        existing = {
            _key(t, q)
            for t, q in practice_repo.list_practice_question_texts(
                session=session, subject_id=subject.id
            )
        }
        if _key(clean.topic, clean.question) in existing:
            raise InvalidInput("Soal yang sama sudah ada di mata pelajaran ini.")
        row = _insert(session, subject.id, clean)
        assert row.id is not None
        return row.id


# --- the student's side -------------------------------------------------------------------


@dataclass(frozen=True)
class TopicOption:
    """A practisable topic on /practice, with the student's mastery of it."""

    subject_id: int
    subject_name: str
    grade: int
    topic: str
    question_count: int
    mastery_level: float | None
    answers: int
    link: str


@dataclass(frozen=True)
class PracticeItem:
    """A question as the student sees it before answering: never the key."""

    id: int
    question: str
    options: tuple[str, ...]
    difficulty: str

    @property
    def is_multiple_choice(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True)
class PracticeRound:
    subject_id: int
    subject_name: str
    topic: str
    items: list[PracticeItem]
    mastery_level: float | None
    answers: int


@dataclass(frozen=True)
class AnswerOutcome:
    correct: bool
    # The key's letter for multiple choice, the model answer for an open question.
    correct_answer: str
    mastery_level: float
    answers: int
    weak: bool


def practice_link(subject_id: int, topic: str) -> str:
    """The page that practises one topic (dashboard weak areas and the tutor link here)."""
    return f"{PRACTICE_PATH}?subject={subject_id}&topic={quote(topic, safe='')}"


def _require_student(actor: CurrentUser) -> None:
    if actor.role != "siswa":
        raise PermissionDenied("Latihan mata pelajaran untuk akun siswa.")


def _mastery_by_topic(session: Session, user_id: int) -> dict[tuple[int, str], TopicMastery]:
    return {
        (row.subject_id, row.topic): row
        for row in mastery_repo.list_topic_mastery(session=session, user_id=user_id)
        if row.subject_id is not None
    }


def list_topics(*, actor: CurrentUser) -> list[TopicOption]:
    """Every subject topic with practice questions, with the student's mastery of it."""
    _require_student(actor)
    with unit_of_work() as session:
        rows = practice_repo.list_practice_topics(session=session)
        mastery = _mastery_by_topic(session, actor.id)
    options = []
    for r in rows:
        m = mastery.get((r.subject_id, r.topic))
        options.append(
            TopicOption(
                subject_id=r.subject_id,
                subject_name=r.subject_name,
                grade=r.grade,
                topic=r.topic,
                question_count=r.question_count,
                mastery_level=m.mastery_level if m and m.question_count else None,
                answers=m.question_count if m else 0,
                link=practice_link(r.subject_id, r.topic),
            )
        )
    return options


def topics_with_questions(*, session: Session) -> dict[tuple[int, str], int]:
    """(subject_id, topic) -> question count, for pages that link to practice."""
    return {
        (r.subject_id, r.topic): r.question_count
        for r in practice_repo.list_practice_topics(session=session)
    }


def _words(text: str) -> set[str]:
    return {w for w in "".join(c if c.isalnum() else " " for c in text.casefold()).split()}


def suggest_for_topic(*, subject_id: int, topic: str) -> tuple[str, str] | None:
    """(practice topic, link) for what the tutor was just asked about, or None.

    The tutor's topic is the heading of its best source ("Bab 2 Organel Sel"); a practice
    topic matches when it is the same ignoring case, else when all its words appear in the
    heading ("Organel Sel"); of several, the one with most words (the most specific) wins.
    """
    wanted = _words(topic)
    if not wanted:
        return None
    with unit_of_work() as session:
        rows = practice_repo.list_practice_topics(session=session, subject_id=subject_id)
    for r in rows:
        if r.topic.casefold() == topic.casefold():
            return r.topic, practice_link(subject_id, r.topic)
    matches = [(len(_words(r.topic)), r.topic) for r in rows if _words(r.topic) <= wanted]
    matches = [m for m in matches if m[0] > 0]
    if not matches:
        return None
    best = max(matches)[1]
    return best, practice_link(subject_id, best)


def _item(q: PracticeQuestion) -> PracticeItem:
    assert q.id is not None
    options = tuple(json.loads(q.options_json)) if q.options_json else ()
    return PracticeItem(
        id=q.id,
        question=q.question,
        options=options,
        difficulty=DIFFICULTY_LABELS.get(q.difficulty or "", ""),
    )


def start_round(*, actor: CurrentUser, subject_id: int, topic: str) -> PracticeRound:
    """A topic's questions, easiest first, with the student's current mastery."""
    _require_student(actor)
    with unit_of_work() as session:
        subject = curriculum_repo.get_subject(session=session, subject_id=subject_id)
        if subject is None:
            raise NotFound("Mata pelajaran tidak ditemukan.")
        questions = practice_repo.list_practice_questions_in_order(
            session=session, subject_id=subject_id, topic=topic
        )
        if not questions:
            raise NotFound("Belum ada soal latihan untuk topik ini.")
        m = mastery_repo.get_topic_mastery(
            session=session, user_id=actor.id, topic=topic, subject_id=subject_id
        )
        return PracticeRound(
            subject_id=subject_id,
            subject_name=subject.name,
            topic=topic,
            items=[_item(q) for q in questions],
            mastery_level=m.mastery_level if m and m.question_count else None,
            answers=m.question_count if m else 0,
        )


def model_answer(*, actor: CurrentUser, question_id: int) -> str:
    """An open question's model answer, shown before the student marks themselves."""
    _require_student(actor)
    with unit_of_work() as session:
        q = practice_repo.get_practice_question(session=session, question_id=question_id)
        if q is None or q.status != "approved":  # a draft is not served
            raise NotFound("Soal tidak ditemukan.")
        if q.options_json:
            raise InvalidInput("Soal pilihan ganda dinilai dari jawaban yang dipilih.")
        return q.answer


def _state(row: TopicMastery | None) -> mastery_engine.MasteryState | None:
    if row is None:
        return None
    return mastery_engine.MasteryState(
        mastery_level=min(max(row.mastery_level, 0.0), 1.0),
        question_count=row.question_count,
        correct_count=min(row.correct_count, row.question_count),
        last_interaction=row.last_interaction,
    )


def answer_question(
    *,
    actor: CurrentUser,
    question_id: int,
    selected: str | None = None,
    marked_correct: bool | None = None,
) -> AnswerOutcome:
    """Score one answer and fold it into the topic's mastery, then re-run weak-area
    detection for the student so a topic that falls below the line shows at once.

    Multiple choice takes `selected` (a letter); an open question takes the student's own
    `marked_correct`. The answer also counts for the student's open tasks on this subject
    and topic (services/task_credit.py), as a UTBK answer on /practice does.
    """
    _require_student(actor)
    with unit_of_work() as session:
        outcome = score_answer(
            session,
            actor=actor,
            question_id=question_id,
            selected=selected,
            marked_correct=marked_correct,
        )
        q = practice_repo.get_practice_question(session=session, question_id=question_id)
        assert q is not None  # score_answer found it
        task_credit.credit_subject_tasks(
            session,
            user_id=actor.id,
            question=q,
            selected=(selected or "").strip().upper() if q.options_json else None,
            is_correct=outcome.correct,
            now=utcnow(),
        )
        return outcome


def score_answer(
    session: Session,
    *,
    actor: CurrentUser,
    question_id: int,
    selected: str | None = None,
    marked_correct: bool | None = None,
) -> AnswerOutcome:
    """answer_question inside the caller's transaction (a task records its own row for the
    same answer, all or nothing)."""
    _require_student(actor)
    now = utcnow()
    q = practice_repo.get_practice_question(session=session, question_id=question_id)
    if q is None or q.status != "approved":  # a draft is not served
        raise NotFound("Soal tidak ditemukan.")
    options = json.loads(q.options_json) if q.options_json else []
    if options:
        letter = (selected or "").strip().upper()
        if letter not in OPTION_LETTERS[: len(options)]:
            raise InvalidInput("Pilih salah satu jawaban.")
        correct = letter == q.answer
        guessing = 1.0 / len(options)
    else:
        if marked_correct is None:
            raise InvalidInput("Tandai jawabanmu benar atau salah.")
        correct = marked_correct
        guessing = 0.0
    row = mastery_repo.get_topic_mastery(
        session=session, user_id=actor.id, topic=q.topic, subject_id=q.subject_id
    )
    new = mastery_engine.update_mastery(
        _state(row), correct, DIFFICULTY_B.get(q.difficulty or "", 0.0), 1.0, guessing, now
    )
    saved = mastery_repo.upsert_topic_mastery(
        session=session,
        user_id=actor.id,
        topic=q.topic,
        subject_id=q.subject_id,
        mastery_level=new.mastery_level,
        questions_answered=1,
        correct_answers=1 if correct else 0,
        now=now,
    )
    weak = mastery_service.detect_for_topic(session, saved, now)
    return AnswerOutcome(
        correct=correct,
        correct_answer=q.answer,
        mastery_level=saved.mastery_level,
        answers=saved.question_count,
        weak=weak,
    )
