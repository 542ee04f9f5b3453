"""Rooms: the names of Frappe's Socket.IO rooms, in one place.

Every socket of a site lives in that site's namespace (``/<site name>``); inside it, rooms are
named as Frappe's realtime server names them, so clients and app code that join or publish to a
room by name keep working.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ALL", "WEBSITE", "doc_room", "doctype_room", "open_doc_room", "task_room", "user_room"]

#: Every System User of the site.
ALL = "all"
#: Every socket of the site (website visitors included).
WEBSITE = "website"


def user_room(user: str) -> str:
    """The room of every socket of ``user``."""
    return f"user:{user}"


def doctype_room(doctype: str) -> str:
    """The room that receives ``list_update`` for ``doctype``."""
    return f"doctype:{doctype}"


def doc_room(doctype: str, name: Any) -> str:
    """The room that receives ``doc_update`` for one document."""
    return f"doc:{doctype}/{name}"


def open_doc_room(doctype: str, name: Any) -> str:
    """The room of the sockets that have one document open (``doc_viewers``)."""
    return f"open_doc:{doctype}/{name}"


def task_room(task_id: str) -> str:
    """The room that receives a background task's progress."""
    return f"task_progress:{task_id}"
