"""M3U playlists served read-only: read from the configured folders, resolved to beets items by
path, following their files, and refusing changes through the API."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from beetcrate.settings import PlaylistSettings, load_settings
from subsonic.app import create_app
from subsonic.responses import NOT_AUTHORIZED, NOT_FOUND
from subsonic.userdata.m3u import candidates, parse, read
from subsonic.userdata.playlists import FilePlaylist, PlaylistStore
from tests.helper import BeetsHome, run_beet
from tests.subsonic.conftest import LISTENER, LISTENER_PASSWORD, Api, MusicLibrary
from tests.subsonic.test_playlists import duplicate_blue1, entry_ids, listed, song, write

# Parsing


def test_parse_skips_comments_and_blank_lines_and_reads_the_playlist_name() -> None:
    m3u = parse(
        "#EXTM3U\n#PLAYLIST: Road trip \n#EXTINF:123,Artist - Title\n\n/music/a.flac\n"
        "  relative/b.mp3  \n#EXTALB:Album\nfile:///music/c.ogg\n"
    )
    assert m3u.name == "Road trip"
    assert m3u.entries == ["/music/a.flac", "relative/b.mp3", "file:///music/c.ogg"]
    assert parse("a.mp3\n").name is None


def test_read_takes_utf8_with_a_byte_order_mark_and_falls_back_to_latin_1(tmp_path: Path) -> None:
    utf8 = tmp_path / "a.m3u8"
    utf8.write_bytes("\ufeff#EXTM3U\nÉlodie/chanson.ogg\n".encode())
    assert read(utf8).entries == ["Élodie/chanson.ogg"]
    latin = tmp_path / "b.m3u"
    latin.write_bytes("Élodie/chanson.ogg\n".encode("latin-1"))
    assert read(latin).entries == ["Élodie/chanson.ogg"]


def test_an_entry_means_an_absolute_path_or_one_relative_to_the_file_then_the_music() -> None:
    folder, music = Path("/lists"), Path("/music")
    assert candidates("/music/a b/c.flac", folder, music) == ["/music/a b/c.flac"]
    assert candidates("../x.mp3", folder, music) == ["/x.mp3"]  # the same path either way
    assert candidates("A/x.mp3", folder, music) == ["/lists/A/x.mp3", "/music/A/x.mp3"]
    assert candidates("file:///music/a%20b/c.flac", folder, music) == ["/music/a b/c.flac"]
    assert candidates("http://radio.example/stream", folder, music) == []


def test_settings_read_the_import_folder_the_owner_and_beets_playlist_folder(
    tmp_path: Path,
) -> None:
    home = BeetsHome(tmp_path)
    home.configure(
        playlist={"playlist_dir": str(tmp_path / "beets-lists")},
        beetcrate={"playlists": {"import_dir": str(tmp_path / "lists"), "owner": "dj"}},
    )
    settings = load_settings(home.config_file).playlists
    assert settings.import_dirs == (tmp_path / "lists", tmp_path / "beets-lists")
    assert settings.owner == "dj"


# Served


@dataclasses.dataclass
class Served:
    """An app serving ``library`` with the M3U files of ``folder``; ``api`` is alice's."""

    library: MusicLibrary
    folder: Path
    app: Flask
    api: Api

    def path(self, name: str) -> str:
        return os.fsdecode(self.library.items[name].path)

    def write(self, name: str, text: str) -> Path:
        """Write an M3U file; each write gets a later modification time than the last."""
        m3u = self.folder / name
        previous = m3u.stat().st_mtime if m3u.exists() else 0.0
        m3u.write_text(text, encoding="utf-8")
        later = max(previous + 1, m3u.stat().st_mtime)
        os.utime(m3u, (later, later))
        return m3u

    def playlist_named(self, name: str) -> dict:
        return next(p for p in listed(self.api).values() if p["name"] == name)


@pytest.fixture
def serve(own_library: MusicLibrary, tmp_path: Path) -> Callable[..., Served]:
    """Serve ``own_library`` with M3U files from a folder of the test's own."""
    folder = tmp_path / "lists"
    folder.mkdir()

    def start(owner: str = "", refresh_interval: float = 0.0) -> Served:
        settings = dataclasses.replace(
            own_library.settings,
            playlists=PlaylistSettings((folder,), owner),
            refresh_interval=refresh_interval,
        )
        app = create_app(settings)
        return Served(own_library, folder, app, Api(app.test_client()))

    return start


def test_an_m3u_file_is_a_public_read_only_playlist_of_the_first_admin(
    serve: Callable[..., Served],
) -> None:
    served = serve()
    music = served.library.home.music
    served.write(
        "road trip.m3u8",
        "#EXTM3U\n"
        f"#EXTINF:1,Blue 1\n{served.path('blue1')}\n"
        f"{os.path.relpath(served.path('blue2'), served.folder)}\n"  # beside the file
        f"{os.path.relpath(served.path('single1'), music)}\n"  # in the music directory
        f"file://{served.path('blue3').replace(' ', '%20')}\n"
        "/nowhere/lost.mp3\nhttp://radio.example/stream\n",
    )
    bob = Api(served.app.test_client(), LISTENER, LISTENER_PASSWORD)
    (playlist,) = [p for p in listed(bob).values() if p["name"] == "road trip"]
    assert (playlist["owner"], playlist["public"], playlist["readonly"]) == ("alice", True, True)
    assert playlist["songCount"] == 4
    assert "2 of 6 entries are not in the library" in playlist["comment"]
    assert served.playlist_named("road trip")["readonly"] is True  # for admins too
    expected = [song(served.library, n) for n in ("blue1", "blue2", "single1", "blue3")]
    assert entry_ids(bob, playlist["id"]) == expected


