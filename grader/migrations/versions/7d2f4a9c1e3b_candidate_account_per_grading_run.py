"""candidate account per grading run

Revision ID: 7d2f4a9c1e3b
Revises: 5b1e7c0d2a9f
Create Date: 2026-12-07 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2f4a9c1e3b'
down_revision = '5b1e7c0d2a9f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grading_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('candidate_account', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('grading_runs', schema=None) as batch_op:
        batch_op.drop_column('candidate_account')
