"""The demo library: thirty synthesized tracks imported into a real beets library, offline.

``build_demo(root)`` renders music with ``beetcrate.synth.songs``, tags it with mediafile (beets'
own tag layer), draws cover art with Pillow and imports everything with ``beet import`` as-is, the
autotagger off, so nothing goes to the network. A newcomer without a collection gets albums (one
on two discs), a compilation and singles in FLAC, MP3 and Ogg Opus, with embedded and folder
cover art, and two duplicate copies of catalog tracks.

The demo shows every plugin beetcrate ships, already run: the DJ analysis (``beet dj``), an Opus
mirror (``beet opus``), the duplicate groups (``beet dupes``) and example crates (``beet crate``).
None of them needs the network; the build runs them with local processes, so no queue worker is
needed either.

The true tempo, key and structure of every track go to ``ground_truth.json`` beside the library,
never into it: the analysis has to find them on its own, and its tests check it against the file.
"""

from __future__ import annotations

import colorsys
import io
import json
import os
import random
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from beets.library import Library
from mediafile import Image, ImageType, MediaFile
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from tqdm import tqdm

from beetcrate import media
from beetcrate.synth import songs

# Bump when the catalog, the rendering or what the build runs changes: existing demos are then
# rebuilt.
DEMO_VERSION = 2
MARKER = ".beetcrate-demo"
# The sidecar and the queue beside the library hold what the plugins found about this library's
# items, so they belong to the demo: a rebuilt library with an old sidecar would show old
# analyses, mirror records and groups.
SIDECAR_FILES = tuple(
    f"{name}{suffix}"
    for name in ("beetcrate.db", "beetcrate-queue.db")
    for suffix in ("", "-wal", "-shm")
)
# Everything build_demo creates under root; a rebuild removes these and nothing else.
_OWNED = (
    MARKER,
    "config.yaml",
    "library.db",
    "music",
    "opus",
    "crates",
    "dupes-trash",
    "staging",
    "state.pickle",
    "ground_truth.json",
    *SIDECAR_FILES,
)

BIT_RATES = {"flac": None, "mp3": 192_000, "opus": 96_000}


class DemoError(Exception):
    """The demo cannot be built; the message says why."""


@dataclass(frozen=True)
class Track:
    """One track: what to synthesize (tempo, key, drum pattern, length, sections) and its tags."""

    title: str
    bpm: float
    key: str
    mode: str
    pattern: str
    seconds: float
    artist: str = ""  # empty: the release's artist
    genre: str = ""  # empty: the release's genre
    suffix: str = ""  # empty: the release's format
    disc: int = 1
    intro_bars: int = 0
    breakdown_bar: int | None = None


@dataclass(frozen=True)
class Release:
    """An album, or with ``title=None`` a single imported as a beets singleton."""

    title: str | None
    artist: str
    year: int
    genre: str
    suffix: str
    tracks: tuple[Track, ...]
    folder_art: bool = False
    embedded_art: bool = False
    compilation: bool = False
    disc_titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Copy:
    """A second copy of a catalog track, imported as a singleton, for ``beet dupes`` to find.

    Without a ``suffix`` it is the very file under other tags (an exact-audio duplicate: only a
    hash of the audio finds it); with one, the track decoded and encoded again in that format at
    ``bit_rate`` (the same recording: only a fingerprint finds it).
    """

    artist: str  # the catalog track copied: its artist and title
    title: str
    tagged_artist: str  # the copy's own artist tag
    suffix: str = ""
    bit_rate: int | None = None


VARIOUS = "Various Artists"

