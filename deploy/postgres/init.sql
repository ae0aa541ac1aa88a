-- Run once, when the PostgreSQL volume is first initialised.
-- mlgov asks for statement_timeout in its connection's startup options;
-- PgBouncer in transaction mode ignores that parameter (pgbouncer.ini), so
-- the same bound (DATABASE_STATEMENT_TIMEOUT_MS, 20 s) is the database's.
ALTER DATABASE mlgov SET statement_timeout = '20s';
