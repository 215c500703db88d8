"""psycopg (3): async queries against a real PostgreSQL server started for the scan.

The server (Debian's PostgreSQL: initdb into a temporary directory, trust auth, fsync
off, loopback, a free port) runs in its own process for the scenario's lifetime;
without it the scenario is not covered (`apt-get install postgresql`). Setup opens one
`psycopg.AsyncConnection` per concurrent worker (concurrency 8) after instrumentation
(the instrumentor wraps `connect`) and creates a table of 1000 products. Each operation
takes a free connection and runs a parameterised SELECT with three bound values
(category, price bound, limit), fetches the rows, and returns the connection. Expects one
span per operation (the statement).
"""

from __future__ import annotations

import itertools
from typing import Any

from otelaudit import Scenario, Telemetry, Workload


QUERY = ("SELECT id, name, price FROM products WHERE category = %s AND price < %s "
         "ORDER BY price DESC LIMIT %s")


class PsycopgWorkload(Workload):
    async def setup(self) -> None:
        import psycopg

        host, port = self.context.server("postgres")
        dsn = f"host={host} port={port} user=otelaudit dbname=postgres"
        import asyncio  # here, not at import: `otelaudit list` imports this module

        self.connections: asyncio.Queue[Any] = asyncio.Queue()
        for _ in range(self.context.concurrency):
            await self.connections.put(await psycopg.AsyncConnection.connect(dsn, autocommit=True))
        connection = await self.connections.get()
        await connection.execute("DROP TABLE IF EXISTS products")
        await connection.execute("CREATE TABLE products (id serial PRIMARY KEY, name text, category int, price numeric)")
        async with connection.cursor() as cursor:
            await cursor.executemany("INSERT INTO products (name, category, price) VALUES (%s, %s, %s)",
                                     [(f"product {i}", i % 20, i * 0.75) for i in range(1000)])
        await connection.execute("CREATE INDEX ON products (category, price)")
        await self.connections.put(connection)
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        connection = await self.connections.get()
        try:
            cursor = await connection.execute(QUERY, (n % 20, 500 + n % 200, 10))
            if not await cursor.fetchall():
                raise RuntimeError("query returned no rows")
        finally:
            self.connections.put_nowait(connection)

    async def teardown(self) -> None:
        while not self.connections.empty():
            await self.connections.get_nowait().close()


SCENARIO = Scenario(PsycopgWorkload, expects=Telemetry(spans=1), distribution="psycopg",
                    supported_versions=">=3.1,<4", servers=("postgres",))
