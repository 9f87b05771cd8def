"""Every upload handler, who may call it and how large its request may be: one registry.

Reflex's `POST /_upload` parses (and spools to disk) the whole multipart body before the
handler's own role check runs, so the HTTP layer checks this registry first
(nexus_app/http/upload_guard.py): a handler not listed here is refused, a caller without a
live session of the listed role is refused, and a body over the limit is cut off. The
handlers keep their own session check too.

The browser proves who it is with the login token in the `X-Nexus-Token` header, read from
localStorage (`nexus_token`) at the moment of the upload: see `upload_headers()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import reflex as rx
from reflex_base.event import EventHandler

from nexus_app.services import backup_admin, bank_import, school_practice
from nexus_app.state.admin.backups import AdminBackupsState
from nexus_app.state.admin.banks import AdminBanksState
from nexus_app.state.admin.books import MAX_BOOK_BYTES, MAX_PACKAGE_BYTES, AdminBooksState
from nexus_app.state.admin.practice_questions import AdminPracticeQuestionsState
from nexus_app.state.admin.users import MAX_IMPORT_BYTES, AdminUsersState

TOKEN_HEADER = "X-Nexus-Token"
# Where AuthState keeps the raw login token in the browser (rx.LocalStorage name).
TOKEN_STORAGE_KEY = "nexus_token"
# Multipart framing, the file name and the handler's bound arguments ride on top of the file.
MULTIPART_MARGIN_BYTES = 1024 * 1024


@dataclass(frozen=True)
class UploadRule:
    roles: tuple[str, ...]
    max_bytes: int  # the whole request body: largest allowed file + the margin


def handler_name(handler: object) -> str:
    """The name the browser sends in `reflex-event-handler` for this handler (read off its
    state class, where Reflex turns it into an EventHandler; mypy sees the decorated method)."""
    if not isinstance(handler, EventHandler):
        raise TypeError(f"not an event handler: {handler!r}")
    return f"{handler.state_full_name}.{handler.fn.__name__}"


def _rule(file_limit: int, *roles: str) -> UploadRule:
    return UploadRule(roles=roles, max_bytes=file_limit + MULTIPART_MARGIN_BYTES)


UPLOAD_RULES: dict[str, UploadRule] = {
    handler_name(AdminBooksState.upload_book): _rule(MAX_BOOK_BYTES, "admin"),
    handler_name(AdminBooksState.import_package): _rule(MAX_PACKAGE_BYTES, "admin"),
    handler_name(AdminBanksState.import_file): _rule(bank_import.MAX_FILE_BYTES, "admin"),
    handler_name(AdminUsersState.import_csv): _rule(MAX_IMPORT_BYTES, "admin"),
    handler_name(AdminBackupsState.upload): _rule(backup_admin.MAX_UPLOAD_BYTES, "admin"),
    handler_name(AdminPracticeQuestionsState.import_file): _rule(
        school_practice.MAX_FILE_BYTES, "admin", "guru"
    ),
}


def upload_headers() -> dict[str, str]:
    """`extra_headers` for rx.upload_files: the login token as the browser holds it now.

    Read from localStorage at click time (a JS expression, not a state var), so the token
    need not live in server-side state for this.
    """
    token: rx.Var[str] = rx.Var(
        _js_expr=f"(globalThis.localStorage?.getItem({TOKEN_STORAGE_KEY!r}) ?? '')",
        _var_type=str,
    )
    # FileUpload types `extra_headers` as strings but renders each value as JavaScript, so
    # the Var goes out as the expression it stands for.
    return {TOKEN_HEADER: cast(str, token)}
