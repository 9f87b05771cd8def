"""State of /admin/backups: create, list, download, upload and restore (typed confirmation)."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx
from reflex_base.event import EventSpec

from nexus_app.formatting import EMPTY, format_int
from nexus_app.services import backup_admin
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import admin_event, admin_setter
from nexus_app.state.auth import AuthState


@dataclasses.dataclass
class BackupEntry:
    """One backup file in the list, as shown."""

    name: str
    created_at: str
    size: str
    database: str
    revision: str
    rows: str
    label: str


def _entry(row: backup_admin.BackupRow) -> BackupEntry:
    return BackupEntry(
        name=row.name,
        created_at=row.created_at,
        size=row.size,
        database=row.database,
        revision=row.revision,
        rows=format_int(row.rows) if row.rows else EMPTY,
        label=row.label or EMPTY,
    )


class AdminBackupsState(AuthState):
    backups: rx.Field[list[BackupEntry]] = rx.field(default_factory=list)
    label: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    message: rx.Field[str] = rx.field("")
    # The restore dialog: which backup, what it holds, and what the admin typed.
    restore_name: rx.Field[str] = rx.field("")
    restore_summary: rx.Field[str] = rx.field("")
    confirmation: rx.Field[str] = rx.field("")
    restore_open: rx.Field[bool] = rx.field(False)

    @rx.var
    def confirmation_matches(self) -> bool:
        return self.restore_name != "" and self.confirmation.strip() == self.restore_name

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        self.backups = [_entry(r) for r in backup_admin.list_backups(actor=actor)]

    set_label = admin_setter("label", str)

    set_confirmation = admin_setter("confirmation", str)

    @rx.event(background=True)
    async def create_now(self) -> None:
        async with self:
            actor = await self._require_async("admin")
            login_id = self._login_nonce
            if self.busy:
                return
            self.busy = True
            self.error = ""
            self.message = ""
            label = self.label
        try:
            # pg_dump or the SQLite copy can take a while: keep the server answering meanwhile.
            row = await asyncio.to_thread(backup_admin.create_backup, actor=actor, label=label)
        except ServiceError as exc:
            async with self:
                if self._same_login(login_id):
                    self.error = exc.message
                    self.busy = False
            return
        async with self:
            if not self._same_login(login_id):
                return  # logged out meanwhile: the backup exists, the tab is not told
            self.message = f"Cadangan {row.name} ({row.size}) berhasil dibuat."
            self.label = ""
            self.busy = False
            self.backups = [
                _entry(r) for r in await asyncio.to_thread(backup_admin.list_backups, actor=actor)
            ]

    @admin_event
    def download(self, actor: CurrentUser, name: str) -> EventSpec | None:
        try:
            url = backup_admin.download_url(actor=actor, name=name)
        except ServiceError as exc:
            self.error = exc.message
            return None
        return rx.download(url=url, filename=name)

    @admin_event
    async def upload(self, actor: CurrentUser, files: list[rx.UploadFile]) -> None:
        self.error = ""
        self.message = ""
        if not files:
            self.error = "Pilih berkas cadangan terlebih dahulu."
            return
        for file in files:
            try:
                # Copying and checking a large file must not block the server's event loop.
                row = await asyncio.to_thread(
                    backup_admin.save_upload,
                    actor=actor,
                    filename=file.name or "",
                    source=file.file,
                    declared_size=file.size,
                )
            except ServiceError as exc:
                self.error = exc.message
                return
            self.message = f"Cadangan {row.name} ({row.size}) diunggah dan diperiksa."
        self.backups = [
            _entry(r) for r in await asyncio.to_thread(backup_admin.list_backups, actor=actor)
        ]

    @admin_event(error="error")
    def ask_restore(self, actor: CurrentUser, name: str) -> None:
        self.error = ""
        self.message = ""
        row = backup_admin.inspect_backup(actor=actor, name=name)
        self.restore_name = row.name
        rows = f", {row.rows:,} baris".replace(",", ".") if row.rows else ""
        self.restore_summary = (
            f"Dibuat {row.created_at}, {row.database}, revisi skema {row.revision}{rows}."
        )
        self.confirmation = ""
        self.restore_open = True

    @admin_event
    def cancel_restore(self) -> None:
        self.restore_open = False
        self.restore_name = ""
        self.confirmation = ""

    @rx.event(background=True)
    async def restore(self) -> None:
        async with self:
            actor = await self._require_async("admin")
            login_id = self._login_nonce
            if self.busy:
                return
            name = self.restore_name
            typed = self.confirmation
            self.busy = True
            self.error = ""
        try:
            result = await asyncio.to_thread(
                backup_admin.restore_backup, actor=actor, name=name, typed_confirmation=typed
            )
        except ServiceError as exc:
            async with self:
                if self._same_login(login_id):
                    self.error = exc.message
                    self.busy = False
            return
        async with self:
            if not self._same_login(login_id):
                return  # logged out meanwhile: the restore is done, the tab is not told
            self.busy = False
            self.restore_open = False
            upgrade = (
                " Cadangan ini memakai skema lama: jalankan `nexus db upgrade`."
                if result.needs_upgrade
                else ""
            )
            self.message = (
                f"Basis data dipulihkan dari {name}. Keadaan sebelumnya disimpan sebagai "
                f"{result.safety_backup.name}.{upgrade} Semua pengguna, termasuk Anda, "
                "perlu masuk lagi."
            )
            self.backups = [
                _entry(r) for r in await asyncio.to_thread(backup_admin.list_backups, actor=actor)
            ]
