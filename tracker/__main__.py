"""Entry point for `python -m tracker`."""

import signal
import sys

from tracker.cli import main

# `python -m tracker show ... | head` should end quietly, as other command-line tools do.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
sys.exit(main())
