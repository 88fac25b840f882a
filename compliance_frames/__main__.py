"""``python -m compliance_frames``: the command line."""

import sys

from compliance_frames.cli import main

sys.exit(main())
