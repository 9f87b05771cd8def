"""State of /onboarding: the student's goal, saved through the onboarding service."""

from __future__ import annotations

import reflex as rx

from nexus_app.services import onboarding
from nexus_app.services.errors import ServiceError
from nexus_app.state.auth import AuthState
from nexus_app.state.events import Events, event
from nexus_app.state.off_loop import off_loop


class OnboardingState(AuthState):
    ptn_choices: rx.Field[list[str]] = rx.field(
        default_factory=lambda: list(onboarding.PTN_CHOICES)
    )
    target_ptn: rx.Field[str] = rx.field("")
    target_score: rx.Field[str] = rx.field("")
    exam_date: rx.Field[str] = rx.field("")
    hours: rx.Field[str] = rx.field("")
    editing: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    # Programmes in the school's PTN table (0: free text over the built-in PTN list) and
    # those matching what the student typed, to pick from.
    program_count: rx.Field[int] = rx.field(0)
    program_matches: rx.Field[list[str]] = rx.field(default_factory=list)

    @rx.var
    def show_matches(self) -> bool:
        """The pick list shows while the text is not one of the programmes exactly."""
        return self.program_count > 0 and self.target_ptn not in self.program_matches[:1]

    def _search(self) -> None:
        actor = self._require_reused("siswa")
        self.program_matches = (
            onboarding.search_programs(actor=actor, query=self.target_ptn)
            if self.program_count
            else []
        )

    @rx.event
    @off_loop
    def type_ptn(self, value: str) -> None:
        """The target field changed (debounced): look the text up in the PTN table."""
        self.target_ptn = value
        self._search()

    @event
    @off_loop
    def pick_program(self, label: str) -> None:
        self._require_reused("siswa")
        self.target_ptn = label
        self.program_matches = [label]

    @rx.event
    @off_loop
    def load(self) -> None:
        actor = self._require_reused("siswa")
        profile = onboarding.get_profile(actor=actor)
        self.editing = profile.onboarding_completed
        self.target_ptn = profile.target_ptn
        self.target_score = str(profile.target_score or "")
        self.exam_date = profile.exam_date.isoformat() if profile.exam_date else ""
        self.hours = str(profile.study_hours_per_week or "")
        self.error = ""
        self.program_count = onboarding.program_count()
        self._search()

    @rx.event
    @off_loop
    def skip_target(self) -> Events:
        """No UTBK target yet (kelas 10): onboarding ends, the target can be added later."""
        actor = self._require_reused("siswa")
        try:
            onboarding.skip_utbk_target(actor=actor)
        except ServiceError as exc:
            self.error = exc.message
            return None
        self.error = ""
        return rx.redirect("/dashboard")

    @rx.event
    @off_loop
    def save(self, form: dict[str, str]) -> Events:
        actor = self._require_reused("siswa")
        self.target_ptn = form.get("target_ptn", "")
        self.target_score = form.get("target_score", "")
        self.exam_date = form.get("exam_date", "")
        self.hours = form.get("hours", "")
        try:
            onboarding.save_onboarding(
                actor=actor,
                target_ptn=self.target_ptn,
                target_score=self.target_score,
                exam_date=self.exam_date,
                hours=self.hours,
            )
        except ServiceError as exc:
            self.error = exc.message
            return None
        self.error = ""
        return rx.redirect("/dashboard")
