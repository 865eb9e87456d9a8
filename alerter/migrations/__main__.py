"""``python -m alerter.migrations revision MESSAGE URL``: draft a revision (see the package doc)."""

import sys

from alerter.migrations import revision_cli

revision_cli(sys.argv[1:])
