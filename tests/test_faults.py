"""Machine faults (retried) told from bad files (rejected)."""

from __future__ import annotations

import errno

import av
import pytest

from lipsync.faults import describe, machine_fault
from lipsync.media.probe import MediaError


def wrapped(code: int) -> MediaError:
    """The media layer's error over an FFmpeg error with ``code`` (raised, so the context is kept)."""
    try:
        try:
            av.error.err_check(-code)
        except av.error.FFmpegError as exc:
            raise MediaError(f"truncated or corrupt video data: {exc}") from None
    except MediaError as exc:
        return exc


@pytest.mark.parametrize("code", [errno.ENOMEM, errno.EMFILE, errno.ENOSPC, errno.EAGAIN])
def test_resource_errors_behind_a_media_error_are_machine_faults(code):
    fault = machine_fault(wrapped(code))
    assert isinstance(fault, OSError | MemoryError) and fault.errno == code


def test_memory_error_is_a_machine_fault_and_described():
    assert describe(machine_fault(MemoryError("cannot allocate 2 GB"))) == "MemoryError: cannot allocate 2 GB"
    assert describe(MemoryError()) == "MemoryError"


@pytest.mark.parametrize(
    "error", [wrapped(errno.EINVAL), MediaError("empty file (0 bytes)"), OSError(errno.ENOENT, "gone"), ValueError()]
)
def test_bad_data_and_other_errors_are_not(error):
    assert machine_fault(error) is None
