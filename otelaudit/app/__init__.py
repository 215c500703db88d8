"""App mode (`otelaudit app`): what OpenTelemetry costs in the user's own ASGI or WSGI
service, each instrumentation's leave-one-out share of it, at the user's concurrency.
`audit_app(AppOptions(...)) -> Report`."""
