"""redis: `redis.asyncio` commands against a real redis-server started for the scan.

The server (Debian's `redis-server`, no persistence, loopback, a free port) runs in its
own process for the scenario's lifetime; without it the scenario is not covered
(`apt-get install redis-server`). One `redis.asyncio.Redis` with a connection pool
serves concurrency 8. Each operation writes a session hash of five fields with HSET,
sets its expiry, and reads it back with HGETALL, as a web service's session store does,
on keys that vary per operation. Expects three spans per operation (one per command).
"""

from __future__ import annotations

import itertools
from typing import Any

from otelaudit import Scenario, Telemetry, Workload


class RedisWorkload(Workload):
    async def setup(self) -> None:
        import redis.asyncio as aioredis

        host, port = self.context.server("redis")
        self.client: Any = aioredis.Redis(host=host, port=port, max_connections=self.context.concurrency * 2)
        await self.client.flushdb()
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        key = f"session:{n % 1000}"
        fields = {"user_id": str(n % 997), "cart_items": "3", "locale": "en-GB", "csrf": "0123456789abcdef",
                  "last_seen": "2026-11-24T15:00:00Z"}
        await self.client.hset(key, mapping=fields)
        await self.client.expire(key, 1800)
        if len(await self.client.hgetall(key)) != len(fields):
            raise RuntimeError("session hash incomplete")

    async def teardown(self) -> None:
        await self.client.aclose() if hasattr(self.client, "aclose") else await self.client.close()


SCENARIO = Scenario(RedisWorkload, expects=Telemetry(spans=3), distribution="redis", supported_versions=">=4.5,<9",
                    servers=("redis",))
