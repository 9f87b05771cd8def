"""exposure counts for adaptive item selection (item_exposure, section_exposure)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:02:23.762383
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Both start empty: a missing row reads as zero, so existing answers are not back-filled
    # (the cap then applies to sessions from now on, which is what the rate should describe).
    op.create_table(
        "section_exposure",
        sa.Column("section", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("examinee_count", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("examinee_count >= 0", name=op.f("ck_section_exposure_examinee_count")),
        sa.ForeignKeyConstraint(
            ["section"],
            ["utbk_sections.code"],
            name=op.f("fk_section_exposure_section_utbk_sections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("section", name=op.f("pk_section_exposure")),
    )
    op.create_table(
        "item_exposure",
        sa.Column("question_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("administered_count", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "administered_count >= 0", name=op.f("ck_item_exposure_administered_count")
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_item_exposure_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_item_exposure")),
    )


def downgrade() -> None:
    op.drop_table("item_exposure")
    op.drop_table("section_exposure")
