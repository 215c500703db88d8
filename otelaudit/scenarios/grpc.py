"""A unary gRPC service and its client in the measured process, for the grpc scenarios:
`/shop.Orders/Get` takes a JSON order query as raw bytes (no generated stubs needed) and
answers a ~1 KB JSON order. Each call carries request metadata (authorization, a request
id, a tenant) as a service-to-service client sends it. The aio flavour runs server and
client on the loop; the sync flavour serves from grpc's thread pool and calls from the
default executor."""

from __future__ import annotations

import itertools
import json
from typing import Any, Tuple, Type

from otelaudit.model import Telemetry
from otelaudit.scenarios.api import Scenario, Workload

METHOD = "/shop.Orders/Get"
ANSWER = json.dumps({"order_id": 1, "status": "shipped", "lines": [
    {"sku": f"SKU-{i:04d}", "name": f"article {i}", "quantity": 1 + i % 3, "price": 9.99 + i} for i in range(12)]}).encode()


def _metadata(n: int) -> Tuple[Tuple[str, str], ...]:
    return (("authorization", "Bearer 0123456789abcdef"), ("x-request-id", f"req-{n}"), ("x-tenant", f"tenant-{n % 7}"))


def _request(n: int) -> bytes:
    return json.dumps({"order_id": n % 1000, "fields": ["status", "lines"], "locale": "en-GB"}).encode()


def _handlers(handler: Any) -> Any:
    import grpc

    return grpc.method_handlers_generic_handler("shop.Orders", {"Get": grpc.unary_unary_rpc_method_handler(handler)})


class AioGrpcWorkload(Workload):
    async def setup(self) -> None:
        import grpc

        async def get(request: bytes, context: Any) -> bytes:
            json.loads(request)
            return ANSWER

        self.server = grpc.aio.server()
        self.server.add_generic_rpc_handlers((_handlers(get),))
        port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()
        self.channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        self.call = self.channel.unary_unary(METHOD)
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        if await self.call(_request(n), metadata=_metadata(n), timeout=10) != ANSWER:
            raise RuntimeError("wrong answer")

    async def teardown(self) -> None:
        await self.channel.close()
        await self.server.stop(None)


class SyncGrpcWorkload(Workload):
    async def setup(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import grpc

        def get(request: bytes, context: Any) -> bytes:
            json.loads(request)
            return ANSWER

        self.server = grpc.server(ThreadPoolExecutor(max_workers=self.context.concurrency))
        self.server.add_generic_rpc_handlers((_handlers(get),))
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.call = self.channel.unary_unary(METHOD)
        self.counter = itertools.count()

    def _call(self, n: int) -> None:
        if self.call(_request(n), metadata=_metadata(n), timeout=10) != ANSWER:
            raise RuntimeError("wrong answer")

    async def operation(self) -> None:
        import asyncio  # here, not at import: `otelaudit list` imports this module

        await asyncio.get_running_loop().run_in_executor(None, self._call, next(self.counter))

    async def teardown(self) -> None:
        self.channel.close()
        self.server.stop(None)


def grpc_scenario(module: str, workload: Type[Workload]) -> Scenario:
    """The scenario of one of the four grpc instrumentors, defined in `module` (named after
    its entry point): one span per call, on the side that entry point instruments."""
    return Scenario(workload, Telemetry(spans=1), module=module, library="grpc", distribution="grpcio",
                    supported_versions=">=1.50,<2")
