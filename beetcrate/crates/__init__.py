"""Crates: DJ-aware smart playlists, listening sessions and sonic similarity.

The engine lives in the shared core because two front ends use it: the ``crates`` beets plugin
(``beet crate …``) and the Subsonic server (crates as playlists, ``getSonicSimilarTracks``,
``findSonicPath``). Modules:

- ``keys`` (musical keys and the Camelot wheel), ``tracks`` (what the engine knows of a track);
- ``rules`` (the rule files), ``fields`` (the fields rules name), ``index`` (the table rules run
  against), ``compile`` (rules to SQL, and in words), ``beetsquery`` (``query:`` rules);
- ``engine`` (``CrateEngine``: load, evaluate, tracks, sessions), ``playlists`` (M3U8 export,
  frozen playlists);
- ``mix`` (playable orders), ``sonic`` (similar tracks and paths), ``columns`` (the tracks as
  numpy arrays, for ``mix`` and ``sonic``), ``sessions`` (listening sessions from the plays).
"""
