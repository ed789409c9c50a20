"""Chromaprint fingerprints without ``fpcalc``, computed once per audio and kept in the sidecar.

Fingerprints come from essentia's built-in Chromaprinter: the same algorithm and the same
compressed base64 string as ``fpcalc``, so they fill beets' ``acoustid_fingerprint`` and AcoustID
accepts them. Silence at either end is cut first, so a copy with silence added or trimmed lines up
with the original. The duplicate finder groups copies by them and the identify stage looks them
up on AcoustID: both get them through ``fingerprint_of``, which computes a file's fingerprint only
when the sidecar holds none for its audio yet (keyed by the audio hash of ``beetcrate.audiohash``).
"""

from __future__ import annotations

import base64
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import sqlite_utils

from beetcrate import audiohash, media, sidecar

RATE = 11025  # Chromaprint's own working rate: decoding straight to it saves a resampling
MAX_SECONDS = 120.0  # what fpcalc and AcoustID fingerprint by default
SILENCE = 10 ** (-50 / 20)  # -50 dBFS: below it, a sample counts as silence


class TooShort(media.MediaError):
    """Too little audible audio for Chromaprint to compute a single sub-fingerprint."""


@dataclass(frozen=True)
class Fingerprint:
    encoded: str  # Chromaprint's compressed base64 string, as fpcalc prints it
    duration: float  # seconds of audible audio (silence at both ends left out)

    @property
    def values(self) -> np.ndarray:
        return decode_fingerprint(self.encoded)


def fingerprint(path: str | Path, max_seconds: float = MAX_SECONDS) -> Fingerprint:
    """Decode ``path`` once, trim its silence and fingerprint up to ``max_seconds`` of it."""
    es = essentia_algorithms()

    kept: list[np.ndarray] = []  # audible audio, up to max_seconds
    silent_tail: list[np.ndarray] = []  # silence that may turn out to be inside the song
    budget = int(max_seconds * RATE)
    first = last = None
    position = 0
    for block in media.iter_decode(path, sample_rate=RATE, mono=True):
        samples = block[0]
        loud = np.flatnonzero(np.abs(samples) > SILENCE)
        if loud.size:
            begin = 0
            if first is None:
                first = position + loud[0]
                begin = loud[0]
            kept += silent_tail
            kept.append(samples[begin : loud[-1] + 1])
            silent_tail = [samples[loud[-1] + 1 :]]
            last = position + loud[-1] + 1
        elif first is not None:
            silent_tail.append(samples)
        position += samples.size
        # The whole file is decoded (its audible duration counts), but memory stays bounded.
        kept = _cap(kept, budget)
        silent_tail = _cap(silent_tail, budget)
    if first is None or last is None:
        raise media.MediaError(f"no audible audio in {os.fspath(path)}")
    audio = np.concatenate(kept) if kept else np.zeros(0, np.float32)
    if audio.size < RATE:
        raise TooShort(f"less than a second of audio in {os.fspath(path)}")
    encoded = es.Chromaprinter(sampleRate=RATE, maxLength=0)(audio.astype(np.float32))
    # Chromaprint's first sub-fingerprint needs a few seconds: shorter audio gives none.
    if decode_fingerprint(encoded).size == 0:
        raise TooShort(f"too little audio to fingerprint in {os.fspath(path)}")
    return Fingerprint(encoded=encoded, duration=(last - first) / RATE)


@functools.cache
def essentia_algorithms() -> ModuleType:
    """essentia's algorithms, imported on first use (a second's work) without its info chatter."""
    import essentia

    essentia.log.infoActive = False
    import essentia.standard

    return essentia.standard


def _cap(blocks: list[np.ndarray], budget: int) -> list[np.ndarray]:
    """The first ``budget`` samples of ``blocks``."""
    if sum(b.size for b in blocks) <= budget:
        return blocks
    out, left = [], budget
    for b in blocks:
        out.append(b[:left])
        left -= out[-1].size
    return out


