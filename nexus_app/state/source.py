"""State of /sumber: the cited page or section of a book, with the passage marked."""

from __future__ import annotations

import dataclasses

import reflex as rx

from nexus_app.services.books import source_view
from nexus_app.services.errors import ServiceError
from nexus_app.state.auth import AuthState
from nexus_app.state.off_loop import off_loop

ROUTE = source_view.ROUTE
ROLES = source_view.READER_ROLES


@dataclasses.dataclass
class SegmentRow:
    text: str
    marked: bool


class SourceState(AuthState):
    title: rx.Field[str] = rx.field("")
    subject: rx.Field[str] = rx.field("")
    version: rx.Field[str] = rx.field("")
    kind: rx.Field[str] = rx.field("")
    where: rx.Field[str] = rx.field("")
    heading: rx.Field[str] = rx.field("")
    segments: rx.Field[list[SegmentRow]] = rx.field(default_factory=list)
    marked: rx.Field[bool] = rx.field(False)
    prev_link: rx.Field[str] = rx.field("")
    next_link: rx.Field[str] = rx.field("")
    cited_link: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    image_link: rx.Field[str] = rx.field("")  # the PDF page as a picture (signed, 1 hour)
    error: rx.Field[str] = rx.field("")
    # A stale citation: the same place in the book's current version, when there is one.
    current_link: rx.Field[str] = rx.field("")
    loaded: rx.Field[bool] = rx.field(False)

    def _clear(self) -> None:
        self.title = self.subject = self.version = self.kind = self.where = ""
        self.heading = self.notice = self.error = self.current_link = self.image_link = ""
        self.prev_link = self.next_link = self.cited_link = ""
        self.segments = []
        self.marked = False

    @rx.event
    @off_loop
    def load(self) -> None:
        actor = self._require_reused(*ROLES)
        self._clear()
        params = {str(k): str(v) for k, v in self.router.url.query_parameters.items()}
        try:
            view = source_view.open_source(actor=actor, params=params)
        except source_view.StaleSource as exc:
            self.error, self.current_link = exc.message, exc.current_link
        except ServiceError as exc:
            self.error = exc.message
        else:
            self.title, self.subject, self.version = view.title, view.subject, view.version
            self.kind, self.where, self.heading = view.kind, view.where, view.heading
            self.segments = [SegmentRow(s.text, s.marked) for s in view.segments]
            self.marked = view.marked
            self.prev_link, self.next_link = view.prev_link, view.next_link
            self.cited_link, self.notice = view.cited_link, view.notice
            self.image_link = view.image_link
        self.loaded = True
