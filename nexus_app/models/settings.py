"""School-wide settings an admin (or the operator at install) chooses once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from nexus_app.models.base import updated_at_field


class SchoolSetting(SQLModel, table=True):
    """One value per key (services/school_setup.py knows the keys)."""

    __tablename__ = "school_settings"

    key: str = Field(primary_key=True, max_length=50)
    value: str = Field(max_length=255)
    updated_at: datetime = updated_at_field()
