"""subscription tiers with daily limits; Midtrans status, channel and paid time on payments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 06:20:30.276885
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import nexus_app.models.base
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The starting terms (services/billing.py DEFAULT_TIERS holds the same values): NULL limit
# = unlimited, 0 = not included; admins change them on /admin/subscriptions.
# (tier, display_name, practice/day, AI feedback/day, tutor questions/day, price IDR, days)
TIERS = [
    ("free", "Gratis", 40, 10, 20, None, None),
    ("premium", "Premium", 200, 50, 100, 49_000, 30),
    ("premium_plus", "Premium Plus", None, None, None, 99_000, 30),
]
COLUMNS = (
    "tier",
    "display_name",
    "practice_questions_per_day",
    "ai_feedback_per_day",
    "tutor_questions_per_day",
    "price_idr",
    "duration_days",
)


def upgrade() -> None:
    op.create_table(
        "subscription_tiers",
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("practice_questions_per_day", sa.Integer(), nullable=True),
        sa.Column("ai_feedback_per_day", sa.Integer(), nullable=True),
        sa.Column("tutor_questions_per_day", sa.Integer(), nullable=True),
        sa.Column("price_idr", sa.BigInteger(), nullable=True),
        sa.Column("duration_days", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            nexus_app.models.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            nexus_app.models.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "tier = 'free' OR (price_idr IS NOT NULL AND duration_days IS NOT NULL)",
            name=op.f("ck_subscription_tiers_paid_terms"),
        ),
        sa.CheckConstraint(
            "tier IN ('free', 'premium', 'premium_plus')", name=op.f("ck_subscription_tiers_tier")
        ),
        sa.CheckConstraint(
            "ai_feedback_per_day IS NULL OR ai_feedback_per_day >= 0",
            name=op.f("ck_subscription_tiers_ai_feedback_per_day"),
        ),
        sa.CheckConstraint(
            "duration_days IS NULL OR duration_days > 0",
            name=op.f("ck_subscription_tiers_duration_days"),
        ),
        sa.CheckConstraint(
            "practice_questions_per_day IS NULL OR practice_questions_per_day >= 0",
            name=op.f("ck_subscription_tiers_practice_questions_per_day"),
        ),
        sa.CheckConstraint(
            "price_idr IS NULL OR price_idr > 0", name=op.f("ck_subscription_tiers_price_idr")
        ),
        sa.CheckConstraint(
            "tutor_questions_per_day IS NULL OR tutor_questions_per_day >= 0",
            name=op.f("ck_subscription_tiers_tutor_questions_per_day"),
        ),
        sa.PrimaryKeyConstraint("tier", name=op.f("pk_subscription_tiers")),
    )
    tiers = sa.table(
        "subscription_tiers",
        sa.column("tier", sa.String),
        sa.column("display_name", sa.String),
        sa.column("practice_questions_per_day", sa.Integer),
        sa.column("ai_feedback_per_day", sa.Integer),
        sa.column("tutor_questions_per_day", sa.Integer),
        sa.column("price_idr", sa.BigInteger),
        sa.column("duration_days", sa.Integer),
    )
    op.bulk_insert(tiers, [dict(zip(COLUMNS, row, strict=True)) for row in TIERS])
    _create_updated_at_trigger()

    # Adding nullable columns is a plain ALTER TABLE on SQLite too (no table copy).
    with op.batch_alter_table("payment_subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("midtrans_status", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True)
        )
        batch_op.add_column(
            sa.Column("payment_type", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True)
        )
        batch_op.add_column(
            sa.Column("paid_at", nexus_app.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("paid_at")
        batch_op.drop_column("payment_type")
        batch_op.drop_column("midtrans_status")
    if op.get_bind().dialect.name == "sqlite":
        # Dropping columns copies the table on SQLite, which loses its trigger: put it back.
        op.execute("DROP TRIGGER IF EXISTS trg_payment_subscriptions_updated_at")
        op.execute(
            "CREATE TRIGGER trg_payment_subscriptions_updated_at AFTER UPDATE ON "
            "payment_subscriptions FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at BEGIN "
            "UPDATE payment_subscriptions SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') "
            "WHERE id = NEW.id; END"
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(
        "DROP TRIGGER IF EXISTS trg_subscription_tiers_updated_at"
        + (" ON subscription_tiers" if postgres else "")
    )
    op.drop_table("subscription_tiers")


def _create_updated_at_trigger() -> None:
    """updated_at kept current on raw-SQL updates too, as migration 0001 does for its tables."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER trg_subscription_tiers_updated_at BEFORE UPDATE ON subscription_tiers "
            "FOR EACH ROW EXECUTE FUNCTION nexus_touch_updated_at()"
        )
        return
    op.execute(
        "CREATE TRIGGER trg_subscription_tiers_updated_at AFTER UPDATE ON subscription_tiers "
        "FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at BEGIN "
        "UPDATE subscription_tiers SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') "
        "WHERE tier = NEW.tier; END"
    )
