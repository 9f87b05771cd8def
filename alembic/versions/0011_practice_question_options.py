"""practice_questions.options_json: multiple-choice options of a school practice question

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: an open question (the student compares with the model answer and marks
    # themselves); a JSON list of option texts: multiple choice, `answer` is the letter.
    with op.batch_alter_table("practice_questions") as batch:
        batch.add_column(sa.Column("options_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("practice_questions") as batch:
        batch.drop_column("options_json")
