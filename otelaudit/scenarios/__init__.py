"""The scenario authoring API (Scenario, Workload, WorkloadContext) and the shared workloads
the bundled scenarios drive (HTTP, web frameworks, gRPC, GenAI, a user's own function)."""
