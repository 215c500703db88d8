import sys

from otelaudit.cli import main

sys.exit(main())