def test_changing_a_file_playlist_is_error_50_saying_it_is_read_only(
    serve: Callable[..., Served],
) -> None:
    served = serve()
    served.write("fixed.m3u", served.path("blue1") + "\n")
    playlist_id = served.playlist_named("fixed")["id"]
    for method, params in (
        ("updatePlaylist", {"playlistId": playlist_id, "name": "Mine now"}),
        ("createPlaylist", {"playlistId": playlist_id, "songId": song(served.library, "blue2")}),
        ("deletePlaylist", {"id": playlist_id}),
    ):
        body = write(served.api, method, **params)
        assert body["error"]["code"] == NOT_AUTHORIZED
        assert "read-only" in body["error"]["message"]
    assert entry_ids(served.api, playlist_id) == [song(served.library, "blue1")]


def test_the_playlist_follows_its_file(serve: Callable[..., Served]) -> None:
    served = serve()
    m3u = served.write("changing.m3u", served.path("blue1") + "\n")
    playlist_id = served.playlist_named("changing")["id"]
    served.write(
        "changing.m3u", f"#PLAYLIST:Renamed\n{served.path('blue3')}\n{served.path('blue1')}\n"
    )
    playlist = served.api.ok("getPlaylist", id=playlist_id)["playlist"]
    assert playlist["name"] == "Renamed"
    assert [e["id"] for e in playlist["entry"]] == [
        song(served.library, n) for n in ("blue3", "blue1")
    ]
    m3u.unlink()
    assert playlist_id not in listed(served.api)
    assert served.api.error("getPlaylist", id=playlist_id) == NOT_FOUND


def test_a_song_imported_after_the_file_was_read_joins_its_playlist(
    serve: Callable[..., Served],
) -> None:
    served = serve()
    later = served.library.home.music / "Later" / "late.flac"
    served.write("waiting.m3u", f"{later}\n{served.path('blue1')}\n")
    playlist_id = served.playlist_named("waiting")["id"]
    assert entry_ids(served.api, playlist_id) == [song(served.library, "blue1")]

    item = served.library.home.add_file(Path(served.path("blue2")), "Later/late.flac")
    served.library.home.close()
    served.app.extensions["beetcrate"].catalog.sync()
    assert entry_ids(served.api, playlist_id) == [f"tr-{item.id}", song(served.library, "blue1")]


def test_the_owner_of_file_playlists_can_be_configured(serve: Callable[..., Served]) -> None:
    served = serve(owner=LISTENER)
    served.write("bobs.m3u", served.path("blue1") + "\n")
    playlist = served.playlist_named("bobs")
    assert (playlist["owner"], playlist["readonly"]) == (LISTENER, True)


def test_files_are_looked_at_no_more_often_than_the_refresh_interval(
    serve: Callable[..., Served],
) -> None:
    served = serve(refresh_interval=3600.0)
    served.write("slow.m3u", served.path("blue1") + "\n")
    playlist_id = served.playlist_named("slow")["id"]
    served.write("slow.m3u", served.path("blue1") + "\n" + served.path("blue2") + "\n")
    assert entry_ids(served.api, playlist_id) == [song(served.library, "blue1")]


def test_a_file_playlist_another_process_stored_first_is_left_as_it_is(
    serve: Callable[..., Served],
) -> None:
    """Two server processes may read a changed file at once: the second to take the write lock
    finds the signature it read already stored, and writes nothing."""
    served = serve()
    services = served.app.extensions["beetcrate"]
    store = PlaylistStore(services.library, services.userdata)
    first = FilePlaylist(
        source_path=str(served.folder / "twice.m3u"),
        signature="1:1:alice:v1",
        name="twice",
        comment="",
        owner="alice",
        changed=0.0,
        item_ids=[served.library.items["blue1"].id],
    )
    store.sync_files([first], present=[first.source_path])
    second = dataclasses.replace(first, item_ids=[served.library.items["blue2"].id])
    store.sync_files([second], present=[second.source_path])
    (stored,) = [p for p in store.playable_by("alice") if p.source_path == first.source_path]
    assert store.songs(stored.id) == first.item_ids


def test_an_m3u_playlist_follows_a_duplicate_merge_and_its_undo(
    serve: Callable[..., Served], monkeypatch: pytest.MonkeyPatch
) -> None:
    served = serve()
    home = served.library.home
    monkeypatch.setenv("BEETSDIR", str(home.dir))
    # The folder served is one ``beet dupes`` repoints M3U files in.
    home.configure(beetcrate={"playlists": {"import_dir": str(served.folder)}})
    duplicate = duplicate_blue1(served.library)
    served.write("copies.m3u", f"{duplicate.extra_path}\n{served.path('blue2')}\n")
    playlist_id = served.playlist_named("copies")["id"]
    blue2 = song(served.library, "blue2")
    assert entry_ids(served.api, playlist_id) == [duplicate.extra, blue2]
    catalog = served.app.extensions["beetcrate"].catalog

    run_beet("dupes", "resolve", duplicate.group, "--apply")
    catalog.sync()
    assert entry_ids(served.api, playlist_id) == [duplicate.keep, blue2]

    run_beet("dupes", "undo")
    catalog.sync()
    assert entry_ids(served.api, playlist_id) == [duplicate.extra, blue2]
