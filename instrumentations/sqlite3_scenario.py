"""sqlite3: parameterised queries on a file database, a new cursor for every query.

Operations alternate the two ways services use sqlite3, so each per-object cost of the
instrumentation is on the hot path: even operations open a connection per request
(Django's default, Flask's `get_db` per app context: `connect`, query, `close`), odd
ones take a new cursor from one long-lived connection (`cursor()`, query, `close()`).
No operation reuses a cursor: code rarely keeps one across requests, and a reused one
would hide the proxy the instrumentation builds around every cursor and connection.
Each query is one indexed SELECT with a bound parameter, fetched, on the event-loop
thread (sqlite3 connections belong to the thread that opened them). Expects one span
per operation (the instrumentation traces each cursor's `execute`; the
`Connection.execute` shortcut is not traced, so the scenario does not use it).
"""

from __future__ import annotations

import itertools
import os
import tempfile

from otelaudit import Scenario, Telemetry, Workload


ROWS = 200
QUERY = "SELECT id, name, email, score FROM users WHERE id = ?"


class SqliteWorkload(Workload):
    async def setup(self) -> None:
        import sqlite3

        self.directory = tempfile.TemporaryDirectory(prefix="otelaudit-sqlite3-")
        self.path = os.path.join(self.directory.name, "users.db")
        self.connection = sqlite3.connect(self.path)
        self.connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, score REAL)")
        self.connection.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            [(i, f"user{i}", f"user{i}@example.test", i * 1.5) for i in range(ROWS)],
        )
        self.connection.commit()
        self.counter = itertools.count()

    async def operation(self) -> None:
        import sqlite3

        n = next(self.counter)
        connection = sqlite3.connect(self.path) if n % 2 == 0 else self.connection  # per request, or long-lived
        try:
            cursor = connection.cursor()
            cursor.execute(QUERY, (n % ROWS,))
            if not cursor.fetchall():
                raise RuntimeError("query returned no rows")
            cursor.close()
        finally:
            if connection is not self.connection:
                connection.close()

    async def teardown(self) -> None:
        self.connection.close()
        self.directory.cleanup()


def _sqlite_version() -> str:
    import sqlite3

    return f"sqlite {sqlite3.sqlite_version}"


SCENARIO = Scenario(SqliteWorkload, expects=Telemetry(spans=1), library_version=_sqlite_version)
