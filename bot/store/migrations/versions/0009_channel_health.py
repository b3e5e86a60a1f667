"""channel health: what the settings page shows of each running channel

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

- channel_health: one row per channel, written every few seconds by the processes that
  serve it: when it last reported (running or not), the last message received, the last
  outbox row delivered, the last failure and when. Pending outbox rows are counted from
  the messages themselves.
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'channel_health',
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_received_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('channel'),
    )


def downgrade() -> None:
    op.drop_table('channel_health')
