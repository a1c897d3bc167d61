"""The errors of the PACS side: each one sentence naming the server by its configured name.

Every failure of a PACS request (DICOMweb or DIMSE) is a :class:`PacsError` subclass, so a
page, the CLI or a batch shows it as it is, and never holds an address, a password or a
token (those come from the operator and stay in the configuration).
"""

from __future__ import annotations

from overlay_core.errors import OverlayError

__all__ = [
    "PacsAuthError",
    "PacsCancelledError",
    "PacsConfigError",
    "PacsError",
    "PacsLimitError",
    "PacsNotFoundError",
    "PacsRejectedError",
    "PacsResponseError",
    "PacsUnreachableError",
]


class PacsError(OverlayError):
    """A PACS could not do what was asked; the message says why in one sentence."""


class PacsConfigError(PacsError, ValueError):
    """The operator's PACS configuration is unusable."""


class PacsUnreachableError(PacsError, ConnectionError):
    """The server is down, unreachable, refused the association or did not answer in time."""


class PacsAuthError(PacsError, PermissionError):
    """The server wants credentials, or refused the ones configured (HTTP 401/403)."""


class PacsNotFoundError(PacsError, LookupError):
    """The study, series or instance is not on the server (HTTP 404, or nothing matched)."""

    def __str__(self) -> str:  # LookupError would quote the message like a key
        return str(self.args[0]) if self.args else ""


class PacsResponseError(PacsError, ValueError):
    """The server answered with an error status, or with something that is not DICOM."""


class PacsRejectedError(PacsError):
    """The server refused to store one or more instances (STOW-RS failure, C-STORE status)."""


class PacsLimitError(PacsError):
    """Opening the series would exceed the session's cap on instances or bytes."""


class PacsCancelledError(PacsError):
    """The person cancelled the request before it finished; nothing was kept of it."""
