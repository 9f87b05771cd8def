"""tasks: a tryout as a task (tasks.blueprint_id, task_students.tryout_score) and tasks given
to a whole class (tasks.whole_class: later joiners of the class become recipients)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_NAME = "fk_tasks_blueprint_id_tryout_blueprints"


def upgrade() -> None:
    # Plain ADD COLUMNs, not a batch copy: on SQLite copying `tasks` would drop and recreate
    # it, and dropping it with foreign keys on cascades into task_students and task_answers.
    # SQLite takes the foreign key inline in ADD COLUMN (alembic cannot add it afterwards);
    # without ON DELETE, which SQLAlchemy cannot reflect from an inline REFERENCES.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE tasks ADD COLUMN blueprint_id INTEGER CONSTRAINT {FK_NAME} "
            "REFERENCES tryout_blueprints (id)"
        )
    else:
        op.add_column("tasks", sa.Column("blueprint_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f(FK_NAME),
            "tasks",
            "tryout_blueprints",
            ["blueprint_id"],
            ["id"],
        )
    # Tasks given before this column cannot tell a whole class from a group that happened
    # to be everyone: they stay fixed, as they were.
    op.add_column(
        "tasks",
        sa.Column("whole_class", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("task_students", sa.Column("tryout_score", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task_students") as batch:
        batch.drop_column("tryout_score")
    if op.get_bind().dialect.name == "sqlite":
        # DROP COLUMN in place (SQLite 3.35+): a batch copy would cascade as said above.
        op.execute("ALTER TABLE tasks DROP COLUMN whole_class")
        op.execute("ALTER TABLE tasks DROP COLUMN blueprint_id")
    else:
        op.drop_column("tasks", "whole_class")
        op.drop_constraint(op.f(FK_NAME), "tasks", type_="foreignkey")
        op.drop_column("tasks", "blueprint_id")
