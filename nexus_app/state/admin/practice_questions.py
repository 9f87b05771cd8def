"""State of /admin/practice-questions: the school-subject practice questions, for gurus and
admins (every handler re-checks the role on the server).

Not `@admin_event`: a guru manages these questions too, so each handler asks for either role
(`_staff`) and turns a service refusal into its message itself.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx
from reflex_base.event import EventSpec

from nexus_app.formatting import EMPTY
from nexus_app.services import practice_admin, practice_drafts, school_practice
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.services.practice_admin import PracticeQuestionView
from nexus_app.state.auth import AuthState
from nexus_app.state.events import event
from nexus_app.state.off_loop import off_loop

UPLOAD_ID = "practice-upload"
STAFF = ("admin", "guru")
EXCERPT_CHARS = 90
OPTION_LETTERS = school_practice.OPTION_LETTERS
DIFFICULTY_LABELS = {"easy": "Mudah", "medium": "Sedang", "hard": "Sulit"}


@dataclasses.dataclass
class SubjectOption:
    id: int = 0
    label: str = ""


@dataclasses.dataclass
class FilterOption:
    value: str = ""
    label: str = ""


@dataclasses.dataclass
class PracticeRow:
    id: int = 0
    topic: str = ""
    difficulty: str = ""
    kind: str = ""
    question: str = ""
    answer: str = ""
    is_multiple_choice: bool = False
    is_draft: bool = False


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _row(q: PracticeQuestionView) -> PracticeRow:
    return PracticeRow(
        id=q.id,
        topic=q.topic,
        difficulty=DIFFICULTY_LABELS.get(q.difficulty, EMPTY),
        kind="Pilihan ganda" if q.is_multiple_choice else "Isian",
        question=_excerpt(q.question),
        answer=_excerpt(q.answer),
        is_multiple_choice=q.is_multiple_choice,
        is_draft=q.status == "draft",
    )


class AdminPracticeQuestionsState(AuthState):
    subjects: rx.Field[list[SubjectOption]] = rx.field(default_factory=list)
    subject_id: rx.Field[int] = rx.field(0)
    topics: rx.Field[list[str]] = rx.field(default_factory=list)
    filter_topic: rx.Field[str] = rx.field("")
    filter_difficulty: rx.Field[str] = rx.field("")
    filter_status: rx.Field[str] = rx.field("")
    rows: rx.Field[list[PracticeRow]] = rx.field(default_factory=list)
    total: rx.Field[int] = rx.field(0)
    page: rx.Field[int] = rx.field(1)
    page_count: rx.Field[int] = rx.field(1)
    error: rx.Field[str] = rx.field("")
    success: rx.Field[str] = rx.field("")

    # The editor (a dialog): 0 is a new question.
    editor_open: rx.Field[bool] = rx.field(False)
    editing_id: rx.Field[int] = rx.field(0)
    f_topic: rx.Field[str] = rx.field("")
    f_question: rx.Field[str] = rx.field("")
    f_answer: rx.Field[str] = rx.field("")
    f_difficulty: rx.Field[str] = rx.field("")
    f_options: rx.Field[list[str]] = rx.field(default_factory=lambda: [""] * 5)
    editor_error: rx.Field[str] = rx.field("")

    # Drafts from a book chapter by the local model.
    draft_chapter: rx.Field[str] = rx.field("")
    draft_count: rx.Field[str] = rx.field("3")
    drafting: rx.Field[bool] = rx.field(False)
    draft_message: rx.Field[str] = rx.field("")
    draft_error: rx.Field[str] = rx.field("")

    skip_invalid: rx.Field[bool] = rx.field(False)
    import_errors: rx.Field[list[str]] = rx.field(default_factory=list)
    import_message: rx.Field[str] = rx.field("")
    import_error: rx.Field[str] = rx.field("")

    @rx.var
    def difficulty_options(self) -> list[FilterOption]:
        return [
            FilterOption(value=value, label=label) for value, label in DIFFICULTY_LABELS.items()
        ]

    @rx.var
    def page_label(self) -> str:
        return f"Halaman {self.page} dari {self.page_count} ({self.total} soal)"

    @rx.var
    def has_previous(self) -> bool:
        return self.page > 1

    @rx.var
    def has_next(self) -> bool:
        return self.page < self.page_count

    def _staff(self) -> CurrentUser:
        return self._require_reused(*STAFF)

    def _load_rows(self, actor: CurrentUser) -> None:
        if not self.subject_id:
            self.rows, self.topics, self.total, self.page, self.page_count = [], [], 0, 1, 1
            return
        try:
            result = practice_admin.list_questions(
                actor=actor,
                subject_id=self.subject_id,
                topic=self.filter_topic,
                difficulty=self.filter_difficulty,
                status=self.filter_status,
                page=self.page,
            )
        except ServiceError as exc:
            self.error = exc.message
            self.rows = []
            return
        self.topics = list(result.topics)
        if self.filter_topic and self.filter_topic not in self.topics:
            self.filter_topic = ""
        self.rows = [_row(q) for q in result.rows]
        self.total, self.page, self.page_count = result.total, result.page, result.pages

    @rx.event
    @off_loop
    def load(self) -> None:
        actor = self._staff()
        self.error = self.success = ""
        self.editor_open = False
        self._reset_import()
        subjects = practice_admin.list_subjects(actor=actor)
        self.subjects = [
            SubjectOption(id=s.id, label=f"{s.name} (kelas {s.grade}, {s.code})") for s in subjects
        ]
        ids = [s.id for s in subjects]
        if self.subject_id not in ids:
            self.subject_id = ids[0] if ids else 0
            self.filter_topic = self.filter_difficulty = ""
            self.page = 1
        self._load_rows(actor)

    def _reset_import(self) -> None:
        self.import_errors, self.import_message, self.import_error = [], "", ""

    @rx.event
    @off_loop
    def set_subject(self, value: str) -> None:
        actor = self._staff()
        self.subject_id = int(value) if str(value).isdigit() else 0
        self.filter_topic = self.filter_difficulty = self.filter_status = ""
        self.page = 1
        self.error = self.success = self.draft_message = self.draft_error = ""
        self._reset_import()
        self._load_rows(actor)

    @rx.event
    @off_loop
    def set_filter_topic(self, value: str) -> None:
        actor = self._staff()
        self.filter_topic, self.page = str(value), 1
        self._load_rows(actor)

    @rx.event
    @off_loop
    def set_filter_difficulty(self, value: str) -> None:
        actor = self._staff()
        self.filter_difficulty, self.page = str(value), 1
        self._load_rows(actor)

    @rx.event
    @off_loop
    def set_filter_status(self, value: str) -> None:
        actor = self._staff()
        self.filter_status, self.page = str(value), 1
        self._load_rows(actor)

    @rx.event
    @off_loop
    def next_page(self) -> None:
        actor = self._staff()
        self.page = max(1, min(self.page + 1, self.page_count))
        self._load_rows(actor)

    @rx.event
    @off_loop
    def prev_page(self) -> None:
        actor = self._staff()
        self.page = max(1, min(self.page - 1, self.page_count))
        self._load_rows(actor)

    # --- the editor ----------------------------------------------------------------------

    def _fill(self, q: PracticeQuestionView | None) -> None:
        self.editing_id = q.id if q else 0
        self.f_topic = q.topic if q else self.filter_topic
        self.f_question = q.question if q else ""
        self.f_answer = q.answer if q else ""
        self.f_difficulty = q.difficulty if q else ""
        options = list(q.options) if q else []
        self.f_options = options + [""] * (len(OPTION_LETTERS) - len(options))
        self.editor_error = ""

    @rx.event
    @off_loop
    def new_question(self) -> None:
        self._staff()
        self.error = self.success = ""
        self._fill(None)
        self.editor_open = True

    @event
    @off_loop
    def edit_question(self, question_id: int) -> None:
        actor = self._staff()
        self.error = self.success = ""
        try:
            q = practice_admin.get_question(actor=actor, question_id=int(question_id))
        except ServiceError as exc:
            self.error = exc.message
            return
        self._fill(q)
        self.editor_open = True

    @rx.event
    @off_loop
    def set_editor_open(self, value: bool) -> None:
        self._staff()
        self.editor_open = bool(value)

    @rx.event
    @off_loop
    def set_f_topic(self, value: str) -> None:
        self._staff()
        self.f_topic = str(value)

    @rx.event
    @off_loop
    def set_f_question(self, value: str) -> None:
        self._staff()
        self.f_question = str(value)

    @rx.event
    @off_loop
    def set_f_answer(self, value: str) -> None:
        self._staff()
        self.f_answer = str(value)

    @rx.event
    @off_loop
    def set_f_difficulty(self, value: str) -> None:
        self._staff()
        self.f_difficulty = str(value)

    @event
    @off_loop
    def set_option(self, index: int, value: str) -> None:
        self._staff()
        if 0 <= int(index) < len(OPTION_LETTERS):
            options = list(self.f_options)
            options[int(index)] = str(value)
            self.f_options = options

    @rx.event
    @off_loop
    def save_question(self) -> None:
        actor = self._staff()
        self.editor_error = self.error = self.success = ""
        try:
            saved = practice_admin.save_question(
                actor=actor,
                question_id=self.editing_id,
                subject_id=self.subject_id,
                topic=self.f_topic,
                question=self.f_question,
                answer=self.f_answer,
                difficulty=self.f_difficulty,
                options=tuple(self.f_options),
            )
        except ServiceError as exc:
            self.editor_error = exc.message
            return
        self.success = (
            f"Soal #{saved.id} disimpan." if self.editing_id else f"Soal #{saved.id} ditambahkan."
        )
        self.editor_open = False
        self._load_rows(actor)

    @event
    @off_loop
    def delete_question(self, question_id: int) -> None:
        actor = self._staff()
        self.error = self.success = ""
        try:
            practice_admin.delete_question(actor=actor, question_id=int(question_id))
        except ServiceError as exc:
            self.error = exc.message
            return
        self.success = f"Soal #{question_id} dihapus."
        self._load_rows(actor)

    # --- drafts by the local model --------------------------------------------------------

    @rx.event
    @off_loop
    def set_draft_chapter(self, value: str) -> None:
        self._staff()
        self.draft_chapter = str(value)

    @rx.event
    @off_loop
    def set_draft_count(self, value: str) -> None:
        self._staff()
        self.draft_count = str(value)

    @rx.event(background=True)
    async def draft_with_ai(self) -> None:
        """The model takes a while on a school server's CPU: run it off the event loop and
        show 'drafting' meanwhile; the drafts then appear under the "Draf" filter."""
        async with self:
            actor = await self._require_async(*STAFF)
            login_id = self._login_nonce
            if self.drafting:
                return
            self.drafting = True
            self.draft_message = self.draft_error = self.error = self.success = ""
            subject_id, chapter = self.subject_id, self.draft_chapter
            count = int(self.draft_count) if self.draft_count.isdigit() else 3
        try:
            result = await asyncio.to_thread(
                practice_drafts.draft_questions,
                actor=actor,
                subject_id=subject_id,
                chapter=chapter,
                count=count,
            )
        except ServiceError as exc:
            async with self:
                if self._same_login(login_id):  # the same person is still logged in here
                    self.drafting = False
                    self.draft_error = exc.message
            return
        except Exception:
            async with self:
                self.drafting = False  # let the button work again; the app logs the error
            raise
        async with self:
            if not self._same_login(login_id):
                return
            self.drafting = False
            self.draft_message = (
                f"{len(result.created)} draf soal dibuat dari {'; '.join(result.sources)}"
                + (
                    f" ({result.rejected} soal model tidak lolos aturan impor)."
                    if result.rejected
                    else "."
                )
                + " Periksa dan setujui satu per satu: draf belum diberikan ke siswa."
            )
            self.filter_status, self.filter_topic, self.page = "draft", "", 1
            await asyncio.to_thread(self._load_rows, actor)

    @event
    @off_loop
    def approve_draft(self, question_id: int) -> None:
        actor = self._staff()
        self.error = self.success = ""
        try:
            practice_drafts.approve_draft(actor=actor, question_id=int(question_id))
        except ServiceError as exc:
            self.error = exc.message
            return
        self.success = f"Soal #{question_id} disetujui: kini dipakai di latihan siswa."
        self._load_rows(actor)

    # --- import ---------------------------------------------------------------------------

    @rx.event
    @off_loop
    def download_template(self) -> EventSpec:
        self._staff()
        spec: EventSpec = rx.download(
            data=school_practice.csv_template(), filename=school_practice.TEMPLATE_FILENAME
        )
        return spec

    @rx.event
    @off_loop
    def set_skip_invalid(self, value: bool) -> None:
        self._staff()
        self.skip_invalid = bool(value)

    @event
    async def import_file(self, files: list[rx.UploadFile]) -> EventSpec | None:
        actor = await self._require_async(*STAFF)
        self._reset_import()
        self.error = self.success = ""
        if not self.subject_id:
            self.import_error = "Pilih mata pelajaran tujuan dulu."
            return None
        if not files:
            self.import_error = "Pilih berkas .csv dulu."
            return None
        # One byte past the limit: enough to refuse an oversized file.
        data = await files[0].read(school_practice.MAX_FILE_BYTES + 1)
        try:
            report = await asyncio.to_thread(
                practice_admin.import_csv,
                actor=actor,
                subject_id=self.subject_id,
                data=data,
                skip_invalid=self.skip_invalid,
            )
        except ServiceError as exc:
            self.import_error = exc.message
            return None
        self.import_errors = [str(e) for e in report.errors]
        if report.errors and not self.skip_invalid:
            self.import_error = (
                f"{len(report.errors)} baris salah; tidak ada soal yang diimpor. Perbaiki "
                "berkasnya, atau centang 'lewati baris yang salah' untuk mengimpor yang benar saja."
            )
            return None
        self.import_message = f"{report.imported} soal latihan diimpor" + (
            f", {report.skipped} baris salah dilewati." if report.skipped else "."
        )
        self.filter_topic = self.filter_difficulty = ""
        self.page = 1
        await asyncio.to_thread(self._load_rows, actor)
        cleared: EventSpec = rx.clear_selected_files(UPLOAD_ID)
        return cleared
