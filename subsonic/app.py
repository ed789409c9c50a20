"""The Flask app factory: settings in, a ready Subsonic server out."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from beetcrate import sidecar
from beetcrate.settings import Settings
from subsonic.api import blueprint
from subsonic.catalog import Catalog
from subsonic.covers import CoverArt
from subsonic.crates import CratePlaylists
from subsonic.image_links import ImageLinks
from subsonic.lastfm_info import LastfmInfo
from subsonic.library import Library
from subsonic.library_files import LibraryFiles
from subsonic.nodes import SongNodeCache
from subsonic.responses import RenderedCache
from subsonic.sonic import SonicIndexCache
from subsonic.store import Users, load_key
from subsonic.transcoding import Transcoding
from subsonic.transcoding import create as create_transcoding
from subsonic.userdata.m3u import PlaylistFiles
from subsonic.userdata.playlists import PlaylistStore
from subsonic.userdata.writer import Writer
from subsonic.watcher import BeetsWatcher


@dataclass
class Services:
    """What the endpoints work with; one per process, shared by its threads."""

    settings: Settings
    catalog: Catalog
    watcher: BeetsWatcher
    library: Library
    files: LibraryFiles
    users: Users
    covers: CoverArt
    transcoding: Transcoding
    rendered: RenderedCache
    userdata: Writer
    song_nodes: SongNodeCache
    image_links: ImageLinks
    playlist_files: PlaylistFiles
    crate_playlists: CratePlaylists
    sonic: SonicIndexCache
    lastfm: LastfmInfo


def create_services(settings: Settings) -> Services:
    catalog = Catalog.from_settings(settings)
    # The first request must see the library, so a stale catalog is brought up to date now.
    catalog.sync()
    library = Library(settings.db)
    users = Users(sidecar.connect(settings.db), load_key(settings.secret_key_file))
    userdata = Writer(settings.db)
    crate_playlists = CratePlaylists(settings, users)
    sonic = SonicIndexCache(crate_playlists)

    def follow_the_library() -> None:
        # Crates and the similarity index follow beets' changes without waiting for someone
        # to ask for a playlist or a similar track.
        crate_playlists.poll(PlaylistStore(library, userdata))
        sonic.refresh(library)

    return Services(
        settings=settings,
        catalog=catalog,
        watcher=BeetsWatcher(catalog, settings.refresh_interval, after_sync=follow_the_library),
        library=library,
        files=LibraryFiles(settings.music_directory, settings.cache_dir),
        users=users,
        covers=CoverArt(
            library, settings.cache_dir, settings.cover_cache_mb, settings.max_cover_size
        ),
        transcoding=create_transcoding(settings),
        rendered=RenderedCache(),
        userdata=userdata,
        song_nodes=SongNodeCache(),
        # load_key (for the users, above) made the key file if there was none.
        image_links=ImageLinks(settings.secret_key_file.read_bytes()),
        playlist_files=PlaylistFiles(
            settings.playlists, settings.music_directory, settings.refresh_interval, users
        ),
        crate_playlists=crate_playlists,
        sonic=sonic,
        lastfm=LastfmInfo(settings.lastfm, settings.db),
    )


def create_app(settings: Settings) -> Flask:
    app = Flask(__name__)
    app.extensions["beetcrate"] = create_services(settings)
    app.register_blueprint(blueprint)
    return app
