"""`python -m runtime` is the `runtime` command."""

import sys

from runtime.cli import main

sys.exit(main())
