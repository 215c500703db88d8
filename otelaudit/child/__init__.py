"""What runs inside a measuring interpreter, entered only as `python -m otelaudit.child.X`:
drive the workload, install the SDK arm, probe call counts, sample profiles, apply what-if
fixes, time imports. It imports the model, the scenario API and ownership, never the pipeline."""
