"""Question statistics for the admin: the seed's top-questions query with its labels."""

from __future__ import annotations

from dataclasses import dataclass

from nexus_app import formatting
from nexus_app.db import unit_of_work
from nexus_app.repositories import item_stats as stats_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import InvalidInput, NotFound
from nexus_app.services.teacher import to_csv

DEFAULT_MIN_USERS = question_repo.TOP_QUESTIONS_MIN_USERS
MAX_MIN_USERS = 100_000
LIMITS = (50, 100, 250, 1000)
TEXT_PREVIEW_CHARS = 120


@dataclass(frozen=True)
class Assessment:
    code: str
    label: str
    explanation: str


# The seed's thresholds on the share of correct answers, said for a content team.
ASSESSMENTS: dict[str, Assessment] = {
    a.code: a
    for a in (
        Assessment(
            "TOO_EASY",
            "Terlalu mudah",
            "Lebih dari 85% jawaban benar: soal ini hampir tidak membedakan siswa. "
            "Pertimbangkan untuk mempersulit atau mengganti soal.",
        ),
        Assessment(
            "TOO_HARD",
            "Terlalu sulit",
            "Kurang dari 30% jawaban benar, mendekati tebakan acak: periksa kunci jawaban, "
            "kejelasan soal, dan pengecohnya.",
        ),
        Assessment(
            "OPTIMAL",
            "Optimal",
            "Antara 35% dan 65% jawaban benar: soal paling informatif untuk siswa "
            "berkemampuan rata-rata.",
        ),
        Assessment(
            "ACCEPTABLE",
            "Dapat diterima",
            "30–35% atau 65–85% jawaban benar: layak dipakai, sedikit di luar rentang ideal.",
        ),
        Assessment(
            "NO_DATA",
            "Belum ada data",
            "Persentase jawaban benar belum tercatat untuk soal ini.",
        ),
    )
}


@dataclass(frozen=True)
class StatsOptions:
    sections: list[tuple[str, str]]  # (code, name)
    banks: list[tuple[int, str]]  # (id, name)


@dataclass(frozen=True)
class QuestionStat:
    question_id: int
    section: str
    sub_type: str
    text: str
    preview: str
    difficulty_irt: float | None
    attempt_count: int
    correct_rate_percentage: float | None
    avg_time_seconds: int | None
    unique_users: int
    assessment: Assessment


def options(*, actor: CurrentUser) -> StatsOptions:
    require_admin(actor)
    with unit_of_work() as session:
        sections = [(s.code, s.name) for s in question_repo.list_section_supply(session=session)]
        banks = [(b.bank_id, b.name) for b in stats_repo.list_bank_summaries(session=session)]
    return StatsOptions(sections=sections, banks=banks)


def question_statistics(
    *,
    actor: CurrentUser,
    section: str | None = None,
    bank_id: int | None = None,
    min_users: int = DEFAULT_MIN_USERS,
    limit: int = LIMITS[0],
) -> list[QuestionStat]:
    """Query 9 for the chosen section and bank: items answered by at least `min_users`
    distinct students, most attempted first, each with its difficulty assessment."""
    require_admin(actor)
    if not 1 <= min_users <= MAX_MIN_USERS:
        raise InvalidInput(
            f"Minimal siswa yang menjawab harus antara 1 dan {MAX_MIN_USERS:,}.".replace(",", ".")
        )
    if limit not in LIMITS:
        raise InvalidInput("Jumlah baris harus salah satu dari " + ", ".join(map(str, LIMITS)))
    with unit_of_work() as session:
        if section is not None and section not in question_repo.list_section_codes(session=session):
            raise NotFound(f"Subtes '{section}' tidak dikenal.")
        if bank_id is not None and stats_repo.get_bank(session=session, bank_id=bank_id) is None:
            raise NotFound("Bank soal tidak ditemukan.")
        rows = question_repo.top_question_stats(
            session=session, min_users=min_users, section=section, bank_id=bank_id, limit=limit
        )
    result = []
    for r in rows:
        text = " ".join(r.text.split())
        preview = formatting.shorten(text, TEXT_PREVIEW_CHARS)
        result.append(
            QuestionStat(
                question_id=r.question_id,
                section=r.section,
                sub_type=r.sub_type or "",
                text=text,
                preview=preview,
                difficulty_irt=r.difficulty_irt,
                attempt_count=r.attempt_count,
                correct_rate_percentage=r.correct_rate_percentage,
                avg_time_seconds=r.avg_time_seconds,
                unique_users=r.unique_users_answered,
                assessment=ASSESSMENTS[r.difficulty_assessment],
            )
        )
    return result


def statistics_csv(rows: list[QuestionStat]) -> str:
    def blank(value: object) -> object:
        return formatting.CSV_EMPTY if value is None else value  # numbers stay numbers

    return to_csv(
        [
            "id",
            "subtes",
            "sub_tipe",
            "soal",
            "kesulitan_irt",
            "jumlah_jawaban",
            "persen_benar",
            "rata_rata_detik",
            "siswa_menjawab",
            "penilaian",
            "keterangan",
        ],
        [
            [
                r.question_id,
                r.section,
                r.sub_type,
                r.text,
                blank(r.difficulty_irt),
                r.attempt_count,
                blank(r.correct_rate_percentage),
                blank(r.avg_time_seconds),
                r.unique_users,
                r.assessment.code,
                r.assessment.label,
            ]
            for r in rows
        ],
    )
