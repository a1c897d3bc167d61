"""The per-session memory budget: what a session's files hold, and refusing what would not fit.

A session holds, per file, the loaded dataset (the uploaded bytes are not kept; the edited
dataset shares the Pixel Data), its undo history, the last checked download and the
derived files made of it. :func:`file_cost` counts those; :func:`check_upload` refuses a file before it is
parsed when it is larger than the whole budget, or when opening it would take the session
over its budget (``OVERLAY_STUDIO_SESSION_BYTES``, 1 GB by default; see
:mod:`overlay_core.dataset.limits`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from overlay_core.dataset.limits import ENV_SESSION_BYTES, Limits, current, format_bytes
from overlay_core.errors import LimitError

__all__ = ["LOAD_FACTOR", "check_upload", "file_cost", "session_bytes", "upload_limit_mb"]

#: Bytes needed per uploaded byte while a file opens: the upload and its loaded dataset.
LOAD_FACTOR = 2


def file_cost(entry: Any) -> int:
    """Return the bytes one :class:`~studio.state.LoadedFile` holds (estimated from its parts)."""
    cost = int(entry.size) if entry.dataset is not None else 0  # the dataset is about the file's size
    history = getattr(entry, "history", None)
    if history is not None:
        cost += int(getattr(history, "nbytes", 0))
    cost += sum(len(v) for v in getattr(entry, "export_memo", {}).values())
    cost += sum(len(data) for _, data in getattr(entry, "derived_memo", {}).values())
    return cost


def session_bytes(entries: Iterable[Any]) -> int:
    """Return what a session's files hold together."""
    return sum(file_cost(e) for e in entries)


def check_upload(name: str, size: int, held: int, limits: Limits | None = None) -> None:
    """Raise unless a file of ``size`` bytes can be opened next to ``held`` bytes.

    Raises
    ------
    LimitError
        One sentence naming the file, its size, the budget and how to make room.

    Examples
    --------
    >>> try:
    ...     check_upload("a.dcm", 600, 0, Limits(session_bytes=1000))
    ... except LimitError as exc:
    ...     print(str(exc)[:60])
    Opening a.dcm (600 bytes) would bring this session to 1.2 KB
    """
    limits = limits or current()
    budget = limits.session_bytes
    if size > budget:
        raise LimitError(
            f"{name} is {format_bytes(size)}, more than the {format_bytes(budget)} one session may hold "
            f"({ENV_SESSION_BYTES}), so it was not opened."
        )
    after = held + size * LOAD_FACTOR
    if after > budget:
        raise LimitError(
            f"Opening {name} ({format_bytes(size)}) would bring this session to {format_bytes(after)} "
            f"of its {format_bytes(budget)} budget ({ENV_SESSION_BYTES}); remove a file from the Open "
            "page first."
        )


def upload_limit_mb(limits: Limits | None = None) -> int:
    """Return the largest file one upload may be, in MB: what an empty session can open.

    The uploader states this one limit and refuses larger files while they arrive, so it
    never promises more than the session budget allows (``server.maxUploadSize`` did).

    >>> upload_limit_mb(Limits(session_bytes=1 << 30))
    512
    """
    budget = (limits or current()).session_bytes
    return max(1, budget // LOAD_FACTOR // (1 << 20))
