"""search: the PostgreSQL full-text tables (search_documents, search_words), on PostgreSQL only

Revision ID: 7c3d9e5a1f20
Revises: 4c5c12c9408f
Create Date: 2026-12-03 15:45:00

SEARCH_BACKEND=postgres keeps the index in these tables (app/search/backends/postgres.py). They
exist only on PostgreSQL and stay outside the models' metadata; on SQLite this revision does
nothing. pg_trgm ("did you mean") is created when the server offers it and the role may create
it (a trusted extension since PostgreSQL 13); without it the backend makes no suggestions.
The table is left unmarked: the first search, or `flask search rebuild`, fills it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3d9e5a1f20'
down_revision = '4c5c12c9408f'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')")).scalar()
    trigram = False
    if available:
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            savepoint.commit()
            trigram = True
        except sa.exc.DBAPIError:
            savepoint.rollback()
    op.execute("""CREATE TABLE search_documents (
    doc_id varchar(64) NOT NULL,
    type varchar(20) NOT NULL,
    object_id integer NOT NULL,
    challenge_id integer NOT NULL,
    language varchar(5) NOT NULL,
    config regconfig NOT NULL,
    title text NOT NULL,
    summary text NOT NULL,
    url text NOT NULL,
    organisation varchar(120) NOT NULL,
    organisation_name text NOT NULL,
    country varchar(10) NOT NULL,
    year integer NOT NULL,
    date timestamp with time zone,
    state varchar(20) NOT NULL,
    challenge_title text NOT NULL,
    tags text[] NOT NULL,
    tag_names text[] NOT NULL,
    sdgs integer[] NOT NULL,
    prize_minor bigint NOT NULL,
    currency varchar(3) NOT NULL,
    winner boolean NOT NULL,
    imported boolean NOT NULL,
    tsv tsvector NOT NULL,
    tsv_head tsvector NOT NULL
)""")
    op.execute("ALTER TABLE search_documents ADD CONSTRAINT pk_search_documents PRIMARY KEY (doc_id)")
    op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")
    op.execute("CREATE INDEX ix_search_documents_date ON search_documents (date)")
    op.execute("CREATE INDEX ix_search_documents_challenge_id ON search_documents (challenge_id)")
    op.execute("CREATE TABLE search_words (word varchar(40) NOT NULL, "
               "CONSTRAINT pk_search_words PRIMARY KEY (word))")
    if trigram:
        op.execute("CREATE INDEX ix_search_words_trgm ON search_words USING gin (word gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS search_words")
    op.execute("DROP TABLE IF EXISTS search_documents")
