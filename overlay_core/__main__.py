"""Run the command line: ``python -m overlay_core --help``."""

from overlay_core.cli.startup import defer_unused_imports

defer_unused_imports()  # before pydicom is imported: see overlay_core.cli.startup

from overlay_core.cli.main import main  # noqa: E402

raise SystemExit(main())
