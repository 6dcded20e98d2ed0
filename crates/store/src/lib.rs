//! Ward's store: SQLite by default, PostgreSQL for scale, one schema and one code path.
