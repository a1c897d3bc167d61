"""Run the command line: ``python -m overlay_core --help``."""

from .cli import main

raise SystemExit(main())
