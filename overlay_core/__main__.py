"""Run the command line: ``python -m overlay_core --help``."""

from overlay_core.cli.main import main

raise SystemExit(main())
