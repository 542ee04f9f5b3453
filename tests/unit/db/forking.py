"""Run a probe in a forked child and read back what it reported (for the fork-safety tests)."""

from __future__ import annotations

import os
from collections.abc import Callable


def in_forked_child(probe: Callable[[], str]) -> list[str]:
    """Fork; the child runs ``probe`` and writes its text to a pipe, then leaves at once (no
    finalisers, so it never touches what it inherited). The parent returns the text's words."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.write(write_end, probe().encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        reported = pipe.read().decode().split()
    os.waitpid(pid, 0)
    assert reported, "the child reported nothing"
    return reported
