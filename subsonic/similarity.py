"""How alike two artists or two songs are, from what the library itself knows.

No outside service: artists are alike when their music is of the same genres (and, as a lesser
part, of the same tempo); songs when they share genres, come from alike artists and, where the
DJ analysis measured them, are close in tempo, key and energy. Every part is a number from 0
to 1; a score adds them with the weights below. Pure functions: ``subsonic.library`` fetches
the candidates, ``subsonic.info`` ranks them with these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from beetcrate.crates.keys import maybe_key

# How much each part counts; genres decide first.
GENRE_WEIGHT = 1.0
ARTIST_WEIGHT = 0.5
TEMPO_WEIGHT = 0.5
KEY_WEIGHT = 0.25
ENERGY_WEIGHT = 0.25
# Tempos further apart than this share (6%: a DJ's pitch fader) count as not alike at all.
TEMPO_RANGE = 0.06


def genre_overlap(mine: Mapping[str, float], theirs: Mapping[str, float]) -> float:
    """How much of two genre profiles (genre -> amount) is the same: the sum over genres of
    the smaller share. 1 for the same mix of genres, 0 for none in common."""
    my_total, their_total = sum(mine.values()), sum(theirs.values())
    if not my_total or not their_total:
        return 0.0
    return sum(
        min(amount / my_total, theirs[genre] / their_total)
        for genre, amount in mine.items()
        if genre in theirs
    )


def tempo_closeness(mine: float | None, theirs: float | None) -> float:
    """1 for the same tempo, falling to 0 at ``TEMPO_RANGE`` apart; 0 if either is unknown."""
    if not mine or not theirs:
        return 0.0
    return max(0.0, 1.0 - abs(mine - theirs) / (TEMPO_RANGE * mine))


def tempo_window(tempo: float) -> tuple[float, float]:
    """The tempos within ``TEMPO_RANGE`` of ``tempo``."""
    return tempo * (1 - TEMPO_RANGE), tempo * (1 + TEMPO_RANGE)


def key_closeness(mine: str | None, theirs: str | None) -> float:
    """On the Camelot wheel: 1 for the same key, 0.75 for a neighbour a DJ mixes into (one
    step round the wheel, or the relative major/minor), 0 otherwise or if either is unknown."""
    a, b = maybe_key(mine), maybe_key(theirs)
    if a is None or b is None:
        return 0.0
    if a == b:
        return 1.0
    return 0.75 if b in a.mixes_into() else 0.0


def energy_closeness(mine: float | None, theirs: float | None) -> float:
    """1 for the same energy, less as one is a smaller part of the other; 0 if unknown."""
    if not mine or not theirs:
        return 0.0
    return min(mine, theirs) / max(mine, theirs)


@dataclass(frozen=True)
class Seed:
    """What songs similar to a song, an album or an artist are compared with."""

    genres: Mapping[str, float]
    # Alike artists and how alike (0 to 1); the seed's own artists count fully.
    artists: Mapping[str, float]
    tempo: float | None = None
    camelot: str | None = None
    energy: float | None = None


@dataclass(frozen=True)
class Song:
    """A candidate song's traits."""

    genres: tuple[str, ...]
    artist_ids: tuple[str, ...]
    tempo: float | None = None
    camelot: str | None = None
    energy: float | None = None


# When the seed was analysed, the sonic engine's similarity (0 to 1) takes the place of the
# tempo, key and energy parts, with their weight together.
SONIC_WEIGHT = TEMPO_WEIGHT + KEY_WEIGHT + ENERGY_WEIGHT


def song_score(seed: Seed, song: Song, sonic: float | None = None) -> float:
    """How alike ``song`` is to the seed; ``sonic`` is the sonic engine's similarity of the
    two (``beetcrate.crates.sonic``) when the seed is an analysed song."""
    genres = genre_overlap(seed.genres, dict.fromkeys(song.genres, 1.0))
    artist = max((seed.artists.get(artist_id, 0.0) for artist_id in song.artist_ids), default=0.0)
    if sonic is not None:
        sound = SONIC_WEIGHT * sonic
    else:
        sound = (
            TEMPO_WEIGHT * tempo_closeness(seed.tempo, song.tempo)
            + KEY_WEIGHT * key_closeness(seed.camelot, song.camelot)
            + ENERGY_WEIGHT * energy_closeness(seed.energy, song.energy)
        )
    return GENRE_WEIGHT * genres + ARTIST_WEIGHT * artist + sound


# The highest ``artist_score``: same genres, same tempo.
ARTIST_SCORE_MAX = GENRE_WEIGHT + TEMPO_WEIGHT


def artist_score(
    my_genres: Mapping[str, float],
    their_genres: Mapping[str, float],
    my_tempo: float | None,
    their_tempo: float | None,
) -> float:
    return GENRE_WEIGHT * genre_overlap(my_genres, their_genres) + TEMPO_WEIGHT * (
        tempo_closeness(my_tempo, their_tempo)
    )
