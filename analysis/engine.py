"""``analyze(path)``: decode a track once, in blocks, and compute every feature from it.

Decoding streams through ``beetcrate.media.iter_decode`` at 44.1 kHz; each block goes to the
collectors (loudness on the stereo signal; spectra, chroma and danceability on the mono mix;
the timbre on the spectra),
which keep only compact per-frame summaries. When the stream ends the pure functions of the
feature modules turn those summaries into the ``Analysis``. Memory is bounded by the block size
plus a few tens of bytes per 5.8 ms frame, whatever the track's length.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from threadpoolctl import threadpool_limits

from analysis import (
    ANALYSIS_VERSION,
    character,
    cues,
    key,
    loudness,
    spectral,
    tempo,
    timbre,
    waveform,
)
from beetcrate import media

SAMPLE_RATE = 44100
BLOCK_FRAMES = 1 << 17  # about 3 s per decoded block
MIN_SECONDS = 0.5


class AnalysisError(Exception):
    """The file cannot be analysed; the message says why in one line."""


@dataclass(frozen=True)
class Analysis:
    duration: float
    rhythm: tempo.Rhythm
    key: key.Key | None
    loudness: loudness.Loudness
    energy: float
    danceability: float
    # MFCC means and deviations (``analysis.timbre``); None when nothing sounded.
    timbre: tuple[float, ...] | None
    waveforms: list[waveform.Waveform]
    cues: list[cues.Cue]
    analysis_version: int = ANALYSIS_VERSION
    # Seconds spent per stage, for the benchmark.
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def replaygain_gain(self) -> float:
        return loudness.replaygain(self.loudness.integrated)

    def scalars(self) -> dict[str, object]:
        """Every single-valued feature, JSON-ready."""
        k = self.key
        return {
            "analysis_version": self.analysis_version,
            "duration": round(self.duration, 3),
            "bpm": self.rhythm.bpm,
            "bpm_confidence": self.rhythm.confidence,
            "beat_consistency": self.rhythm.consistency,
            "key": k.name if k else None,
            "initial_key": k.beets if k else None,
            "camelot": k.camelot if k else None,
            "openkey": k.openkey if k else None,
            "key_strength": k.strength if k else 0.0,
            "tuning_cents": k.tuning_cents if k else None,
            "lufs": self.loudness.integrated,
            "loudness_range": self.loudness.range,
            "true_peak": self.loudness.true_peak,
            "replaygain_track_gain": self.replaygain_gain,
            "replaygain_track_peak": round(self.loudness.sample_peak, 6),
            "energy": self.energy,
            "danceability": self.danceability,
            "timbre": list(self.timbre) if self.timbre is not None else None,
        }


def analyze(
    path: str | Path, preferred_tempo: tuple[float, float] = tempo.DEFAULT_RANGE
) -> Analysis:
    """Analyse one audio file on one core. Raises ``AnalysisError`` if it cannot be analysed.

    The matrix products here are small; multi-threaded BLAS only spins idle threads (several
    times the CPU for the same result) and workers already run one analysis per core.
    """
    with threadpool_limits(limits=1):
        return _analyze(path, preferred_tempo)


def _analyze(path: str | Path, preferred_tempo: tuple[float, float]) -> Analysis:
    timings: dict[str, float] = defaultdict(float)
    try:
        info = media.probe(path)
    except media.MediaError as exc:
        raise AnalysisError(str(exc)) from exc
    channels = min(2, max(1, info.channels))
    meter = loudness.LoudnessMeter(SAMPLE_RATE, channels)
    spectra = spectral.SpectralCollector(SAMPLE_RATE)
    chroma = key.ChromaCollector(SAMPLE_RATE)
    dance = character.DanceabilityCollector(SAMPLE_RATE)
    colour = timbre.TimbreCollector(SAMPLE_RATE)
    samples = 0
    clock = time.process_time()
    try:
        for block in media.iter_decode(path, sample_rate=SAMPLE_RATE, block_frames=BLOCK_FRAMES):
            clock = _lap(timings, "decode", clock)
            samples += block.shape[1]
            meter.feed(block[:channels])
            clock = _lap(timings, "loudness", clock)
            mono = block.mean(axis=0)
            power = spectra.feed(mono)
            clock = _lap(timings, "spectra", clock)
            colour.feed(power)
            clock = _lap(timings, "timbre", clock)
            chroma.feed(mono)
            clock = _lap(timings, "chroma", clock)
            dance.feed(mono)
            clock = _lap(timings, "danceability", clock)
    except media.MediaError as exc:
        raise AnalysisError(str(exc)) from exc
    duration = samples / SAMPLE_RATE
    if not samples:
        raise AnalysisError(f"no audio decoded from {path}")
    if duration < MIN_SECONDS:
        raise AnalysisError(f"too short to analyse ({duration:.2f} s of audio)")
    # A cut file's first seconds are not the track: its tempo, key, cues and loudness would be
    # stored, shown and trusted, and wrong. The Opus mirror refuses a cut source the same way;
    # the file fails (nothing stored) until a whole copy replaces it.
    if media.truncated(duration, info.duration):
        raise AnalysisError(
            f"truncated file {path}: decoded {duration:.1f} s of {info.duration:.1f} s"
        )
    frames = spectra.result()
    clock = time.process_time()
    harmony = chroma.result()
    clock = _lap(timings, "chroma", clock)
    rhythm = tempo.track(frames, harmony.frames, harmony.rate, preferred_tempo)
    clock = _lap(timings, "tempo", clock)
    musical_key = key.estimate_key(harmony, rhythm.downbeats)
    clock = _lap(timings, "key", clock)
    levels = waveform.zoom_levels(frames.amplitude, frames.rate)
    clock = _lap(timings, "waveform", clock)
    cue_points = cues.find_cues(rhythm.downbeats, frames)
    clock = _lap(timings, "cues", clock)
    danceability = dance.result()
    clock = _lap(timings, "danceability", clock)
    return Analysis(
        duration=duration,
        rhythm=rhythm,
        key=musical_key,
        loudness=meter.result(),
        energy=character.energy(frames.amplitude),
        danceability=danceability,
        timbre=colour.result(),
        waveforms=levels,
        cues=cue_points,
        timings=dict(timings),
    )


def _lap(timings: dict[str, float], stage: str, since: float) -> float:
    now = time.process_time()
    timings[stage] += now - since
    return now
