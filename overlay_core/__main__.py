"""Run the command line: ``python -m overlay_core --help``."""

from overlay_core.cli.startup import defer_unused_imports, one_blas_thread

one_blas_thread()  # before numpy and pydicom are imported: see overlay_core.cli.startup
defer_unused_imports()

from overlay_core.cli.main import main  # noqa: E402

raise SystemExit(main())
