"""The seams between the server, the plugins and the shared core hold (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from beetcrate.transcode import Profile, TranscodeConfig
from subsonic.app import create_app
from tests.subsonic.conftest import Api, MusicLibrary, build_library

ROOT = Path(__file__).resolve().parents[2]
# What a web worker must never load: the DJ engine and its numeric stack, command-line code.
# (The ``analysis`` package itself only holds ANALYSIS_VERSION; its modules are the engine.)
HEAVY = ("librosa", "scipy", "essentia", "numba", "sklearn", "tqdm")
PLUGIN_MODULES_THE_SERVER_MAY_LOAD = {
    "beetsplug",
    "beetsplug.dj",
    "beetsplug.dj.fields",
    "beetsplug.dj.messages",
    "beetsplug.dj.store",
    "beetsplug.dupes",
    "beetsplug.dupes.model",
    "beetsplug.dupes.rank",
    "beetsplug.dupes.store",
    "beetsplug.opus",
    "beetsplug.opus.state",
}

SERVE_ONE_REQUEST = """
import json, sys
from pathlib import Path
from beetcrate.settings import Settings
from subsonic.app import create_app

paths = {name: Path(value) for name, value in json.loads(sys.argv[1]).items()}
client = create_app(Settings(**paths, refresh_interval=0.0)).test_client()
query = {"u": "alice", "p": "open sesame", "v": "1.16.1", "c": "t", "f": "json"}
assert client.get("/rest/getAlbumList2", query_string={**query, "type": "newest"}).json
assert client.get("/beetcrate/dj/analysis", query_string={**query, "id": "tr-1"}).status_code
print(json.dumps(sorted(sys.modules)))
"""
PATH_SETTINGS = ("beets_library", "music_directory", "db", "secret_key_file", "cache_dir")


def _modules_loaded_serving(library: MusicLibrary) -> list[str]:
    paths = {name: str(getattr(library.settings, name)) for name in PATH_SETTINGS}
    result = subprocess.run(
        [sys.executable, "-c", SERVE_ONE_REQUEST, json.dumps(paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_creating_the_app_and_serving_loads_no_heavy_module_and_no_plugin_internals(
    music_library: MusicLibrary,
) -> None:
    loaded = _modules_loaded_serving(music_library)
    heavy = sorted(
        {name for name in loaded if name.split(".")[0] in HEAVY or name.startswith("analysis.")}
    )
    assert heavy == []
    plugins = {name for name in loaded if name.startswith("beetsplug")}
    assert plugins <= PLUGIN_MODULES_THE_SERVER_MAY_LOAD, (
        plugins - PLUGIN_MODULES_THE_SERVER_MAY_LOAD
    )


def test_two_apps_with_different_settings_in_one_process_serve_independently(
    tmp_path: Path,
) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = build_library(tmp_path / "first")
    second = build_library(tmp_path / "second")
    mp3 = TranscodeConfig(profiles={"mp3": Profile("mp3", 160)}, default="mp3")
    apps = [
        create_app(first.settings),
        create_app(replace(second.settings, transcode=mp3, hide_duplicates=True)),
    ]
    songs = []
    for app, library in zip(apps, (first, second), strict=True):
        api = Api(app.test_client())
        song_id = f"tr-{library.items['blue1'].id}"
        songs.append(api.ok("getSong", id=song_id)["song"])
        folders = api.ok("getMusicFolders")["musicFolders"]["musicFolder"]
        assert folders[0]["name"] == library.settings.music_directory.name
    assert songs[0]["transcodedSuffix"] == "opus"
    assert songs[1]["transcodedSuffix"] == "mp3"
    assert [app.extensions["beetcrate"].settings.db for app in apps] == [
        first.settings.db,
        second.settings.db,
    ]
