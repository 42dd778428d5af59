"""`python -m exporter` is `qbank`."""

import sys

from .cli import main

sys.exit(main())
