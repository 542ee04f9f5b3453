"""Scheduled jobs of the test app."""

from __future__ import annotations

import os
from pathlib import Path

from docframe.context import Context


def record(ctx: Context) -> str:
    """Append this process's id to the file named by the site config ``schedapp_file``."""
    target = ctx.site.settings.raw.get("schedapp_file")
    if target:
        with Path(target).open("a") as out:
            out.write(f"{os.getpid()}\n")
    return "recorded"


def fail() -> None:
    raise RuntimeError("this job always fails")


def every_five() -> None:
    return None
