"""The command line: `main` dispatches to one module per subcommand."""

from otelaudit.cli.main import main

__all__ = ["main"]
