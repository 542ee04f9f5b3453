"""Realtime: publishing Frappe's Socket.IO events (rooms, document events, progress) for every site.

The public surface: :func:`publish_realtime` and :func:`publish_progress` for app code. Events are
queued on the unit of work and handed to the broker after commit; the model publishes the document
events through :mod:`~docframe.realtime.publish`, so this package sits below it. The Socket.IO
server that delivers them (``/socket.io``, ``docframe realtime``) is :mod:`docframe.sockets`. See
``docs/realtime.md``.
"""

from docframe.realtime.publish import publish_progress as publish_progress
from docframe.realtime.publish import publish_realtime as publish_realtime

__all__ = ["publish_progress", "publish_realtime"]
