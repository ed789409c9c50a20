"""Replay docs/identify.md's walkthrough against the test fakes, to refresh its output.

    PYTHONPATH=$PWD .venv/bin/python -m tests.identify.walkthrough /tmp/walkthrough

Starts the local MusicBrainz and AcoustID servers the tests use, makes a home under the folder
given (emptied first) with ``~/incoming`` (the typo-tagged album as ``Granite Lantern/``, two
tagless files as ``untitled.flac`` and ``track07.flac``) and a beets configuration
(``plugins: musicbrainz identify provenance``, beets' default ``import:`` settings, colours
off), then runs each step as its own ``beet`` process and prints what it printed, with the home
shortened to ``~``. A developer's tool: not run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.identify.catalogue import Catalogue, Kind, LibraryFile, messy_library, write_files
from tests.identify.fakes import FakeAcoustid, FakeMusicBrainz, catalogue_prints

# The walkthrough's steps, in order ("title::^$" is "items without a title").
STEPS: tuple[tuple[str, ...], ...] = (
    ("import", "~/incoming/Granite Lantern"),
    ("import", "-s", "~/incoming/untitled.flac"),
    ("import", "-A", "-s", "~/incoming/track07.flac"),
    ("identify", "title::^$"),
    ("identify", "--json", "title::^$"),
    ("identify", "--apply", "title::^$"),
    ("provenance", "show", "title:Copper Engines"),
    ("provenance", "revert", "title:Copper Engines", "--source", "import:fingerprint"),
    ("provenance", "show", "title:Copper Engines"),
    ("provenance", "show", "id:4"),
    ("provenance", "revert", "id:4"),
    ("provenance", "show", "title:Copper Engines"),
    ("provenance", "log", "id:4"),
)


def write_incoming(
    files: list[LibraryFile], catalogue: Catalogue, scratch: Path, home: Path
) -> None:
    """``~/incoming`` as the walkthrough describes it."""
    written = scratch / "files"
    write_files(files, written)
    incoming = home / "incoming"
    typos = [spec for spec in files if spec.kind is Kind.TYPOS and not spec.singleton]
    release = next(r for r in catalogue.releases if typos[0].recording in r.recordings)
    (incoming / release.title).mkdir(parents=True)
    for spec in typos:
        shutil.copy(written / spec.path, incoming / release.title / Path(spec.path).name)
    tagless = [spec for spec in files if spec.kind is Kind.TAGLESS and spec.singleton]
    # untitled.flac is Copper Engines, track07.flac Paper Velvet.
    shutil.copy(written / tagless[1].path, incoming / "untitled.flac")
    shutil.copy(written / tagless[0].path, incoming / "track07.flac")


def beet(args: tuple[str, ...], home: Path, env: dict[str, str]) -> None:
    """Run one step as a ``beet`` process and print it as a console session shows it."""
    shown = " ".join(f"'{arg}'" if " " in arg else arg for arg in args)
    print(f"$ beet {shown}", flush=True)
    argv = [arg.replace("~", str(home), 1) if arg.startswith("~/") else arg for arg in args]
    done = subprocess.run(
        [sys.executable, "-m", "beets", *argv],
        env=env,
        capture_output=True,
        text=True,
        cwd=home,
        check=False,
    )
    print((done.stdout + done.stderr).replace(str(home), "~"), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where to make the home (emptied first)")
    root = parser.parse_args().folder.resolve()
    if root.exists():
        shutil.rmtree(root)
    home, scratch = root / "home", root / "scratch"
    beetsdir = home / ".config" / "beets"
    beetsdir.mkdir(parents=True)
    scratch.mkdir()
    catalogue, files = messy_library(sets=1)
    write_incoming(files, catalogue, scratch, home)
    musicbrainz = FakeMusicBrainz(catalogue)
    acoustid = FakeAcoustid(catalogue, catalogue_prints(catalogue, scratch / "acoustid"))
    try:
        settings = {
            "directory": str(home / "music"),
            "library": str(beetsdir / "library.db"),
            "plugins": ["musicbrainz", "identify", "provenance"],
            "musicbrainz": {"host": musicbrainz.host, "https": False, "ratelimit": 100},
            "identify": {"acoustid": {"apikey": acoustid.apikey, "url": acoustid.url}},
            "ui": {"color": False},
            "create_backup_before_migrations": False,  # a new library: nothing to back up
        }
        (beetsdir / "config.yaml").write_text(yaml.safe_dump(settings))
        env = dict(os.environ, HOME=str(home), BEETSDIR=str(beetsdir))
        for step in STEPS:
            beet(step, home, env)
    finally:
        musicbrainz.close()
        acoustid.close()


if __name__ == "__main__":
    main()
