"""State of /admin/tryout: tryout blueprints (admin only; every handler re-checks the role).

The admin edits a blueprint as the CSV the CLI imports (order,section,items,minutes), so the
page and `nexus blueprint import` share one validation and one set of messages.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from nexus_app.services import tryout
from nexus_app.services.auth import CurrentUser
from nexus_app.state.admin.base import admin_event, admin_setter
from nexus_app.state.auth import AuthState

NEW_TEMPLATE = "order,section,items,minutes\n1,PU,30,30\n"


@dataclasses.dataclass
class BlueprintRow:
    name: str
    summary: str
    sections: str


class AdminTryoutState(AuthState):
    blueprints: rx.Field[list[BlueprintRow]] = rx.field(default_factory=list)
    form_name: rx.Field[str] = rx.field("")
    form_csv: rx.Field[str] = rx.field(NEW_TEMPLATE)
    row_errors: rx.Field[list[str]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    message: rx.Field[str] = rx.field("")
    _csv_by_name: dict[str, str] = {}

    set_form_name = admin_setter("form_name")
    set_form_csv = admin_setter("form_csv")

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        self._reload(actor)

    def _reload(self, actor: CurrentUser) -> None:
        views = tryout.admin_list_blueprints(actor=actor)
        self._csv_by_name = {b.name: tryout.blueprint_csv(b) for b in views}
        self.blueprints = [
            BlueprintRow(
                name=b.name,
                summary=f"{b.total_items} soal, {b.total_minutes:g} menit".replace(".", ","),
                sections=" → ".join(
                    f"{s.section} {s.items} soal/{s.minutes:g} mnt".replace(".", ",")
                    for s in b.sections
                ),
            )
            for b in views
        ]

    @admin_event
    def edit(self, actor: CurrentUser, name: str) -> None:
        self._reload(actor)
        if name in self._csv_by_name:
            self.form_name = name
            self.form_csv = self._csv_by_name[name]
            self.row_errors = []
            self.error = self.message = ""

    @admin_event
    def new_blueprint(self) -> None:
        self.form_name = ""
        self.form_csv = NEW_TEMPLATE
        self.row_errors = []
        self.error = self.message = ""

    @admin_event(error="error")
    def save(self, actor: CurrentUser) -> None:
        self.error = self.message = ""
        self.row_errors = []
        report = tryout.admin_save_blueprint(
            actor=actor, name=self.form_name, csv_text=self.form_csv
        )
        if report.errors:
            self.row_errors = [str(e) for e in report.errors]
            self.error = f"{len(report.errors)} baris tidak valid; tidak ada yang disimpan."
            return
        self.message = f"Cetak biru '{report.name}' disimpan ({report.sections} subtes)."
        self._reload(actor)
