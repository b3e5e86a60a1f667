"""indexes for the agent desk: conversations by desk_ref and by state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_desk_ref', ['desk_ref'], unique=False)
        batch_op.create_index('ix_conversations_state', ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_state')
        batch_op.drop_index('ix_conversations_desk_ref')
