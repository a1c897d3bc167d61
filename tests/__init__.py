"""The project's tests (a package, so that no installed ``tests`` package shadows it)."""
