"""Gates: budgets checked against a result (the pytest plugin and `--fail-on`) and saved
baselines for regression checks."""
