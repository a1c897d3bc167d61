"""No traceback on a page: unexpected errors become one sentence, details go to the log.

:func:`guarded` wraps a part of the app (the sidebar, the page). An
:class:`~overlay_core.errors.OverlayError` is shown as its own sentence (as text, never
markdown: it may quote a file's strings). Any other exception is logged with its
traceback on the server (logger ``overlay_studio``) under a short reference, and the page
shows one sentence with that reference; no server path or traceback reaches the browser.
The session stays as it was: its files can still be opened, edited, removed and
downloaded from the other pages. Streamlit's own control flow (``st.stop``,
``st.rerun``, page switches) derives from ``BaseException`` and passes through.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from overlay_core.errors import OverlayError
from studio.text import plain

__all__ = ["LOGGER", "guarded", "unexpected_message"]

LOGGER = logging.getLogger("overlay_studio")


def unexpected_message(reference: str, where: str) -> str:
    """Return the one sentence shown for an unexpected error.

    >>> unexpected_message("ab12cd34", "this page")[:62]
    'Something went wrong on this page (reference ab12cd34, details'
    """
    return (f"Something went wrong on {where} (reference {reference}, details in the server log); "
            "your files are kept and the other pages still work.")


@contextmanager
def guarded(where: str = "this page") -> Iterator[None]:
    """Run the ``with`` body; show an error as one sentence instead of a traceback."""
    try:
        yield
    except OverlayError as exc:
        st.error(plain(" ".join(str(exc).split())), icon=":material/error:")
    except Exception:
        reference = secrets.token_hex(4)
        LOGGER.exception("Unexpected error on %s (reference %s)", where, reference)
        st.error(unexpected_message(reference, where), icon=":material/error:")
