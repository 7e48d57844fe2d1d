"""`python -m reconcile`: the command line (reconcile.cli), with its exit code."""
import sys

from reconcile.cli import main

sys.exit(main())
