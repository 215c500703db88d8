"""otelaudit: measure the overhead OpenTelemetry instrumentations add to Python services."""

__version__ = "0.1.0"
