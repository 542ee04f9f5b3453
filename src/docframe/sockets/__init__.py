"""Sockets: the Socket.IO server that speaks Frappe's realtime protocol, for every site.

:class:`~docframe.sockets.server.RealtimeServer` (an ASGI app) is what ``docframe serve`` mounts at
``/socket.io`` and on the ``socketio_port``; :mod:`~docframe.sockets.handshake` admits connections,
:mod:`~docframe.sockets.access` decides who a socket is and what it may join or receive (with the
permission rules), :mod:`~docframe.sockets.cli` and :mod:`~docframe.sockets.standalone` run it
(``docframe realtime``). The events it delivers are published through :mod:`docframe.realtime`,
which sits below the model. See ``docs/realtime.md``.
"""
