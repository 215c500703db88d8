import sys

from otelaudit.cli.main import main

sys.exit(main())
