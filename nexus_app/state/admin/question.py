"""State of /admin/questions/[question_id]: the item editor with a live preview and the
two-reviewer workflow (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import reflex as rx
from reflex_base.event import EventSpec

from nexus_app.formatting import EMPTY
from nexus_app.services import bank_admin, timefmt
from nexus_app.services.auth import CurrentUser
from nexus_app.services.bank_admin import QuestionDetail
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import admin_event, admin_setter
from nexus_app.state.auth import AuthState

LETTERS = ("A", "B", "C", "D", "E")
FORM_FIELDS = (
    "section",
    "sub_type",
    "text",
    "option_a",
    "option_b",
    "option_c",
    "option_d",
    "option_e",
    "correct_answer",
    "explanation",
    "explanation_en",
    "strategy_tip",
    "related_concept",
    "discrimination",
    "difficulty",
    "guessing",
)
ASPECT_LABELS = {"clarity": "Kejelasan", "correctness": "Kebenaran", "authenticity": "Keaslian"}
REVISION_LABELS = {
    "wording": "Kalimat soal",
    "options": "Opsi jawaban",
    "explanation": "Pembahasan",
    "difficulty": "Tingkat kesulitan",
}


def _when(value: datetime) -> str:
    return timefmt.format_datetime(value)


@dataclasses.dataclass
class SectionOption:
    code: str = ""
    label: str = ""


@dataclasses.dataclass
class ChoiceOption:
    value: str = ""
    label: str = ""


@dataclasses.dataclass
class PreviewOption:
    letter: str = ""
    text: str = ""


@dataclasses.dataclass
class HistoryRow:
    when: str = ""
    reviewer: str = ""
    status: str = ""
    status_label: str = ""
    notes: str = ""
    aspects: str = ""
    revision_type: str = ""


class AdminQuestionState(AuthState):
    editing_id: rx.Field[int] = rx.field(0)
    found: rx.Field[bool] = rx.field(False)
    load_error: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    success: rx.Field[str] = rx.field("")

    # The editor's form, keyed like an import row (bank_admin.QuestionDetail.fields).
    form: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    saved_form: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    sections: rx.Field[list[SectionOption]] = rx.field(default_factory=list)
    preview_answered: rx.Field[bool] = rx.field(False)

    bank_id: rx.Field[int] = rx.field(0)
    bank_name: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    is_ambiguous: rx.Field[bool] = rx.field(False)
    is_deleted: rx.Field[bool] = rx.field(False)
    approvals: rx.Field[int] = rx.field(0)
    reviewer_1_name: rx.Field[str] = rx.field("")
    reviewer_1_notes: rx.Field[str] = rx.field("")
    reviewer_2_name: rx.Field[str] = rx.field("")
    reviewer_2_notes: rx.Field[str] = rx.field("")
    attempt_count: rx.Field[int] = rx.field(0)
    history: rx.Field[list[HistoryRow]] = rx.field(default_factory=list)

    review_status: rx.Field[str] = rx.field("approved")
    review_notes: rx.Field[str] = rx.field("")
    review_aspects: rx.Field[list[str]] = rx.field(default_factory=list)
    revision_type: rx.Field[str] = rx.field("")
    # Why this admin may not approve the item now (shown beside the disabled buttons), and
    # the service's refusal of a review, shown right there too.
    approval_refusal: rx.Field[str] = rx.field("")
    review_error: rx.Field[str] = rx.field("")
    # The review queue of this item's bank: what this admin may still approve.
    queue_count: rx.Field[int] = rx.field(0)

    @rx.var
    def status_label(self) -> str:
        return bank_admin.STATUS_LABELS.get(self.status, "")

    @rx.var
    def preview_options(self) -> list[PreviewOption]:
        return [
            PreviewOption(letter=letter, text=self.form.get(f"option_{letter.lower()}", ""))
            for letter in LETTERS
        ]

    @rx.var
    def is_dirty(self) -> bool:
        return self.form != self.saved_form

    @rx.var
    def resets_review(self) -> bool:
        """Saving now would void the approvals (shown as a warning before saving)."""
        reviewed = self.approvals > 0
        return reviewed and any(
            self.form.get(k, "") != self.saved_form.get(k, "")
            for k in bank_admin.SUBSTANTIVE_FIELDS
        )

    @rx.var
    def aspect_options(self) -> list[ChoiceOption]:
        return [ChoiceOption(value=k, label=v) for k, v in ASPECT_LABELS.items()]

    @rx.var
    def revision_options(self) -> list[ChoiceOption]:
        return [ChoiceOption(value=k, label=v) for k, v in REVISION_LABELS.items()]

    @rx.var
    def review_blocked(self) -> bool:
        """ "Catat review" would be refused: an approval by the first approver."""
        return self.review_status == "approved" and self.approval_refusal != ""

    def _show(self, detail: QuestionDetail) -> None:
        self.found = True
        self.editing_id = detail.id
        self.form = dict(detail.fields)
        self.saved_form = dict(detail.fields)
        self.bank_id = detail.bank_id or 0
        self.bank_name = detail.bank_name
        self.status = detail.status
        self.is_ambiguous = detail.is_ambiguous
        self.is_deleted = detail.is_deleted
        self.approvals = 2 if detail.is_reviewed else detail.approvals
        self.reviewer_1_name = detail.reviewer_1_name
        self.reviewer_1_notes = detail.reviewer_1_notes
        self.reviewer_2_name = detail.reviewer_2_name
        self.reviewer_2_notes = detail.reviewer_2_notes
        self.attempt_count = detail.attempt_count
        self.approval_refusal = detail.approval_refusal
        self.history = [
            HistoryRow(
                when=_when(h.created_at),
                reviewer=h.reviewer_name,
                status=h.status,
                status_label=bank_admin.REVIEW_LABELS.get(h.status, h.status),
                notes=h.notes or EMPTY,
                aspects=", ".join(ASPECT_LABELS.get(a, a) for a in h.aspects.split(",") if a)
                or EMPTY,
                revision_type=REVISION_LABELS.get(h.revision_type, h.revision_type) or EMPTY,
            )
            for h in reversed(detail.history)
        ]

    def _count_queue(self, actor: CurrentUser) -> None:
        self.queue_count = (
            bank_admin.review_queue(actor=actor, bank_id=self.bank_id).count if self.bank_id else 0
        )

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        self.error = self.success = self.load_error = self.review_error = ""
        self.preview_answered = False
        self._clear_review_form()
        raw = str(self.router.page.params.get("question_id", ""))
        if not raw.isdigit():
            self.found = False
            self.load_error = "Soal tidak ditemukan."
            return
        self.sections = [
            SectionOption(code=c, label=f"{c} – {n}")
            for c, n in bank_admin.list_sections(actor=actor)
        ]
        try:
            detail = bank_admin.get_question(actor=actor, question_id=int(raw))
        except ServiceError as exc:
            self.found = False
            self.load_error = exc.message
            return
        self._show(detail)
        self._count_queue(actor)
        # Arriving from "Setujui & berikutnya": say what happened to the previous item.
        if self.router.url.query_parameters.get("from_queue", "") == "1":
            self.success = "Persetujuan dicatat. Ini soal berikutnya di antrean Anda."

    def _clear_review_form(self) -> None:
        self.review_status = "approved"
        self.review_notes = ""
        self.review_aspects = []
        self.revision_type = ""

    @admin_event
    def set_field(self, name: str, value: str) -> None:
        """Every editor input: the preview reads the same dict, so it follows the typing."""
        if name in FORM_FIELDS:
            self.form = {**self.form, name: str(value)}

    @admin_event
    def discard_changes(self) -> None:
        self.form = dict(self.saved_form)
        self.error = self.success = ""

    @admin_event
    def toggle_preview_answer(self) -> None:
        self.preview_answered = not self.preview_answered

    @admin_event(error="error")
    def save(self, actor: CurrentUser) -> None:
        self.error = self.success = ""
        result = bank_admin.save_question(actor=actor, question_id=self.editing_id, form=self.form)
        self._show(result.detail)
        if not result.changed:
            self.success = "Tidak ada perubahan untuk disimpan."
        elif result.review_reset:
            self.success = (
                "Perubahan disimpan. Karena isi soal berubah, persetujuan sebelumnya dibatalkan: "
                "soal perlu direview ulang oleh dua reviewer."
            )
        else:
            self.success = "Perubahan disimpan."

    set_review_status = admin_setter("review_status", str)

    set_review_notes = admin_setter("review_notes", str)

    @admin_event
    def toggle_aspect(self, aspect: str, checked: bool) -> None:
        rest = [a for a in self.review_aspects if a != aspect]
        self.review_aspects = [*rest, aspect] if checked and aspect in ASPECT_LABELS else rest

    set_revision_type = admin_setter("revision_type", str)

    @admin_event(error="review_error")
    def submit_review(self, actor: CurrentUser) -> None:
        self.error = self.success = self.review_error = ""
        if self.is_dirty:
            self.review_error = (
                "Simpan atau batalkan perubahan dulu: review berlaku untuk isi yang tersimpan."
            )
            return
        result = bank_admin.review_question(
            actor=actor,
            question_id=self.editing_id,
            status=self.review_status,
            notes=self.review_notes,
            aspects=tuple(self.review_aspects),
            revision_type=self.revision_type,
        )
        self._show(result.detail)
        self._clear_review_form()
        self._count_queue(actor)
        if not result.counted:
            self.success = "Review dicatat. Soal ini memang sudah direview dua orang."
        elif result.detail.is_reviewed:
            self.success = "Review dicatat. Soal sudah disetujui dua reviewer dan siap dipakai."
        elif result.detail.approvals == 1:
            self.success = "Persetujuan pertama dicatat. Soal menunggu reviewer kedua."
        else:
            self.success = "Review dicatat. Soal kembali ke draf dan perlu direview ulang."

    @admin_event(error="review_error")
    def approve_and_next(self, actor: CurrentUser) -> EventSpec | None:
        """Approve this item (the notes and aspects typed, if any) and open the next item
        of the bank's queue; stay here, saying so, when the queue is empty."""
        self.error = self.success = self.review_error = ""
        if self.is_dirty:
            self.review_error = (
                "Simpan atau batalkan perubahan dulu: review berlaku untuk isi yang tersimpan."
            )
            return None
        result = bank_admin.review_question(
            actor=actor,
            question_id=self.editing_id,
            status="approved",
            notes=self.review_notes,
            aspects=tuple(self.review_aspects),
        )
        self._show(result.detail)
        self._clear_review_form()
        following = bank_admin.next_in_queue(
            actor=actor, bank_id=self.bank_id, after_question_id=self.editing_id
        )
        if following is None:
            self.queue_count = 0
            self.success = "Persetujuan dicatat. Antrean review Anda di bank ini sudah habis."
            return None
        return rx.redirect(f"/admin/questions/{following}?from_queue=1")

    @admin_event(error="error")
    def toggle_ambiguous(self, actor: CurrentUser) -> None:
        self.error = self.success = ""
        detail = bank_admin.set_ambiguous(
            actor=actor, question_id=self.editing_id, ambiguous=not self.is_ambiguous
        )
        self._show(detail)
        self.success = (
            "Soal ditandai ambigu: tidak akan diberikan ke siswa."
            if detail.is_ambiguous
            else "Tanda ambigu dihapus."
        )

    @admin_event(error="error")
    def delete(self, actor: CurrentUser) -> None:
        self.error = self.success = ""
        detail = bank_admin.delete_question(actor=actor, question_id=self.editing_id)
        self._show(detail)
        self.success = "Soal dihapus (bisa dipulihkan)."

    @admin_event(error="error")
    def restore(self, actor: CurrentUser) -> None:
        self.error = self.success = ""
        detail = bank_admin.restore_question(actor=actor, question_id=self.editing_id)
        self._show(detail)
        self.success = "Soal dipulihkan."
