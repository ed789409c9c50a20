"""The synthetic library: metadata as plain JSON, and audio files as hardlinks of a few samples.

The metadata is generated once per size and written to ``metadata.json``; both beets libraries
(beetcrate's, built with the project's beets, and Beetstream's, built with beets 2.5 in its own
virtualenv) are built from that one file by ``build_library.py``, so both servers serve exactly
the same songs, albums and artists, with the same beets ids.

Shape: about 10 tracks per album and 5 albums per artist, 2% compilations, 1% singletons,
weighted genres, years 1960-2024. Titles draw words from a Zipf-distributed vocabulary, so one
word is very common and many are rare; the benchmark searches for the most common word and for
a word found in only a few titles. Title words and name words come from disjoint vocabularies of
six-letter words, so a word search means the same on both servers (FTS5 prefix match in
beetcrate, substring match in Beetstream).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from beetcrate import media
from beetcrate.synth import tones

SEED = 20261122
SAMPLE_RATE = 44100
# A file system allows about 65000 hardlinks per inode; this many variants per format keeps
# 100k tracks far below that.
SAMPLE_VARIANTS = 4
# (suffix, beets format name, share of tracks, nominal bitrate, bit depth)
FORMATS = [
    ("flac", "FLAC", 0.5, 900_000, 16),
    ("mp3", "MP3", 0.4, 320_000, 0),
    ("opus", "Opus", 0.1, 128_000, 0),
]
GENRES = {
    "Rock": 14, "Pop": 12, "Electronic": 10, "Jazz": 8, "Hip-Hop": 8, "Classical": 6,
    "Metal": 6, "Folk": 5, "Soul": 4, "Ambient": 4, "Blues": 4, "Reggae": 3, "Punk": 3,
    "Country": 3, "Funk": 3, "Techno": 3, "House": 3, "Latin": 2, "World": 2, "Indie": 4,
    "Soundtrack": 2, "Disco": 1, "Gospel": 1, "Ska": 1, "Drum and Bass": 1,
}  # fmt: skip
TITLE_VOCABULARY = 4000
NAME_VOCABULARY = 1500
VARIOUS_ARTISTS = "Various Artists"


@dataclass(frozen=True)
class Generated:
    """Where a generated library's metadata and music live, and its search words."""

    metadata: Path
    music: Path
    tracks: int
    albums: int
    rare_word: str
    common_word: str
    # How many titles hold each of the two words.
    rare_titles: int
    common_titles: int


def _words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """Distinct consonant-vowel words of three syllables, none a prefix of another."""
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    syllables = [c + v for c in consonants for v in vowels]
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(syllables) for _ in range(3))
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def _title(
    rng: random.Random, vocabulary: list[str], weights: list[float], low: int, high: int
) -> str:
    words = rng.choices(vocabulary, weights, k=rng.randint(low, high))
    return " ".join(word.capitalize() for word in words)


