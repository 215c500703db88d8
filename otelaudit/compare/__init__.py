"""`otelaudit compare`: one release against another, each in its own cached environment,
interleaved A/B with an A/A control, saved as a Report's comparison section."""
