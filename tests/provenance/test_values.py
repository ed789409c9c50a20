"""A model's values as provenance records them are what beets writes to its database."""

from __future__ import annotations

import os

import pytest
from beets import context
from beets.library import Item

from beetsplug.provenance.values import stored_values

MUSIC = b"/music/library"


@pytest.mark.parametrize(
    ("music_dir", "path"),
    [
        (MUSIC, b"/music/library/Artist/Album/01 Song.flac"),
        (MUSIC, b"/music/library"),
        (MUSIC, b"/music/library/"),
        (MUSIC, b"/music/library2/Artist/01.flac"),
        (MUSIC, b"/elsewhere/01.flac"),
        (MUSIC, b"/music/library/Artist/../Other/01.flac"),
        (MUSIC, b"/music/library/Artist//01.flac"),
        (MUSIC, b"/music/library/./Artist/01.flac"),
        (MUSIC, b"/music/library/AC\\DC/01.flac"),
        (MUSIC, "/music/library/Bj\u00f6rk/\u00e9\u00e9.flac".encode()),
        (MUSIC, b"/music/library/bad \xff name.flac"),
        (MUSIC + b"/", b"/music/library/Artist/01.flac"),
        (b"/music/./library", b"/music/library/Artist/01.flac"),
        (b"/", b"/Artist/01.flac"),
        (b"", b"/music/library/Artist/01.flac"),
        (MUSIC, b"relative/01.flac"),
    ],
)
def test_a_recorded_path_is_the_path_beets_stores(music_dir: bytes, path: bytes) -> None:
    item = Item(title="Song")
    item.path = path
    path_type = Item._fields["path"]
    with context.music_dir(music_dir):
        beets_stores = path_type.to_sql(path)
        recorded = stored_values(item).get("path")
    assert recorded == os.fsdecode(beets_stores)
