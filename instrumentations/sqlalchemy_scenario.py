"""sqlalchemy: a Core connection or an ORM Session per request, on a file-backed sqlite database.

The engine is created in setup, after instrumentation (the instrumentor wraps
`create_engine`, so only engines created afterwards are traced), with a small table of
orders. Each operation runs a parameterised SELECT with a WHERE clause on two bound
values, an ORDER BY and a LIMIT (the SQL text and its statement cache are on the hot
path) and fetches its rows, alternating in pairs between the two ways services do it:
a Core `engine.connect()` block (pool checkout, query, return), and an ORM `Session`
per request, as web frameworks' session-per-request recipes do (the session checks a
connection out for its transaction, loads mapped objects, rolls back and returns the
connection on close). Blocking calls run on the default thread pool (concurrency 4,
sqlite allows concurrent readers of one file), as an async service wraps a sync engine.
Expects per operation, either way, two spans (`connect` for the checkout through
`Engine.connect()`, and the statement) and four measurements of
`db.client.connections.usage` (idle and used, at checkout and at return).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from typing import Any

from otelaudit import Scenario, Telemetry, Workload


ROWS = 500


class SqlalchemyWorkload(Workload):
    async def setup(self) -> None:
        import sqlalchemy as sa

        self.directory = tempfile.TemporaryDirectory(prefix="otelaudit-sqlalchemy-")
        self.engine = sa.create_engine(f"sqlite:///{os.path.join(self.directory.name, 'shop.db')}",
                                       pool_size=self.context.concurrency)
        metadata = sa.MetaData()
        self.orders = sa.Table(
            "orders", metadata,
            sa.Column("id", sa.Integer, primary_key=True), sa.Column("customer", sa.String(40), index=True),
            sa.Column("status", sa.String(16)), sa.Column("total", sa.Float))
        metadata.create_all(self.engine)
        with self.engine.begin() as connection:
            connection.execute(self.orders.insert(), [
                {"id": i, "customer": f"customer-{i % 50}", "status": ("paid", "shipped")[i % 2], "total": i * 2.5}
                for i in range(ROWS)])
        self.query = (sa.select(self.orders.c.id, self.orders.c.status, self.orders.c.total)
                      .where(self.orders.c.customer == sa.bindparam("customer"), self.orders.c.status == sa.bindparam("status"))
                      .order_by(self.orders.c.id.desc()).limit(20))
        self.orm_query = self._map_orders(sa)
        self.counter = itertools.count()

    def _map_orders(self, sa: Any) -> Any:
        from sqlalchemy.orm import registry

        class Order:  # mapped per workload: a class maps once, and a child may build the workload again
            pass

        self.registry = registry()
        self.registry.map_imperatively(Order, self.orders)
        return (sa.select(Order).where(self.orders.c.customer == sa.bindparam("customer"),
                                       self.orders.c.status == sa.bindparam("status"))
                .order_by(self.orders.c.id.desc()).limit(20))

    def _call(self, n: int) -> None:
        from sqlalchemy.orm import Session

        parameters = {"customer": f"customer-{n % 50}", "status": ("paid", "shipped")[n % 2]}
        if n // 2 % 2:  # an ORM session per request
            with Session(self.engine) as session:
                rows = session.execute(self.orm_query, parameters).scalars().all()
        else:
            with self.engine.connect() as connection:
                rows = connection.execute(self.query, parameters).all()
        if not rows:
            raise RuntimeError("query returned no rows")

    async def operation(self) -> None:
        import asyncio  # here, not at import: `otelaudit list` imports this module

        await asyncio.get_running_loop().run_in_executor(None, self._call, next(self.counter))

    async def teardown(self) -> None:
        self.registry.dispose()
        self.engine.dispose()
        self.directory.cleanup()


SCENARIO = Scenario(SqlalchemyWorkload, expects=Telemetry(spans=2, metric_measurements=4),
                    distribution="sqlalchemy", supported_versions=">=1.4,<2.1", concurrency=4)
