"""Realtime: Frappe's Socket.IO protocol (rooms, subscriptions, document events) for every site.

The public surface: :func:`publish_realtime` and :func:`publish_progress` for app code, and
:class:`RealtimeServer` (an ASGI app) that ``docframe serve`` mounts at ``/socket.io`` and on the
``socketio_port``. See ``docs/realtime.md``.
"""

from docframe.realtime.publish import publish_progress as publish_progress
from docframe.realtime.publish import publish_realtime as publish_realtime

__all__ = ["publish_progress", "publish_realtime"]
