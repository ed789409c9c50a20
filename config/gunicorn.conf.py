"""gunicorn settings shipped with beetcrate (``beetcrate serve`` loads this file).

Threads, not processes alone: a stream holds its thread for the length of a song, and most
requests wait on SQLite or the disk. ``bind``, ``workers`` and ``threads`` come from the
``beetcrate:`` section of the beets config and override the values here.
"""

worker_class = "gthread"
workers = 2
threads = 32
# Long downloads on slow links must not be killed; the heartbeat still catches hung workers.
timeout = 120
graceful_timeout = 10
keepalive = 5
accesslog = "-"
# %(U)s is the path without the query string: Subsonic credentials travel in the query, and
# they must never be written to a log.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'
# gunicorn's control socket is one per user (~/.gunicorn); two servers would fight over it.
control_socket_disable = True