CATALOG: tuple[Release, ...] = (
    Release(
        "Northbound Lights", "Harbor Static", 2019, "Electronic", "flac", folder_art=True,
        tracks=(
            Track("First Light", 122.0, "A", "minor", "four_on_the_floor", 34, intro_bars=8),
            Track("Coastline", 124.0, "C", "major", "four_on_the_floor", 26),
            Track("Ferry at Dawn", 118.5, "E", "minor", "breakbeat", 28),
            Track("Salt Wind", 126.0, "G", "major", "four_on_the_floor", 24),
            Track("Lighthouse Keeper", 120.0, "D", "minor", "half_time", 30),
            Track("Northbound", 128.0, "F", "major", "four_on_the_floor", 36, breakdown_bar=8),
        ),
    ),
    Release(
        "Tidal Archive", "Mira Vance", 2021, "House", "opus", folder_art=True,
        disc_titles=("Day", "Night"),
        tracks=(
            Track("Morning Tide", 120.0, "Bb", "major", "four_on_the_floor", 25),
            Track("Sunlit Floor", 123.0, "G", "minor", "four_on_the_floor", 22),
            Track("Tide Pool", 121.5, "Eb", "major", "four_on_the_floor", 27),
            Track("High Water", 125.0, "C", "minor", "four_on_the_floor", 23),
            Track("Undertow", 118.0, "F#", "minor", "four_on_the_floor", 24, disc=2),
            Track("Night Swim", 122.0, "B", "minor", "breakbeat", 29, disc=2),
            Track("Phosphor", 126.5, "D", "major", "four_on_the_floor", 21, disc=2),
            Track("Low Water", 116.0, "A", "major", "half_time", 26, disc=2),
        ),
    ),
    Release(
        "Low Tide Sessions, Vol. 1", VARIOUS, 2023, "Electronic", "opus", embedded_art=True,
        compilation=True,
        tracks=(
            Track("Dune Grass", 98.0, "E", "major", "half_time", 27, "Oda Lind", "Downtempo"),
            Track("Pier 9", 172.0, "G#", "minor", "breakbeat", 30, "Kiln", "Drum & Bass",
                  "flac"),
            Track("Brine", 132.0, "C#", "minor", "four_on_the_floor", 24, "Pale Circuit", "Techno"),
            Track("Kelp Forest", 85.0, "A", "minor", "half_time", 28, "Juno Marsh", "Hip-Hop",
                  "mp3"),
            Track("Shoreline Radio", 110.0, "F", "minor", "breakbeat", 25, "Sable & Finch",
                  "Breaks"),
            Track("Last Ferry", 140.0, "D", "major", "four_on_the_floor", 22, "Mira Vance",
                  "Trance", "mp3"),
        ),
    ),
    Release(
        "Half Light", "The Quiet Engines", 2015, "Hip-Hop", "mp3", folder_art=True,
        embedded_art=True,
        tracks=(
            Track("Dust Motes", 88.0, "C", "minor", "half_time", 30),
            Track("Slow Shutter", 92.5, "Ab", "major", "breakbeat", 26),
            Track("Porch Light", 76.0, "B", "major", "half_time", 28),
            Track("Tape Hiss", 95.0, "E", "minor", "breakbeat", 22),
            Track("Afterglow", 82.0, "Db", "major", "half_time", 32),
        ),
    ),
    Release(
        None, "Kiln", 2024, "Drum & Bass", "opus", embedded_art=True,
        tracks=(
            Track("Resin", 174.0, "F", "minor", "breakbeat", 40, intro_bars=8, breakdown_bar=16),
        ),
    ),
    Release(
        None, "Oda Lind", 2012, "Ambient", "flac",
        tracks=(Track("Slow Orbit", 70.0, "G", "major", "half_time", 34),),
    ),
    Release(
        None, "Pale Circuit", 2020, "Techno", "mp3", embedded_art=True,
        tracks=(Track("Gridlock", 135.0, "Bb", "minor", "four_on_the_floor", 30, intro_bars=8),),
    ),
    Release(
        None, "Juno Marsh", 2017, "Jungle", "flac", embedded_art=True,
        tracks=(Track("Paper Boats", 165.5, "Eb", "minor", "breakbeat", 28),),
    ),
    Release(
        None, "Harbor Static", 2022, "Electronic", "mp3",
        tracks=(Track("Signal (Single Edit)", 124.0, "F#", "major", "four_on_the_floor", 20),),
    ),
)  # fmt: skip

