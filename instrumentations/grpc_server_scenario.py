"""grpc (sync server): unary calls to a local gRPC service, measuring the server instrumentation.

The service and its client run in the measured process (`otelaudit.scenarios.grpc`,
sync flavour): `/shop.Orders/Get` answers a ~1 KB JSON order over a loopback
HTTP/2 channel, and each operation is one call with request metadata (authorization,
request id, tenant). Server and channel are built in setup, after instrumentation (the
instrumentor adds its interceptors to servers or channels created afterwards); only
the server side is instrumented, the client side's cost is the same in every arm.
Concurrency 8. Expects one span per operation (the RPC's server span).
"""

from __future__ import annotations

from otelaudit.scenarios.grpc import SyncGrpcWorkload, grpc_scenario

SCENARIO = grpc_scenario(__name__, SyncGrpcWorkload)
