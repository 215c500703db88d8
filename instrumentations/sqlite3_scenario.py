"""sqlite3: parameterised queries on a file database, a new cursor for every query and a
connection per request.

Operations do what a service's requests do with sqlite3: a request opens its own
connection (Django's default, `CONN_MAX_AGE = 0`; Flask's `get_db` per app context),
runs four queries on it, each on a new cursor (`cursor()`, query, `close()`), and closes
it: every fourth operation closes the previous request's connection and opens the
next. No operation reuses a cursor, and connections are not kept for the whole run:
either would hide the proxy and integration the instrumentation builds around every
cursor and connection. Each query is one indexed SELECT with a bound parameter,
fetched, on the event-loop thread (sqlite3 connections belong to the thread that opened
them). Expects one span per operation (the instrumentation traces each cursor's
`execute`; the `Connection.execute` shortcut is not traced, so the scenario does not
use it).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from typing import Any, Optional

from otelaudit import Scenario, Telemetry, Workload


ROWS = 200
QUERIES_PER_REQUEST = 4
QUERY = "SELECT id, name, email, score FROM users WHERE id = ?"


class SqliteWorkload(Workload):
    async def setup(self) -> None:
        import sqlite3

        self.directory = tempfile.TemporaryDirectory(prefix="otelaudit-sqlite3-")
        self.path = os.path.join(self.directory.name, "users.db")
        with contextlib.closing(sqlite3.connect(self.path)) as connection:
            connection.execute("PRAGMA synchronous = OFF")  # the table is throw-away: no fsync in every child's setup
            connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, score REAL)")
            connection.executemany(
                "INSERT INTO users VALUES (?, ?, ?, ?)",
                [(i, f"user{i}", f"user{i}@example.test", i * 1.5) for i in range(ROWS)],
            )
            connection.commit()
        self.request_connection: Optional[Any] = None
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        cursor = self._connection(n).cursor()
        cursor.execute(QUERY, (n % ROWS,))
        if not cursor.fetchall():
            raise RuntimeError("query returned no rows")
        cursor.close()

    def _connection(self, n: int) -> Any:
        if self.request_connection is None or n % QUERIES_PER_REQUEST == 0:  # the next request: its own connection
            import sqlite3

            self._close_request()
            self.request_connection = sqlite3.connect(self.path)
        return self.request_connection

    def _close_request(self) -> None:
        if self.request_connection is not None:
            self.request_connection.close()

    async def teardown(self) -> None:
        self._close_request()
        self.directory.cleanup()


def _sqlite_version() -> str:
    import sqlite3

    return f"sqlite {sqlite3.sqlite_version}"


SCENARIO = Scenario(SqliteWorkload, expects=Telemetry(spans=1), library_version=_sqlite_version)
