"""search: the queue of index changes

Revision ID: 4e1f0c2a9b11
Revises: 35ffc1239b93
Create Date: 2026-12-03 15:20:00

"""
from alembic import op
import sqlalchemy as sa
import app.core.types


# revision identifiers, used by Alembic.
revision = '4e1f0c2a9b11'
down_revision = '35ffc1239b93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', app.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', app.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_changes'))
    )
    op.create_index('ix_search_changes_pending', 'search_changes', ['applied_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_search_changes_pending', table_name='search_changes')
    op.drop_table('search_changes')
