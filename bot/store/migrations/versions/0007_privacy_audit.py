"""privacy audit: what `kefu forget` and retention erased, without the personal data

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

- privacy_audit: one row per erasure (a buyer forgotten, a retention run): who ran it, when,
  how many rows of each kind, and for a buyer only a salted hash of the id.
- privacy_salt: the database's own random salt for those hashes (one row), so the same buyer
  hashes the same each time and nobody can look a hash up in a precomputed table.
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'privacy_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('ran_by', sa.String(length=255), nullable=False),
        sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('subject_hash', sa.String(length=64), nullable=True),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'privacy_salt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('salt', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('privacy_salt')
    op.drop_table('privacy_audit')
