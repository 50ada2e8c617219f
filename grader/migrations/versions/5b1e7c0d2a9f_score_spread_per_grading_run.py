"""score spread per grading run

Revision ID: 5b1e7c0d2a9f
Revises: 8eeb1f8cc2d4
Create Date: 2026-12-07 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e7c0d2a9f'
down_revision = '8eeb1f8cc2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grading_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score_spread', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('grading_runs', schema=None) as batch_op:
        batch_op.drop_column('score_spread')
