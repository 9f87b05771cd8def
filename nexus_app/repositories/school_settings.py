"""The school's key/value settings (models/settings.py)."""

from __future__ import annotations

from sqlmodel import Session

from nexus_app.models import SchoolSetting, utcnow


def get_setting(*, session: Session, key: str) -> str | None:
    row = session.get(SchoolSetting, key)
    return row.value if row is not None else None


def set_setting(*, session: Session, key: str, value: str) -> None:
    row = session.get(SchoolSetting, key) or SchoolSetting(key=key, value=value)
    row.value = value
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
