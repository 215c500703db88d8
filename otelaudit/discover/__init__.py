"""Discovery: installed instrumentors (entry-point group `opentelemetry_instrumentor`), the
scenario catalogue that covers them, and the environment they were found in."""
