"""``python -m refserver --host 127.0.0.1 --port 8080``: run the reference Context Server."""

import sys

from refserver.cli import main

sys.exit(main())
