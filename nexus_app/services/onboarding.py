"""Onboarding: the student's target PTN, target score, exam date and weekly study hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nexus_app.db import unit_of_work
from nexus_app.engine import readiness
from nexus_app.models import utcnow
from nexus_app.repositories import onboarding as onboarding_repo
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import readiness as readiness_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied
from nexus_app.services.tryout import ptn as ptn_service

# Major state universities students usually aim at; free text is accepted as well.
PTN_CHOICES = (
    "Universitas Indonesia (UI)",
    "Institut Teknologi Bandung (ITB)",
    "Universitas Gadjah Mada (UGM)",
    "Institut Pertanian Bogor (IPB)",
    "Institut Teknologi Sepuluh Nopember (ITS)",
    "Universitas Airlangga (UNAIR)",
    "Universitas Padjadjaran (UNPAD)",
    "Universitas Diponegoro (UNDIP)",
    "Universitas Brawijaya (UB)",
    "Universitas Sebelas Maret (UNS)",
    "Universitas Hasanuddin (UNHAS)",
    "Universitas Sumatera Utara (USU)",
    "Universitas Andalas (UNAND)",
    "Universitas Sriwijaya (UNSRI)",
    "Universitas Pendidikan Indonesia (UPI)",
    "Universitas Negeri Yogyakarta (UNY)",
    "Universitas Negeri Surabaya (UNESA)",
    "Universitas Negeri Jakarta (UNJ)",
)
MAX_PTN_LENGTH = 100  # users.target_ptn
# Matches shown under the target field while the student types (the PTN table may hold
# thousands of programmes; a short list is easier to read on a phone).
MAX_PROGRAM_MATCHES = 8
MIN_TARGET, MAX_TARGET = 300, 900
MIN_HOURS, MAX_HOURS = 1, 80


@dataclass(frozen=True)
class Profile:
    target_ptn: str
    target_score: int | None
    exam_date: date | None
    study_hours_per_week: int | None
    onboarding_completed: bool


def _require_student(actor: CurrentUser) -> None:
    if actor.role != "siswa":
        raise PermissionDenied("Onboarding hanya untuk akun siswa.")


def get_profile(*, actor: CurrentUser) -> Profile:
    _require_student(actor)
    with unit_of_work() as session:
        user = user_repo.get_user(session=session, user_id=actor.id)
        if user is None:
            raise NotFound("Akun tidak ditemukan.")
        return Profile(
            target_ptn=user.target_ptn or "",
            target_score=user.target_score,
            exam_date=user.exam_date,
            study_hours_per_week=user.study_hours_per_week,
            onboarding_completed=user.onboarding_completed,
        )


def parse_form(
    target_ptn: str, target_score: str, exam_date: str, hours: str, *, today: date
) -> tuple[str, int, date, int]:
    """Check the raw form values; every refusal says what to fix, in Indonesian."""
    ptn = (target_ptn or "").strip()
    if not ptn:
        raise InvalidInput("Pilih atau tulis PTN tujuanmu.")
    if len(ptn) > MAX_PTN_LENGTH:
        raise InvalidInput("Nama PTN terlalu panjang (maksimal 100 karakter).")
    try:
        score = int(str(target_score).strip())
    except ValueError as exc:
        raise InvalidInput("Target skor harus berupa angka, misalnya 650.") from exc
    if not MIN_TARGET <= score <= MAX_TARGET:
        raise InvalidInput(f"Target skor harus di antara {MIN_TARGET} dan {MAX_TARGET}.")
    try:
        when = date.fromisoformat(str(exam_date).strip())
    except ValueError as exc:
        raise InvalidInput("Tanggal ujian belum diisi dengan benar.") from exc
    if when <= today:
        raise InvalidInput("Tanggal ujian harus setelah hari ini.")
    if when.year > today.year + 3:
        raise InvalidInput("Tanggal ujian terlalu jauh: pilih dalam tiga tahun ke depan.")
    try:
        weekly = int(str(hours).strip())
    except ValueError as exc:
        raise InvalidInput("Jam belajar per minggu harus berupa angka.") from exc
    if not MIN_HOURS <= weekly <= MAX_HOURS:
        raise InvalidInput(f"Jam belajar per minggu harus {MIN_HOURS}–{MAX_HOURS} jam.")
    return ptn, score, when, weekly


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def program_count() -> int:
    """How many programmes the PTN table offers (each once, newest year); 0 for a school
    that has not imported one, where the target is free text over the built-in PTN list."""
    with unit_of_work() as session:
        return len(ptn_service.list_program_choices(session))


def search_programs(
    *, actor: CurrentUser, query: str, limit: int = MAX_PROGRAM_MATCHES
) -> list[str]:
    """Labels ("PTN · programme") of the table's programmes matching every word of the
    query, those starting with it first; the first `limit` alphabetically when it is empty."""
    _require_student(actor)
    words = _normal(query).split()
    with unit_of_work() as session:
        labels = [label for _, _, label in ptn_service.list_program_choices(session)]
    found = [label for label in labels if all(w in label.lower() for w in words)]
    start = _normal(query)
    found.sort(key=lambda label: (not label.lower().startswith(start), label.lower()))
    return found[:limit]


def resolve_target(target_ptn: str) -> str:
    """The stored target: a programme picked from the PTN table is kept as its table label
    ("PTN · programme", the tryout's result page preselects it); when that label is longer
    than the column, the PTN alone (the result page then takes its first programme). Any
    other text is kept as typed: a school without a table, or a programme not in it."""
    typed = _normal(target_ptn)
    if not typed:
        return ""
    with unit_of_work() as session:
        choices = ptn_service.list_program_choices(session)
    for _, university, label in choices:
        if _normal(label) == typed:
            return label if len(label) <= MAX_PTN_LENGTH else university
    return target_ptn.strip()


def skip_utbk_target(*, actor: CurrentUser) -> Profile:
    """Finish onboarding without a UTBK target (kelas 10 often has none yet): practice, the
    tutor and the dashboard open; readiness is shown without a target until the student adds
    one on /onboarding ("Ubah target"). Readiness rows are created as at a full onboarding."""
    _require_student(actor)
    with unit_of_work() as session:
        user = onboarding_repo.mark_onboarding_completed(session=session, user_id=actor.id)
        if user is None:
            raise NotFound("Akun tidak ditemukan.")
        sections = [s.code for s in question_repo.list_section_supply(session=session)]
        readiness_repo.create_initial_readiness(
            session=session, user_id=actor.id, sections=sections
        )
        return Profile(
            target_ptn=user.target_ptn or "",
            target_score=user.target_score,
            exam_date=user.exam_date,
            study_hours_per_week=user.study_hours_per_week,
            onboarding_completed=True,
        )


def save_onboarding(
    *, actor: CurrentUser, target_ptn: str, target_score: str, exam_date: str, hours: str
) -> Profile:
    """Save the answers and create a readiness row for every UTBK section (one commit)."""
    _require_student(actor)
    ptn, score, when, weekly = parse_form(
        resolve_target(target_ptn), target_score, exam_date, hours, today=utcnow().date()
    )
    target_theta = float(readiness.score_to_theta(score))
    with unit_of_work() as session:
        user = onboarding_repo.complete_onboarding(
            session=session,
            user_id=actor.id,
            target_ptn=ptn,
            target_score=score,
            exam_date=when,
            study_hours_per_week=weekly,
        )
        if user is None:
            raise NotFound("Akun tidak ditemukan.")
        sections = [s.code for s in question_repo.list_section_supply(session=session)]
        readiness_repo.create_initial_readiness(
            session=session, user_id=actor.id, sections=sections, target_theta=target_theta
        )
        # A changed target changes every section's readiness: recompute where there is data.
        for row in readiness_repo.list_user_readiness(session=session, user_id=actor.id):
            values = readiness_repo.ReadinessValues(target_theta=target_theta)
            if row.current_theta is not None and row.theta_variance:
                se = row.theta_variance**0.5
                values = readiness_repo.ReadinessValues(
                    target_theta=target_theta,
                    readiness_percentage=readiness.readiness_percentage(
                        row.current_theta, se, score
                    ),
                )
            readiness_repo.upsert_readiness(
                session=session, user_id=actor.id, section=row.section, values=values
            )
    return Profile(ptn, score, when, weekly, True)
