"""The school's own choices, made once (at install with `nexus school set-default-tier`, or
by an admin on /admin/users): what a new student gets, and whether this server sells plans.

A student without an active paid subscription uses the `free` tier's terms, so the default
for new students *is* that tier. The school picks:
- "sekolah": everything unlimited, named "Sekolah" (a school that pays for its own server);
- "gratis": the daily limits of the Gratis tier (40 practice answers, 10 feedbacks, 20
  tutor questions).
Either can be fine-tuned later on /admin/subscriptions. Quota messages speak of upgrading a
plan only when the server sells plans (`sells_plans`; until chosen: when a Midtrans key is
configured); otherwise they say when the quota comes back and whom to ask. docs/subscriptions.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.repositories import billing as billing_repo
from nexus_app.repositories import school_settings as settings_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.billing.midtrans import payments_configured
from nexus_app.services.errors import InvalidInput

DEFAULT_TIER_CHOICES = {
    # choice: (display name, practice, feedback, tutor per day; None = unlimited)
    "sekolah": ("Sekolah", None, None, None),
    "gratis": ("Gratis", 40, 10, 20),
}
CHOICE_LABELS = {
    "sekolah": "Sekolah: tanpa batas harian",
    "gratis": "Gratis: 40 soal latihan, 10 umpan balik AI, 20 pertanyaan tutor per hari",
}
_CHOSEN_KEY = "default_tier_choice"
_SELLS_KEY = "sells_plans"


@dataclass(frozen=True)
class SchoolPlan:
    choice: str  # "sekolah", "gratis", or "" before the school has chosen
    sells_plans: bool

    @property
    def chosen(self) -> bool:
        return bool(self.choice)


def _read(session: Session) -> SchoolPlan:
    choice = settings_repo.get_setting(session=session, key=_CHOSEN_KEY) or ""
    stored = settings_repo.get_setting(session=session, key=_SELLS_KEY)
    # Not chosen yet: a server with a payment gateway key sells plans, others do not.
    sells = stored == "1" if stored is not None else payments_configured()
    return SchoolPlan(choice=choice if choice in DEFAULT_TIER_CHOICES else "", sells_plans=sells)


def read_school_plan(session: Session) -> SchoolPlan:
    """Inside the caller's transaction (the quota check reads it)."""
    return _read(session)


def school_plan() -> SchoolPlan:
    with unit_of_work() as session:
        return _read(session)


def configure_default_tier(*, choice: str, sells_plans: bool) -> SchoolPlan:
    """Set the default tier's terms and the selling switch (the CLI: the operator at
    install; pages go through `set_default_tier`, which checks the admin first)."""
    choice = (choice or "").strip().lower()
    if choice not in DEFAULT_TIER_CHOICES:
        raise InvalidInput("Pilihan paket bawaan tidak dikenal: pilih 'sekolah' atau 'gratis'.")
    name, practice, feedback, tutor = DEFAULT_TIER_CHOICES[choice]
    with unit_of_work() as session:
        billing_repo.save_tier(
            session=session,
            tier="free",
            display_name=name,
            practice_questions_per_day=practice,
            ai_feedback_per_day=feedback,
            tutor_questions_per_day=tutor,
            price_idr=None,
            duration_days=None,
        )
        settings_repo.set_setting(session=session, key=_CHOSEN_KEY, value=choice)
        settings_repo.set_setting(
            session=session, key=_SELLS_KEY, value="1" if sells_plans else "0"
        )
        return _read(session)


def set_default_tier(*, actor: CurrentUser, choice: str, sells_plans: bool) -> SchoolPlan:
    require_admin(actor)
    return configure_default_tier(choice=choice, sells_plans=sells_plans)


def get_school_plan(*, actor: CurrentUser) -> SchoolPlan:
    require_admin(actor)
    return school_plan()
