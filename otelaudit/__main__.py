"""`python -m otelaudit`: the command line, with the current directory taken off sys.path
first. `-m` puts it there, and a user's `sqlite3.py` or `asyncio.py` must not stand in for
the library being measured (otelaudit itself is already imported by then)."""

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from otelaudit.cli import main  # noqa: E402 - only once the current directory is off the path

sys.exit(main())
