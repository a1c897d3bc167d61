"""Run the command line: ``python -m overlay_core --help``."""

import sys

from overlay_core.cli import prefetch

prefetch.start(sys.argv[1:])  # the input's Pixel Data read on the other core while numpy and pydicom import

from overlay_core.cli.startup import defer_unused_imports, one_blas_thread  # noqa: E402

one_blas_thread()  # before numpy and pydicom are imported: see overlay_core.cli.startup
defer_unused_imports()

from overlay_core.cli.main import end, main  # noqa: E402

end(main(), sys.argv[1] if len(sys.argv) > 1 else None)
