"""`python -m runtime` is the `runtime` command."""

import sys

from runtime.optional import console_main

sys.exit(console_main())
