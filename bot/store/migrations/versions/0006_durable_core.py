"""durable core: conversation versions for conditional transitions, the outbox on outgoing messages

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

- conversations.version: every transition is `UPDATE … WHERE version = :read`, so a
  transition that lost a race fails visibly instead of overwriting.
- conversations.agent_seen_at: the agent's last action (idle release measures this, not the
  buyer's messages); unreachable_at: the channel said the buyer cannot be reached.
- messages: an outgoing row is also its outbox entry (delivery, attempts, due_at, lease_until,
  parts_sent, delivery_error, sent_at); reply_to is unique: at most one answer per message.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

PENDING = "delivery IN ('pending', 'sending')"


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('agent_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delivery', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('parts_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivery_error', sa.Text(), nullable=True))
        batch_op.create_unique_constraint('uq_messages_reply_to', ['reply_to'])
    # Messages already answered before this revision count as delivered.
    op.execute("UPDATE messages SET delivery = 'sent' WHERE direction IN ('out', 'agent')")
    op.create_index(
        'ix_messages_outbox', 'messages', ['due_at'],
        sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING),
    )
    op.create_index(
        'ix_messages_inbox', 'messages', ['conversation_id', 'id'],
        sqlite_where=sa.text("status = 'received'"), postgresql_where=sa.text("status = 'received'"),
    )


def downgrade() -> None:
    op.drop_index('ix_messages_inbox', table_name='messages')
    op.drop_index('ix_messages_outbox', table_name='messages')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_messages_reply_to', type_='unique')
        for column in ('delivery_error', 'sent_at', 'lease_until', 'due_at', 'parts_sent', 'attempts', 'delivery', 'reply_to'):
            batch_op.drop_column(column)
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        for column in ('unreachable_at', 'agent_seen_at', 'version'):
            batch_op.drop_column(column)
