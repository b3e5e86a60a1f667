"""web workspace: agents' accounts, the key that signs their sessions, an index for the inbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

- accounts: one row per person who signs in to the web workspace (`kefu agents add`):
  name, role (agent | admin), the argon2 hash of the password, the interface language,
  whether the account is disabled, and `session_epoch`, bumped by a password reset or
  disabling so every session signed before stops working.
- web_keys: the random key that signs session cookies (one row), so sessions survive a
  restart and every worker signs alike; `KEFU_WEB_SECRET` overrides it.
- conversations.updated_at is indexed: the inbox lists "all" by it and the live updates
  watch its maximum.
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('session_epoch', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', name='uq_account_name'),
    )
    op.create_table(
        'web_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_conversations_updated', 'conversations', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_conversations_updated', table_name='conversations')
    op.drop_table('web_keys')
    op.drop_table('accounts')
