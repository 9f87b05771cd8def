"""State of /tryout: thin; every event re-checks the student and the server keeps the time.

The countdown on the page is drawn by a small script from the section's deadline and the
server's clock at the last update (so a phone with a wrong clock still counts right); when it
reaches zero it presses the hidden `tryout-timeout` button, and the server decides.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.event import EventSpec

from nexus_app.formatting import format_datetime, format_decimal
from nexus_app.services import tasks, tryout
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.auth import AuthState
from nexus_app.state.events import Events, event
from nexus_app.state.off_loop import off_loop

LETTERS = ("A", "B", "C", "D", "E")
STATUS_LABEL = {"answered": "dijawab", "unanswered": "belum dijawab", "doubt": "ragu-ragu"}

# Installed once per tab: ticks twice a second, reads the deadline from the timer's data
# attributes (rewritten by every state update), and fires the timeout once per deadline.
TIMER_SCRIPT = """
(() => {
  if (window.__nexusTryoutTimer) return;
  const seen = {};
  const tick = () => {
    const el = document.getElementById("tryout-timer");
    if (!el) return;
    const deadline = Number(el.dataset.deadline || 0);
    const serverNow = Number(el.dataset.now || 0);
    if (!deadline || !serverNow) return;
    const key = deadline + ":" + serverNow;
    if (!(key in seen)) seen[key] = {at: Date.now(), fired: false};
    const left = Math.max(0, deadline - serverNow - (Date.now() - seen[key].at));
    const s = Math.ceil(left / 1000);
    const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
    const pad = (n) => String(n).padStart(2, "0");
    el.textContent = (hh ? hh + ":" : "") + pad(mm) + ":" + pad(ss);
    if (left <= 0 && !seen[key].fired) {
      seen[key].fired = true;
      const button = document.getElementById("tryout-timeout");
      if (button) button.click();
    }
  };
  tick();
  window.__nexusTryoutTimer = setInterval(tick, 500);
})();
"""


def _minutes(value: float) -> str:
    """5.2 -> "5,2", 195.0 -> "195" (minutes as a person reads them)."""
    return f"{value:g}".replace(".", ",")


def _clock(seconds: int) -> str:
    minutes, secs = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}:" if hours else "") + f"{minutes:02d}:{secs:02d}"


class TryoutState(AuthState):
    # "start" → "section" → "result"
    phase: rx.Field[str] = rx.field("start")
    error: rx.Field[str] = rx.field("")
    blueprints: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    blueprint_id: rx.Field[str] = rx.field("")

    sitting_id: rx.Field[str] = rx.field("")
    blueprint_name: rx.Field[str] = rx.field("")
    position: rx.Field[int] = rx.field(0)
    section_count: rx.Field[int] = rx.field(0)
    section_code: rx.Field[str] = rx.field("")
    section_name: rx.Field[str] = rx.field("")
    next_section_name: rx.Field[str] = rx.field("")
    deadline_ms: rx.Field[int] = rx.field(0)
    server_now_ms: rx.Field[int] = rx.field(0)
    time_left: rx.Field[str] = rx.field("")
    cells: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    number: rx.Field[int] = rx.field(0)
    item_text: rx.Field[str] = rx.field("")
    options: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    selected: rx.Field[str] = rx.field("")
    doubt: rx.Field[bool] = rx.field(False)
    confirm_open: rx.Field[bool] = rx.field(False)

    total: rx.Field[int] = rx.field(0)
    result_when: rx.Field[str] = rx.field("")
    result_sections: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    review: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    standing_shown: rx.Field[bool] = rx.field(False)
    standing_text: rx.Field[str] = rx.field("")
    standing_note: rx.Field[str] = rx.field("")
    standing_sections: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    result_sitting_id: rx.Field[str] = rx.field("")
    program_choices: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    program_id: rx.Field[str] = rx.field("")
    chances: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    @rx.var
    def section_label(self) -> str:
        return f"Subtes {self.position} dari {self.section_count}: {self.section_name}"

    # --- helpers ---------------------------------------------------------------------

    def _fail(self, exc: ServiceError) -> None:
        self.error = exc.message

    def _show_sitting(self, view: tryout.SittingView) -> None:
        moved = view.sitting_id != self.sitting_id or view.position != self.position
        self.sitting_id = view.sitting_id
        self.blueprint_name = view.blueprint_name
        self.position = view.position
        self.section_count = view.section_count
        self.section_code = view.section
        self.section_name = view.section_name
        self.next_section_name = view.next_section_name
        self.deadline_ms = int(view.deadline.timestamp() * 1000)
        self.server_now_ms = int(view.server_now.timestamp() * 1000)
        self.time_left = _clock(view.seconds_left)
        self.cells = [
            {
                "number": str(c.number),
                "status": c.status,
                "answer": "1" if c.status == "answered" else "0",
                "label": f"Soal {c.number}: {STATUS_LABEL[c.status]}",
            }
            for c in view.cells
        ]
        self.phase = "section"
        self.confirm_open = False
        if moved or not self.number:
            self.number = 1

    def _show_item(self, actor_number: int) -> None:
        actor = self._require_reused("siswa")
        item = tryout.show_item(
            actor=actor, sitting_id=self.sitting_id, position=self.position, number=actor_number
        )
        self.number = item.number
        self.item_text = item.text
        self.options = [[letter, text] for letter, text in item.options]
        self.selected = item.answer
        self.doubt = item.doubt

    def _refresh(self) -> None:
        """The server's view: the running section (time really left), or the result."""
        actor = self._require_reused("siswa")
        view = tryout.current_sitting(actor=actor)
        if view is None:
            self._show_result()
            return
        self._show_sitting(view)
        self._show_item(self.number)

    def _show_result(self) -> None:
        actor = self._require_reused("siswa")
        result = tryout.tryout_result(actor=actor)
        if result is None:
            self.phase = "start"
            return
        self.phase = "result"
        self.sitting_id = ""
        self.position = 0
        self.number = 0
        self.deadline_ms = 0
        self.total = result.total
        self.result_when = format_datetime(result.finished_at)
        self.blueprint_name = result.blueprint_name
        self.result_sections = [
            {
                "code": s.section,
                "name": s.name,
                "score": str(s.score),
                "range": f"{s.low}–{s.high}",
                "correct": f"{s.correct} dari {s.items}",
                "time": f"{_minutes(s.minutes_used)} dari {_minutes(s.minutes_allowed)} menit",
            }
            for s in result.sections
        ]
        self.review = [
            {
                "section": r.section,
                "number": str(r.number),
                "text": r.text,
                "options": "\n".join(f"{letter}. {text}" for letter, text in r.options),
                "key": r.key,
                "choice": r.choice or "-",
                "verdict": "Benar" if r.is_correct else ("Salah" if r.choice else "Kosong"),
                "explanation": r.explanation or "-",
            }
            for r in result.review
        ]
        self.result_sitting_id = result.sitting_id
        self.program_choices = [
            {"id": str(pid), "label": label} for pid, label in result.program_choices
        ]
        if self.program_id not in {c["id"] for c in self.program_choices}:
            self.program_id = str(result.default_program_id) if result.program_choices else ""
        self._load_chances()
        standing = result.standing
        self.standing_shown = standing.shown
        if standing.shown and standing.percentile is not None:
            self.standing_text = (
                f"Persentil {format_decimal(standing.percentile, 0)}: peringkat "
                f"{standing.rank} dari {standing.sitters} siswa sekolahmu"
            )
            self.standing_sections = [
                {
                    "code": code,
                    "text": f"{code}: persentil {format_decimal(p, 0)}, peringkat {rank}",
                }
                for code, (p, rank) in standing.sections.items()
            ]
            self.standing_note = ""
        else:
            self.standing_text = ""
            self.standing_sections = []
            self.standing_note = (
                f"Peringkat tampil setelah paling sedikit {tryout.MIN_SITTERS_FOR_STANDING} "
                f"siswa sekolahmu menyelesaikan tryout ini (sekarang {standing.sitters})."
            )

    def _load_chances(self) -> None:
        actor = self._require_reused("siswa")
        if not self.program_id or not self.result_sitting_id:
            self.chances = []
            return
        rows = tryout.tryout_chances(
            actor=actor, sitting_id=self.result_sitting_id, program_id=int(self.program_id)
        )
        self.chances = [
            {
                "label": f"{c.ptn} · {c.program}",
                "kind": "Tujuan" if i == 0 else "Alternatif",
                "cutoff": f"{c.cutoff}" + (" (data sekolah)" if c.cutoff_given else ""),
                "chance": f"{round(100 * c.chance)}%",
            }
            for i, c in enumerate(rows)
        ]

    # --- events ----------------------------------------------------------------------

    @event
    @off_loop
    def set_program(self, value: str) -> None:
        self._require_reused("siswa")
        if value in {c["id"] for c in self.program_choices}:
            self.program_id = value
            try:
                self._load_chances()
            except ServiceError as exc:
                self._fail(exc)

    @rx.event
    @off_loop
    def load(self) -> EventSpec:
        actor = self._require_reused("siswa")
        self.error = ""
        self.confirm_open = False
        self.blueprints = [
            {
                "id": str(b.id),
                "label": f"{b.name} ({b.total_items} soal, {_minutes(b.total_minutes)} menit)",
            }
            for b in tryout.list_blueprints()
        ]
        if self.blueprints and self.blueprint_id not in {b["id"] for b in self.blueprints}:
            self.blueprint_id = self.blueprints[0]["id"]
        try:
            view = tryout.current_sitting(actor=actor)
            if view is None:
                view = self._start_task(actor)
            if view is not None:
                self._show_sitting(view)
                self._show_item(self.number)
            else:
                self._show_result()
        except ServiceError as exc:
            self._fail(exc)
        return rx.call_script(TIMER_SCRIPT)

    def _start_task(self, actor: CurrentUser) -> tryout.SittingView | None:
        """/tryout?tugas=N (the dashboard's "Tugas" card): start the task's blueprint in
        one click. Nothing once the task is done, so reloading the link after the last
        section shows the result instead of starting another sitting."""
        raw = str(self.router.url.query_parameters.get("tugas", ""))
        if not raw.isdigit():
            return None
        blueprint_id = tasks.tryout_task_blueprint(actor=actor, task_id=int(raw))
        if blueprint_id is None:
            return None
        self.blueprint_id = str(blueprint_id)
        return tryout.start_tryout(actor=actor, blueprint_id=blueprint_id)

    @event
    @off_loop
    def set_blueprint(self, value: str) -> None:
        self._require_reused("siswa")
        self.blueprint_id = value

    @rx.event
    @off_loop
    def new_tryout(self) -> None:
        self._require_reused("siswa")
        self.phase = "start"
        self.error = ""

    @rx.event
    @off_loop
    def start(self) -> EventSpec:
        actor = self._require_reused("siswa")
        self.error = ""
        try:
            view = tryout.start_tryout(actor=actor, blueprint_id=int(self.blueprint_id or 0))
            self._show_sitting(view)
            self._show_item(self.number)
        except ServiceError as exc:
            self._fail(exc)
        return rx.call_script(TIMER_SCRIPT)

    def _go(self, number: int) -> None:
        if self.phase != "section" or not 1 <= number <= len(self.cells):
            return
        try:
            self._show_item(number)
            self.error = ""
        except ServiceError as exc:
            self._fail(exc)
            self._refresh()

    @event
    @off_loop
    def go(self, number: str) -> None:
        self._require_reused("siswa")
        self._go(int(number) if str(number).isdigit() else 0)

    @event
    @off_loop
    def next_item(self) -> None:
        self._require_reused("siswa")
        self._go(self.number + 1)

    @event
    @off_loop
    def prev_item(self) -> None:
        self._require_reused("siswa")
        self._go(self.number - 1)

    @event
    @off_loop
    def choose(self, letter: str) -> None:
        actor = self._require_reused("siswa")
        if self.phase != "section" or letter not in LETTERS:
            return
        # Tapping the chosen answer again clears it.
        answer = "" if letter == self.selected else letter
        try:
            view = tryout.answer_item(
                actor=actor,
                sitting_id=self.sitting_id,
                position=self.position,
                number=self.number,
                answer=answer,
            )
            self.selected = answer
            self.error = ""
            self._show_sitting(view)
        except ServiceError as exc:
            self._fail(exc)
            self._refresh()

    @rx.event
    @off_loop
    def toggle_doubt(self) -> None:
        actor = self._require_reused("siswa")
        if self.phase != "section":
            return
        try:
            view = tryout.mark_doubt(
                actor=actor,
                sitting_id=self.sitting_id,
                position=self.position,
                number=self.number,
                doubt=not self.doubt,
            )
            self.doubt = not self.doubt
            self.error = ""
            self._show_sitting(view)
        except ServiceError as exc:
            self._fail(exc)
            self._refresh()

    @rx.event
    @off_loop
    def ask_end_section(self) -> None:
        self._require_reused("siswa")
        self.confirm_open = self.phase == "section"

    @rx.event
    @off_loop
    def cancel_end_section(self) -> None:
        self._require_reused("siswa")
        self.confirm_open = False

    @rx.event
    @off_loop
    def confirm_end_section(self) -> None:
        actor = self._require_reused("siswa")
        if self.phase != "section" or not self.confirm_open:
            return
        self.confirm_open = False
        try:
            view = tryout.end_section(
                actor=actor, sitting_id=self.sitting_id, position=self.position
            )
            self.error = ""
            if view is None:
                self._show_result()
            else:
                self._show_sitting(view)
                self._show_item(1)
        except ServiceError as exc:
            self._fail(exc)
            self._refresh()

    @rx.event
    @off_loop
    def time_up(self) -> None:
        """The page's countdown reached zero: the server moves on if the deadline passed."""
        self._require_reused("siswa")
        if self.phase != "section":
            return
        try:
            self._refresh()
        except ServiceError as exc:
            self._fail(exc)

    @rx.event
    def on_key(self, key: str, _info: dict[str, Any]) -> Events:
        """Keyboard: A–E answer, arrows move between items."""
        if self.phase != "section" or self.confirm_open or not isinstance(key, str):
            return None
        upper = key.upper()
        if upper in LETTERS:
            return TryoutState.choose(upper)
        if key == "ArrowRight":
            return TryoutState.next_item
        if key == "ArrowLeft":
            return TryoutState.prev_item
        return None
