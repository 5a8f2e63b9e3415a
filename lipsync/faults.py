"""Tell a fault of the machine (out of memory, too many open files, disk full) from a bad file.

A bad file is rejected, and stays rejected while its content and the stage params are
unchanged. A machine fault says nothing about the file: the video is recorded as
``failed`` and processed again on the next run. PyAV raises its errors as subclasses of
the built-in ones (``av.error.MemoryError`` is a ``MemoryError``, ENOSPC an ``OSError``),
and the media layer re-raises them as a ``MediaError`` whose ``__context__`` keeps the
original, so the whole chain is searched.
"""

from __future__ import annotations

import errno

# errno values that describe the machine's state, not the file's content.
MACHINE_ERRNOS = frozenset({errno.ENOMEM, errno.EMFILE, errno.ENFILE, errno.ENOSPC, errno.EDQUOT, errno.EAGAIN})


def machine_fault(exc: BaseException) -> BaseException | None:
    """The exception in ``exc``'s cause/context chain that is a machine fault, or None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError):
            return current
        if isinstance(current, OSError) and current.errno in MACHINE_ERRNOS:
            return current
        current = current.__cause__ or current.__context__
    return None


def describe(fault: BaseException) -> str:
    """One line: the error's type and message (``MemoryError: cannot allocate 2 GB``)."""
    message = str(fault) or (errno.errorcode.get(getattr(fault, "errno", None) or 0, ""))
    return f"{type(fault).__name__}: {message}" if message else type(fault).__name__