COPIES: tuple[Copy, ...] = (
    # A stray download of the single: the same MP3 audio, tagged by someone else.
    Copy("Pale Circuit", "Gridlock", "P. Circuit"),
    # A 128 kbps MP3 made from the album's FLAC.
    Copy("Harbor Static", "Northbound", "Harbor Static", "mp3", 128_000),
)

# The example crates (docs/crates.md), file name -> text. Their rules fit the catalog's tempos
# and keys, so that each holds tracks once the analysis has found them.
CRATES: dict[str, str] = {
    "warm-up.yaml": (
        "name: Warm-up\n"
        "comment: Around 120 BPM and 8A (A minor), each step a harmonic mix\n"
        "all:\n"
        "  - bpm: {near: 120, tolerance: 2}\n"
        "  - harmonic: {key: 8A}\n"
        "order: mix\n"
        "curve: rise\n"
    ),
    "peak-time.yaml": (
        "name: Peak time\n"
        "comment: The most energetic tracks between 124 and 142 BPM\n"
        "inTheRange: {tempo: [124, 142]}\n"
        "sort: -energy\n"
        "limit: 6\n"
    ),
    "rollers.yaml": (
        "name: Rollers\n"
        "comment: Drum & bass tempo, half-time tracks included\n"
        "bpm: {near: 172, tolerance: 3, halfDouble: true}\n"
        "sort: tempo\n"
    ),
    "lossless.nsp": json.dumps(
        {
            "name": "Lossless",
            "comment": "A Navidrome smart playlist, as is: the FLAC files, newest release first",
            "all": [{"is": {"filetype": "flac"}}],
            "sort": "year",
            "order": "desc",
        },
        indent=2,
    ),
}

# Local processes for the synthesis, the analysis, the mirror and the scan: no queue worker
# needed. More than four would spend longer loading the analysis engine than analysing thirty
# short tracks.
JOBS = min(4, os.cpu_count() or 1)
# What the build runs once the library is imported, in this order: the analysis writes tempo and
# key into the files, so the mirror copies them and the scan hashes the files as they stay.
PLUGIN_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Analysing tempo, key and energy", ("dj", "analyze", "--jobs", str(JOBS))),
    ("Encoding the Opus mirror", ("opus", "sync", "--jobs", str(JOBS))),
    ("Finding the duplicates", ("dupes", "scan", "--jobs", str(JOBS))),
    ("Evaluating the example crates", ("crate", "refresh")),
)


def _marker(root: Path) -> dict:
    try:
        return json.loads((root / MARKER).read_text())
    except (OSError, ValueError):
        return {}


def is_complete(root: Path) -> bool:
    """Whether ``root`` holds a finished demo of the current version."""
    marker = _marker(root)
    return (
        marker.get("version") == DEMO_VERSION
        and marker.get("complete") is True
        and (root / "config.yaml").is_file()
        and (root / "library.db").is_file()
    )


