"""Bundled workload scenarios, one module per instrumented library.

Installed as `otelaudit.instrumentations`. Each module defines `SCENARIO` and must stay
importable without the library it drives (import the library inside the workload).
"""
