"""customs: the parcel's destination, remembered per conversation and imported with orders

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

- conversations.destination: the country the buyer's parcel goes to, once known (customs answers).
- conversations.destination_asked_at: when the bot asked "which country?" (it asks once).
- orders.ship_country: the shipping address's country, from `kefu orders import`.
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('conversations', sa.Column('destination', sa.String(length=2), nullable=True))
    op.add_column('conversations', sa.Column('destination_asked_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('orders', sa.Column('ship_country', sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('ship_country')
    with op.batch_alter_table('conversations') as batch:
        batch.drop_column('destination_asked_at')
        batch.drop_column('destination')