def generate_metadata(tracks: int, seed: int = SEED) -> dict:
    """Albums with their tracks, and singletons, totalling exactly ``tracks`` songs."""
    rng = random.Random(seed)
    taken: set[str] = set()
    title_words = _words(rng, TITLE_VOCABULARY, taken)
    name_words = _words(rng, NAME_VOCABULARY, taken)
    zipf = [1.0 / (rank + 1) for rank in range(len(title_words))]
    flat = [1.0] * len(name_words)
    genres, genre_weights = list(GENRES), list(GENRES.values())
    formats = [f[0] for f in FORMATS]
    format_weights = [f[2] for f in FORMATS]
    epoch = 1_700_000_000

    artists: list[str] = []
    seen_artists: set[str] = set()

    def new_artist() -> str:
        while True:
            name = _title(rng, name_words, flat, 1, 2)
            name = f"The {name}" if rng.random() < 0.15 else name
            if name not in seen_artists:
                seen_artists.add(name)
                artists.append(name)
                return name

    def track(title_artist: str, album_format: str, number: int, disc: int) -> dict:
        suffix = album_format if rng.random() > 0.02 else rng.choices(formats, format_weights)[0]
        return {
            "title": _title(rng, title_words, zipf, 1, 4),
            "artist": title_artist,
            "track": number,
            "disc": disc,
            "length": round(rng.uniform(90, 420), 3),
            "suffix": suffix,
            "sample": rng.randrange(SAMPLE_VARIANTS),
            "added": epoch - rng.randrange(3 * 365 * 86400),
        }

    albums: list[dict] = []
    singletons: list[dict] = []
    remaining = tracks
    while remaining > 0:
        artist = new_artist()
        for _ in range(rng.randint(1, 9)):
            if remaining <= 0:
                break
            if rng.random() < 0.01:
                singletons.append(track(artist, rng.choices(formats, format_weights)[0], 0, 0))
                remaining -= 1
                continue
            size = min(remaining, rng.randint(6, 14))
            compilation = rng.random() < 0.02
            discs = 2 if size >= 12 and rng.random() < 0.1 else 1
            album_format = rng.choices(formats, format_weights)[0]
            per_disc = -(-size // discs)
            album_tracks = []
            for n in range(size):
                performer = new_artist() if compilation else artist
                disc, number = divmod(n, per_disc)
                album_tracks.append(track(performer, album_format, number + 1, disc + 1))
            # One genre mostly, two for a fifth of the albums.
            album_genres = dict.fromkeys(
                rng.choices(genres, genre_weights, k=1 + (rng.random() < 0.2))
            )
            albums.append(
                {
                    "album": _title(rng, name_words, flat, 1, 3),
                    "albumartist": VARIOUS_ARTISTS if compilation else artist,
                    "comp": compilation,
                    "year": rng.randint(1960, 2024),
                    "genres": list(album_genres),
                    "disctotal": discs,
                    "tracks": album_tracks,
                }
            )
            remaining -= size

    counts = Counter(
        word.lower()
        for song in itertools.chain(singletons, *(a["tracks"] for a in albums))
        for word in set(song["title"].split())
    )
    # The rare word: found in a handful of titles (the least frequent word seen at least 3 times).
    rare = min((n, word) for word, n in counts.items() if n >= 3)[1] if counts else title_words[-1]
    return {
        "tracks": tracks,
        "albums": albums,
        "singletons": singletons,
        "common_word": counts.most_common(1)[0][0],
        "rare_word": rare,
        "word_counts": {"common": counts.most_common(1)[0][1], "rare": counts[rare]},
        # What build_library.py needs to fill beets' technical fields per file suffix.
        "formats": {suffix: [name, bitrate, depth] for suffix, name, _, bitrate, depth in FORMATS},
    }


def _write_samples(folder: Path) -> dict[tuple[str, int], Path]:
    """A few two-second tones per format: the only audio that is actually encoded."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = {}
    for (suffix, *_), variant in itertools.product(FORMATS, range(SAMPLE_VARIANTS)):
        path = folder / f"tone-{variant}.{suffix}"
        if not path.exists():
            tone = tones.sine(2.0, 220.0 * (variant + 1), SAMPLE_RATE)
            media.write_audio(path, tone, SAMPLE_RATE)
        samples[(suffix, variant)] = path
    return samples


def _safe(name: str) -> str:
    return name.replace("/", "_")


def place_files(metadata: dict, music: Path, samples: dict[tuple[str, int], Path]) -> None:
    """Give every track a path of its own in the usual Artist/Album layout, as a hardlink."""

    def link(song: dict, folder: Path, stem: str) -> None:
        path = folder / f"{stem}.{song['suffix']}"
        song["path"] = str(path)
        if not path.exists():
            os.link(samples[(song["suffix"], song["sample"])], path)

    for album in metadata["albums"]:
        folder = music / _safe(album["albumartist"]) / _safe(f"{album['album']} ({album['year']})")
        folder.mkdir(parents=True, exist_ok=True)
        for song in album["tracks"]:
            link(song, folder, _safe(f"{song['disc']}-{song['track']:02d} {song['title']}"))
    for n, song in enumerate(metadata["singletons"]):
        folder = music / _safe(song["artist"]) / "Singles"
        folder.mkdir(parents=True, exist_ok=True)
        link(song, folder, _safe(f"{n:05d} {song['title']}"))


def generate(root: Path, tracks: int) -> Generated:
    """Metadata and files for a library of ``tracks`` songs under ``root`` (cached there)."""
    metadata_path = root / "metadata.json"
    music = root / "music"
    if not metadata_path.exists():
        metadata = generate_metadata(tracks)
        place_files(metadata, music, _write_samples(root / "samples"))
        partial = metadata_path.with_suffix(".partial")
        partial.write_text(json.dumps(metadata))
        partial.rename(metadata_path)
    metadata = json.loads(metadata_path.read_text())
    return Generated(
        metadata=metadata_path,
        music=music,
        tracks=metadata["tracks"],
        albums=len(metadata["albums"]),
        rare_word=metadata["rare_word"],
        common_word=metadata["common_word"],
        rare_titles=metadata["word_counts"]["rare"],
        common_titles=metadata["word_counts"]["common"],
    )
