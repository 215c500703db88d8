"""`otelaudit coldstart`: start-up cost per instrumentor (imports, instrument(), the first
operation) and of opentelemetry-instrument, in fresh interpreters through the Runner."""
