"""Tracks for the crate engine's tests: one with chosen features, and random libraries."""

from __future__ import annotations

import numpy as np

from beetcrate.crates.keys import Key, parse_key
from beetcrate.crates.tracks import Track


def track(
    item_id: int,
    bpm: float | None = 124.0,
    key: str | None = "8A",
    energy: float | None = 0.2,
    danceability: float | None = 1.5,
    lufs: float | None = -9.0,
    timbre: tuple[float, ...] | None = (0.0,) * 20,
) -> Track:
    return Track(
        id=item_id,
        path=f"/music/{item_id}.flac",
        title=f"track {item_id}",
        artist="someone",
        bpm=bpm,
        key=parse_key(key) if key else None,
        energy=energy,
        danceability=danceability,
        lufs=lufs,
        timbre=timbre,
    )


def random_library(
    count: int,
    seed: int,
    missing: float = 0.05,
    first_id: int = 1,
    tempo: tuple[float, float] = (70.0, 180.0),
) -> list[Track]:
    """Tracks with random features (any key, tempos in ``tempo``); ``missing`` of each feature
    unknown."""
    rng = np.random.default_rng(seed)

    def known() -> bool:
        return bool(rng.random() >= missing)

    return [
        Track(
            id=first_id + i,
            path=f"/music/{first_id + i}.flac",
            title=f"track {first_id + i}",
            artist="someone",
            bpm=round(float(rng.uniform(*tempo)), 2) if known() else None,
            key=Key(int(rng.integers(1, 13)), bool(rng.random() < 0.5)) if known() else None,
            energy=round(float(rng.gamma(4, 0.04)), 4) if known() else None,
            danceability=round(float(rng.uniform(0.5, 3)), 3) if known() else None,
            lufs=round(float(rng.uniform(-20, -5)), 2) if known() else None,
            timbre=tuple(np.round(rng.normal(0, 10, 20), 2).tolist()) if known() else None,
        )
        for i in range(count)
    ]
