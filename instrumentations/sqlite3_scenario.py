"""sqlite3: parameterised queries against an in-memory database.

Each operation runs one indexed SELECT with a bound parameter and fetches its rows on
the event-loop thread (sqlite3 connections belong to the thread that opened them), so
the cursor wrapper, span creation and attribute extraction are all on the hot path.
Expects one span per operation (the instrumentation traces each `execute`).
"""

from __future__ import annotations

import itertools

from otelaudit import Scenario, Telemetry, Workload


ROWS = 200


class SqliteWorkload(Workload):
    async def setup(self) -> None:
        import sqlite3

        self.connection = sqlite3.connect(":memory:")
        self.connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT, score REAL)")
        self.connection.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            [(i, f"user{i}", f"user{i}@example.test", i * 1.5) for i in range(ROWS)],
        )
        self.connection.commit()
        self.cursor = self.connection.cursor()
        self.ids = itertools.cycle(range(ROWS))

    async def operation(self) -> None:
        self.cursor.execute("SELECT id, name, email, score FROM users WHERE id = ?", (next(self.ids),))
        self.cursor.fetchall()

    async def teardown(self) -> None:
        self.connection.close()


def _sqlite_version() -> str:
    import sqlite3

    return f"sqlite {sqlite3.sqlite_version}"


SCENARIO = Scenario(SqliteWorkload, expects=Telemetry(spans=1), library_version=_sqlite_version)
