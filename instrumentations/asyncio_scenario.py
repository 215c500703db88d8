"""asyncio: fan-out with `gather` and blocking work handed to `to_thread`.

Each operation does what a request handler does with asyncio: it gathers two named
coroutines (`fetch_user`, `fetch_orders`; each yields to the loop once, as awaiting I/O
would, and returns a small dict), then runs a named blocking function
(`render_summary`, which serialises their results to JSON) with `asyncio.to_thread` on
the default executor. The instrumentation traces only names listed in its environment
variables, so the scenario lists exactly these three via `env`. Concurrency 8.
Expects per operation three spans (two `asyncio coro-*`, one `asyncio to_thread-*`)
and six metric measurements (each traced coroutine or function records
`asyncio.process.duration` and `asyncio.process.created`).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from otelaudit import Scenario, Telemetry, Workload


async def fetch_user(user_id: int) -> Dict[str, Any]:
    import asyncio

    await asyncio.sleep(0)  # a real lookup would await I/O here
    return {"id": user_id, "name": f"user{user_id}", "tier": "gold" if user_id % 5 == 0 else "standard"}


async def fetch_orders(user_id: int) -> List[Dict[str, Any]]:
    import asyncio

    await asyncio.sleep(0)
    return [{"order_id": user_id * 10 + i, "total": 9.5 * (i + 1)} for i in range(3)]


def render_summary(user: Dict[str, Any], orders: List[Dict[str, Any]]) -> str:
    return json.dumps({"user": user, "orders": orders, "count": len(orders)})


class AsyncioWorkload(Workload):
    async def setup(self) -> None:
        self.next_id = 0

    async def operation(self) -> None:
        import asyncio

        user_id = self.next_id = self.next_id + 1
        user, orders = await asyncio.gather(fetch_user(user_id), fetch_orders(user_id))
        await asyncio.to_thread(render_summary, user, orders)


SCENARIO = Scenario(
    AsyncioWorkload,
    expects=Telemetry(spans=3, metric_measurements=6),
    env={
        "OTEL_PYTHON_ASYNCIO_COROUTINE_NAMES_TO_TRACE": "fetch_user,fetch_orders",
        "OTEL_PYTHON_ASYNCIO_TO_THREAD_FUNCTION_NAMES_TO_TRACE": "render_summary",
    },
)
