"""beetcrate's shared core: what the server, the plugins and the ``beetcrate`` command share.

Settings and the sidecar database (``settings``, ``sidecar``), the one read layer over beets'
tables (``beetsdb``), the background queue (``queue``), decoding, encoding and hashing audio
(``media``, ``audiohash``, ``transcode``), the plugins' subcommand declarations
(``subcommands``), forwarding plays to scrobbling services (``scrobbling``), the credential
key (``credentials``), and the entry points (``cli``, ``server``, ``demo``). Nothing here imports
the server, the plugins or the DJ engine, except the two entry points that start the server.
"""