def build_demo(
    root: Path,
    quiet: bool = False,
    catalog: tuple[Release, ...] = CATALOG,
    copies: tuple[Copy, ...] = COPIES,
) -> Path:
    """Build the demo library under ``root`` unless it is already there; return its beets config.

    A complete demo of the current version is left alone. A half-built or outdated one is removed
    (only what this function creates: see ``_OWNED``) and built again. A folder holding a beets
    library that is not a demo is refused rather than overwritten.
    """
    root = Path(root).resolve()
    config = root / "config.yaml"
    if is_complete(root):
        return config
    _clear(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text(json.dumps({"version": DEMO_VERSION, "complete": False}))
    _write_config(root)
    staging = root / "staging"
    truth = _render(catalog, copies, staging, quiet)
    _say(quiet, "Importing into beets (as-is, offline)...")
    # -A: as-is, no autotagger; -s: the singles folder holds singletons, not an album.
    for folder, flags in (("albums", ()), ("singles", ("-s",))):
        if (staging / folder).is_dir():
            _beet(root, "import", "-q", "-A", *flags, str(staging / folder))
    tracks = sum(len(release.tracks) for release in catalog) + len(copies)
    _finish_library(root, catalog, staging, truth, tracks)
    shutil.rmtree(staging)
    (root / "crates").mkdir()
    for name, text in CRATES.items():
        (root / "crates" / name).write_text(text)
    for label, command in PLUGIN_STAGES:
        _say(quiet, f"{label} (beet {' '.join(command)})...")
        _beet(root, *command)
    _check_analysed(root)
    (root / MARKER).write_text(json.dumps({"version": DEMO_VERSION, "complete": True}))
    _say(quiet, f"Demo library ready: {config}")
    return config


def _say(quiet: bool, line: str) -> None:
    if not quiet:
        print(line, flush=True)


def _clear(root: Path) -> None:
    present = [name for name in _OWNED if (root / name).exists()]
    if not present:
        return
    if not (root / MARKER).exists():
        raise DemoError(
            f"{root} holds {', '.join(present)} but is not a beetcrate demo; not touching it"
        )
    for name in present:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def _write_config(root: Path) -> None:
    # JSON strings are YAML strings, so any path survives quoting.
    def path(name: str) -> str:
        return json.dumps(str(root / name))

    (root / "config.yaml").write_text(
        "# The beetcrate demo library, built by `beetcrate demo`. Delete this folder to rebuild.\n"
        f"directory: {path('music')}\n"
        f"library: {path('library.db')}\n"
        "# beetcrate's plugins, all offline. None of beets' own: its default musicbrainz plugin\n"
        "# would reach for the network (identify, without it and an AcoustID key, says so once).\n"
        "plugins: [opus, dj, dupes, crates, identify]\n"
        f"statefile: {path('state.pickle')}\n"
        "create_backup_before_migrations: no\n"
        "paths:\n"
        "  # Multi-disc albums: disc-track numbers keep each disc's files together.\n"
        "  'disctotal:2..': '$albumartist/$album%aunique{}/$disc-$track $title'\n"
        "import:\n"
        "  copy: yes\n"
        "  write: yes\n"
        "  autotag: no\n"
        "  resume: no\n"
        "  incremental: no\n"
        "opus:\n"
        f"  directory: {path('opus')}\n"
        "dupes:\n"
        "  # The build scans once, after the analysis has written its tags into the files;\n"
        "  # `yes` scans what each import adds.\n"
        "  auto: no\n"
        f"  trash: {path('dupes-trash')}\n"
        "crates:\n"
        f"  directory: {path('crates')}\n"
    )


def _render(
    catalog: tuple[Release, ...], copies: tuple[Copy, ...], staging: Path, quiet: bool
) -> dict[tuple[str, str], dict]:
    """Synthesize, tag and stage every track and copy; return the ground truth keyed by the
    (artist, title) of the tags: a copy's is its track's."""
    truth: dict[tuple[str, str], dict] = {}
    staged: dict[tuple[str, str], Path] = {}
    work: list[tuple[Path, Release, Track, int]] = []  # what _stage_track does, in processes
    tracks = [
        (index, release, track) for index, release in enumerate(catalog) for track in release.tracks
    ]
    for index, release, track in tracks:
        folder = staging / ("singles" if release.title is None else f"albums/{index:02d}")
        folder.mkdir(parents=True, exist_ok=True)
        if release.folder_art and not (folder / "cover.jpg").exists():
            (folder / "cover.jpg").write_bytes(cover_art(release, 600))
        name = (track.artist or release.artist, track.title)
        if name in truth:
            raise ValueError(f"two tracks named {track.title!r} by {name[0]} in the catalog")
        seed = len(staged)
        staged[name] = folder / f"{seed:02d}.{track.suffix or release.suffix}"
        work.append((staged[name], release, track, seed))
        truth[name] = {
            "bpm": track.bpm,
            "key": track.key,
            "mode": track.mode,
            "pattern": track.pattern,
            "intro_bars": track.intro_bars,
            "breakdown_bar": track.breakdown_bar,
        }
    # Synthesis takes most of the build: one process per core.
    with ProcessPoolExecutor(max_workers=JOBS) as pool:
        done = as_completed([pool.submit(_stage_track, *one) for one in work])
        for future in tqdm(
            done, total=len(work), desc="Synthesizing demo", unit="track", disable=quiet
        ):
            future.result()
    for number, copy in enumerate(copies, start=len(staged)):
        source = staged.get((copy.artist, copy.title))
        if source is None:
            raise ValueError(f"no track {copy.title!r} by {copy.artist} in the catalog to copy")
        (staging / "singles").mkdir(parents=True, exist_ok=True)
        suffix = f".{copy.suffix}" if copy.suffix else source.suffix
        _stage_copy(copy, source, staging / "singles" / f"{number:02d}{suffix}")
        truth[(copy.tagged_artist, copy.title)] = truth[(copy.artist, copy.title)]
    return truth


def _stage_track(path: Path, release: Release, track: Track, seed: int) -> None:
    """Synthesize one track into ``path`` (its suffix names the format) and tag it."""
    samples = songs.render_track(
        track.bpm, track.key, track.mode, track.seconds, track.pattern, seed,
        intro_bars=track.intro_bars, breakdown_bar=track.breakdown_bar,
    )  # fmt: skip
    media.write_audio(path, samples, songs.SAMPLE_RATE, bit_rate=BIT_RATES[path.suffix[1:]])
    _tag(path, release, track)


def _stage_copy(copy: Copy, source: Path, path: Path) -> None:
    """Write ``copy`` of the staged file ``source`` to ``path``, tagged with a title and an
    artist only, as a file from elsewhere often is."""
    if copy.suffix:
        samples, rate = media.decode(source)
        media.write_audio(path, samples, rate, bit_rate=copy.bit_rate)
    else:
        shutil.copyfile(source, path)
        # Removing the tags leaves the audio as it is: byte for byte the source's.
        MediaFile(str(path)).delete()
    file = MediaFile(str(path))
    file.update({"title": copy.title, "artist": copy.tagged_artist})
    file.save()


def _tag(path: Path, release: Release, track: Track) -> None:
    tags: dict[str, object] = {
        "title": track.title,
        "artist": track.artist or release.artist,
        "genre": track.genre or release.genre,
        "year": release.year,
    }
    if release.title is not None:
        on_disc = [t for t in release.tracks if t.disc == track.disc]
        tags |= {
            "album": release.title,
            "track": on_disc.index(track) + 1,
            "tracktotal": len(on_disc),
            "disc": track.disc,
            "disctotal": max(t.disc for t in release.tracks),
            "comp": release.compilation,
        }
        # A compilation's files name no album artist: that is how beets' as-is import recognises
        # one (artists differ) and sets ``comp`` and "Various Artists" itself.
        if not release.compilation:
            tags["albumartist"] = release.artist
        if release.disc_titles:
            tags["disctitle"] = release.disc_titles[track.disc - 1]
    file = MediaFile(str(path))
    file.update(tags)
    if release.embedded_art:
        file.images = [Image(data=cover_art(release, 500), type=ImageType.front)]
    file.save()


def _beet(root: Path, *args: str) -> None:
    """Run ``beet`` in its own process with the demo's config as its only config.

    ``BEETSDIR`` keeps the user's own beets config (and its plugins) out, and a separate process
    keeps beets' global configuration in this one untouched for the server that follows. ``-P``
    keeps the working folder off ``sys.path``: a ``timeit.py`` there would otherwise stand in for
    the standard library's in beets and in the analysis.
    """
    command = [sys.executable, "-P", "-m", "beets", "-c", str(root / "config.yaml"), *args]
    env = {**os.environ, "BEETSDIR": str(root)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DemoError(f"beet {' '.join(args)} failed: {result.stderr.strip()[-2000:]}")


def _finish_library(
    root: Path,
    catalog: tuple[Release, ...],
    staging: Path,
    truth: dict[tuple[str, str], dict],
    tracks: int,
) -> None:
    """Check what beets imported, give albums their folder art, write the ground truth by path."""
    lib = Library(str(root / "library.db"), str(root / "music"))
    try:
        # A quiet import skips what it cannot import and still succeeds: count what arrived.
        imported = len(lib.items())
        if imported != tracks:
            raise DemoError(f"beet import took {imported} of {tracks} demo tracks")
        albums = {album.album: album for album in lib.albums()}
        for index, release in enumerate(catalog):
            if release.folder_art:
                album = albums[release.title]
                cover = Path(os.fsdecode(album.item_dir())) / "cover.jpg"
                shutil.copyfile(staging / f"albums/{index:02d}" / "cover.jpg", cover)
                album.artpath = os.fsencode(cover)
                album.store()
        manifest = {}
        for item in lib.items():
            path = Path(os.fsdecode(item.path)).relative_to(root).as_posix()
            manifest[path] = truth[(item.artist, item.title)]
    finally:
        lib._close()
    (root / "ground_truth.json").write_text(json.dumps(dict(sorted(manifest.items())), indent=2))


def _check_analysed(root: Path) -> None:
    """Refuse a demo whose analysis missed a track: ``beet dj analyze`` reports such a track and
    goes on (its exit status stays 0), and without tempo and key the crates stay empty."""
    lib = Library(str(root / "library.db"), str(root / "music"))
    try:
        missed = [item.title for item in lib.items() if item.get("dj_analysis_version") is None]
    finally:
        lib._close()
    if missed:
        raise DemoError(
            f"beet dj analyze did not analyse {', '.join(missed)}: see `beet dj status`"
        )


def cover_art(release: Release, size: int) -> bytes:
    """A JPEG cover in the style of a record sleeve: gradient, shapes, artist and title.

    Drawn from a seed made of the release's names, so every release has its own, stable cover.
    """
    rng = random.Random(f"{release.artist}/{release.title}")
    hue = rng.random()
    top = _color(hue, 0.55, 0.9)
    bottom = _color((hue + rng.uniform(0.15, 0.4)) % 1, 0.7, 0.35)
    image = PILImage.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        mix = y / (size - 1)
        draw.line(
            [(0, y), (size, y)],
            fill=tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    shapes = PILImage.new("RGBA", (size, size))
    shape_draw = ImageDraw.Draw(shapes)
    for _ in range(rng.randint(3, 7)):
        cx, cy = rng.uniform(0, size), rng.uniform(0, size)
        r = rng.uniform(size * 0.05, size * 0.3)
        fill = (*_color(rng.random(), 0.5, 1.0), rng.randint(60, 150))
        if rng.random() < 0.5:
            shape_draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
        else:
            shape_draw.rectangle([cx - r, cy - r / 3, cx + r, cy + r / 3], fill=fill)
    image = PILImage.alpha_composite(image.convert("RGBA"), shapes).convert("RGB")
    draw = ImageDraw.Draw(image)
    margin = size // 16
    for text, height, anchor, y in (
        (release.artist.upper(), size // 18, "la", margin),
        (release.title or release.tracks[0].title, size // 11, "ld", size - margin),
    ):
        font = _fitting_font(draw, text, height, size - 2 * margin)
        draw.text((margin + 2, y + 2), text, font=font, anchor=anchor, fill=(0, 0, 0))
        draw.text((margin, y), text, font=font, anchor=anchor, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def _fitting_font(
    draw: ImageDraw.ImageDraw, text: str, height: int, width: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at ``height`` pixels, smaller if the text would run off the cover."""
    font = ImageFont.load_default(size=height)
    while height > 8 and draw.textlength(text, font=font) > width:
        height -= 2
        font = ImageFont.load_default(size=height)
    return font


def _color(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)