def decode_fingerprint(encoded: str) -> np.ndarray:
    """Chromaprint's compressed fingerprint to its uint32 sub-fingerprints (pure numpy).

    Layout: one byte algorithm, three bytes count, then for each sub-fingerprint XORed with the
    previous one the gaps between its set bits as 3-bit numbers (0 ends a sub-fingerprint, 7
    means "add the next 5-bit exception"), the exceptions packed after them.
    """
    try:
        data = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a Chromaprint fingerprint: {exc}") from exc
    if len(data) < 4:
        raise ValueError("not a Chromaprint fingerprint: too short")
    count = int.from_bytes(data[1:4], "big")
    if count == 0:
        return np.zeros(0, np.uint32)
    bits = np.unpackbits(np.frombuffer(data[4:], np.uint8), bitorder="little")
    triples = bits[: bits.size // 3 * 3].reshape(-1, 3) @ np.array([1, 2, 4])
    ends = np.flatnonzero(triples == 0)
    if ends.size < count:
        raise ValueError("not a Chromaprint fingerprint: truncated")
    gaps = triples[: ends[count - 1] + 1] if count else triples[:0]
    escapes = np.flatnonzero(gaps == 7)
    extra_bits = bits[(gaps.size * 3 + 7) // 8 * 8 :]
    if extra_bits.size < escapes.size * 5:
        raise ValueError("not a Chromaprint fingerprint: truncated exceptions")
    gaps = gaps.copy()
    gaps[escapes] += extra_bits[: escapes.size * 5].reshape(-1, 5) @ np.array([1, 2, 4, 8, 16])
    # Bit positions restart after each terminating zero: a cumulative sum reset per group.
    group = np.concatenate([[0], np.cumsum(gaps == 0)[:-1]])
    running = np.cumsum(gaps)
    group_start = np.concatenate([[0], running[ends[: count - 1]]]) if count else running[:0]
    position = running - group_start[group]
    set_bits = gaps != 0
    values = np.zeros(count, np.uint64)
    np.bitwise_or.at(
        values,
        group[set_bits],
        np.left_shift(np.uint64(1), (position[set_bits] - 1).astype(np.uint64)),
    )
    return np.bitwise_xor.accumulate(values.astype(np.uint32))


# The sidecar's fingerprints -------------------------------------------------------------------

# Bumped when ``fingerprint`` computes differently: older stored fingerprints are then recomputed.
ALGORITHM = 1


def _initial(db: sqlite_utils.Database) -> None:
    sidecar.run_script(
        db,
        """
        CREATE TABLE fingerprints (
            audio_hash TEXT PRIMARY KEY,
            algorithm INTEGER NOT NULL,
            encoded TEXT NOT NULL,
            duration REAL NOT NULL
        );
        """,
    )


MIGRATIONS = [_initial]


def prepare(db: sqlite_utils.Database) -> None:
    """Create the fingerprint table in the sidecar if it is not there yet."""
    sidecar.migrate(db, "fingerprints", MIGRATIONS)


def stored(db: sqlite_utils.Database, audio_hash: str) -> Fingerprint | None:
    """The fingerprint computed earlier for this audio, if any (and by today's algorithm)."""
    row = db.execute(
        "SELECT encoded, duration FROM fingerprints WHERE audio_hash = ? AND algorithm = ?",
        (audio_hash, ALGORITHM),
    ).fetchone()
    return Fingerprint(encoded=row[0], duration=row[1]) if row else None


def remember(db: sqlite_utils.Database, audio_hash: str, print_: Fingerprint) -> None:
    with db.conn:
        db.execute(
            "INSERT OR REPLACE INTO fingerprints (audio_hash, algorithm, encoded, duration)"
            " VALUES (?, ?, ?, ?)",
            (audio_hash, ALGORITHM, print_.encoded, print_.duration),
        )


def fingerprint_of(
    db: sqlite_utils.Database, path: str | Path, audio_hash: str | None = None
) -> Fingerprint:
    """The fingerprint of ``path``'s audio: the stored one, else computed now and stored.

    Raises ``TooShort`` for audio too short to fingerprint and ``media.MediaError`` for files
    that cannot be decoded.
    """
    key = audio_hash or audiohash.audio_hash(path)
    known = stored(db, key)
    if known is not None:
        return known
    computed = fingerprint(path)
    remember(db, key, computed)
    return computed
