"""``python -m gft``: the command line (see :mod:`gft.cli`)."""

from .cli import main

raise SystemExit(main())
