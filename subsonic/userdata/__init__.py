"""What users write through the API: stars, ratings, plays, playlists, play queues, bookmarks.

All of it lives in the sidecar (``schema``), keyed by the ids clients see (``tr-…``, ``al-…``,
``ar-…``) or by beets item ids, per user. ``follow`` moves it along when beets gives a track a
new id (a re-import, a duplicate merge), so nothing a client wrote is lost when beets changes
the library.
"""
