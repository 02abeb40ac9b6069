"""The analysts' read path: a confined DuckDB session over the enforcement warehouse.

The database file holds only views over published Parquet files, so a session needs to read those files and
nothing else. A confined session opens the file read-only, allows file access under ``published/`` (and the
what-if ``scenarios/``) only, turns
external access and extension install/auto-load off, then locks its configuration so no statement can undo
that. On top, only read statements (SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN of a select) run: COPY, ATTACH,
SET, INSTALL, LOAD, EXPORT, CREATE and every other statement type are refused before DuckDB sees them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

READ_STATEMENTS = {duckdb.StatementType.SELECT}


class QueryRefused(PermissionError):
    """A statement the read-only analyst path does not run."""


def open_confined(db_path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only session on the analysts' file that can read the warehouse's published files and nothing else."""
    db_path = Path(db_path).resolve()
    published = db_path.parent / "published"
    con = duckdb.connect(
        str(db_path),
        read_only=True,
        config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"},
    )
    try:
        # allowed_directories can only be set before external access is turned off, and nothing after the lock.
        # Views name files relative to the warehouse folder, so a copied or moved folder still answers.
        con.execute("set file_search_path = $folder", {"folder": str(db_path.parent)})
        # Views name their files relative to the folder, so the relative forms are allowed too ('..' stays refused).
        readable = [f"{published}/", f"{db_path.parent / 'scenarios'}/", "published/", "scenarios/"]
        con.execute("set allowed_directories = $dirs", {"dirs": readable})
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except Exception:
        con.close()
        raise
    return con


def check_statements(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one read statement, naming the statement type refused."""
    statements = con.extract_statements(sql)
    if len(statements) != 1:
        raise QueryRefused(f"refused: give exactly one SQL statement ({len(statements)} given)")
    for st in statements:
        if st.type == duckdb.StatementType.EXPLAIN and _explains_a_select(con, st.query):
            continue
        if st.type not in READ_STATEMENTS:
            kind = str(st.type).rsplit(".", 1)[-1]
            raise QueryRefused(
                f"refused: {kind} statements are not allowed on the read-only analyst path "
                "(only select, describe, show, summarize and explain select)"
            )


def _explains_a_select(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    words = text.strip().split(None, 2)
    inner = words[2] if len(words) > 2 and words[1].lower() == "analyze" else text.strip().split(None, 1)[-1]
    try:
        return all(s.type in READ_STATEMENTS for s in con.extract_statements(inner))
    except duckdb.Error:
        return False


def run_query(db_path: Path | str, sql: str):
    """Run analyst SQL in a confined session; returns the last statement's result as a Polars frame."""
    con = open_confined(db_path)
    try:
        check_statements(con, sql)
        return con.sql(sql).pl()
    finally:
        con.close()
