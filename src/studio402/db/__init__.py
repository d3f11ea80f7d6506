"""Database: one async engine, SQLAlchemy Core tables, Alembic migrations."""
