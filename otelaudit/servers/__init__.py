"""Loopback servers a scenario needs (HTTP, fake LLM API, redis, PostgreSQL), each in its
own process so its CPU is never charged to the measured client."""
