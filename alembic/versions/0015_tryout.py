"""tryout blueprints and sittings, PTN programmes: the full timed UTBK simulation (issue 11)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from nexus_app.models.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.Column[object]:
    return sa.Column(
        "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "tryout_blueprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tryout_blueprints")),
        sa.UniqueConstraint("name", name=op.f("uq_tryout_blueprints_name")),
    )
    op.create_table(
        "tryout_blueprint_sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blueprint_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=10), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.CheckConstraint("position > 0", name=op.f("ck_tryout_blueprint_sections_position")),
        sa.CheckConstraint("item_count > 0", name=op.f("ck_tryout_blueprint_sections_item_count")),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_tryout_blueprint_sections_minutes")),
        sa.ForeignKeyConstraint(
            ["blueprint_id"],
            ["tryout_blueprints.id"],
            name=op.f("fk_tryout_blueprint_sections_blueprint_id_tryout_blueprints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section"],
            ["utbk_sections.code"],
            name=op.f("fk_tryout_blueprint_sections_section_utbk_sections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tryout_blueprint_sections")),
        sa.UniqueConstraint(
            "blueprint_id",
            "position",
            name=op.f("uq_tryout_blueprint_sections_blueprint_id_position"),
        ),
        sa.UniqueConstraint(
            "blueprint_id",
            "section",
            name=op.f("uq_tryout_blueprint_sections_blueprint_id_section"),
        ),
    )
    op.create_table(
        "tryout_sittings",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("blueprint_id", sa.Integer(), nullable=False),
        sa.Column("current_position", sa.Integer(), nullable=False),
        sa.Column(
            "started_at",
            UTCDateTime(),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("total_score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_tryout_sittings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blueprint_id"],
            ["tryout_blueprints.id"],
            name=op.f("fk_tryout_sittings_blueprint_id_tryout_blueprints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tryout_sittings")),
    )
    op.create_index("idx_tryout_sittings_user_id", "tryout_sittings", ["user_id"])
    op.create_index(
        "idx_tryout_sittings_blueprint_finished",
        "tryout_sittings",
        ["blueprint_id", "finished_at"],
    )
    op.create_table(
        "tryout_sitting_sections",
        sa.Column("sitting_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=10), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("deadline", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("theta", sa.Float(), nullable=True),
        sa.Column("se", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.CheckConstraint("item_count > 0", name=op.f("ck_tryout_sitting_sections_item_count")),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_tryout_sitting_sections_minutes")),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["tryout_sittings.id"],
            name=op.f("fk_tryout_sitting_sections_sitting_id_tryout_sittings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section"],
            ["utbk_sections.code"],
            name=op.f("fk_tryout_sitting_sections_section_utbk_sections"),
        ),
        sa.PrimaryKeyConstraint("sitting_id", "position", name=op.f("pk_tryout_sitting_sections")),
    )
    op.create_table(
        "tryout_items",
        sa.Column("sitting_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.CHAR(length=1), nullable=True),
        sa.Column("doubt", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('A', 'B', 'C', 'D', 'E')",
            name=op.f("ck_tryout_items_answer"),
        ),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["tryout_sittings.id"],
            name=op.f("fk_tryout_items_sitting_id_tryout_sittings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name=op.f("fk_tryout_items_question_id_questions")
        ),
        sa.PrimaryKeyConstraint("sitting_id", "position", "number", name=op.f("pk_tryout_items")),
        sa.UniqueConstraint(
            "sitting_id", "question_id", name=op.f("uq_tryout_items_sitting_id_question_id")
        ),
    )
    op.create_index("idx_tryout_items_question_id", "tryout_items", ["question_id"])
    op.create_table(
        "ptn_programs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ptn", sa.String(length=100), nullable=False),
        sa.Column("program", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("applicants", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.Float(), nullable=True),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_ptn_programs_capacity")),
        sa.CheckConstraint("applicants > 0", name=op.f("ck_ptn_programs_applicants")),
        sa.CheckConstraint(
            "cutoff IS NULL OR (cutoff >= 200 AND cutoff <= 900)",
            name=op.f("ck_ptn_programs_cutoff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ptn_programs")),
        sa.UniqueConstraint(
            "ptn", "program", "year", name=op.f("uq_ptn_programs_ptn_program_year")
        ),
    )


def downgrade() -> None:
    op.drop_table("ptn_programs")
    op.drop_index("idx_tryout_items_question_id", table_name="tryout_items")
    op.drop_table("tryout_items")
    op.drop_table("tryout_sitting_sections")
    op.drop_index("idx_tryout_sittings_blueprint_finished", table_name="tryout_sittings")
    op.drop_index("idx_tryout_sittings_user_id", table_name="tryout_sittings")
    op.drop_table("tryout_sittings")
    op.drop_table("tryout_blueprint_sections")
    op.drop_table("tryout_blueprints")
