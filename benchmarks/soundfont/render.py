"""MIDI to audio through TinySoundFont and the General MIDI SoundFont TimGM6mb, and audio to files.

TimGM6mb.sf2 (Tim Brechbill, GPL-2) ships inside the pretty_midi wheel; it is read from there
at benchmark time and never copied into this repository or into a generated set.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile
import tinysoundfont
from scipy import signal

from beetcrate import media
from benchmarks.soundfont.compose import DRUM_CHANNEL, MIX, Composition
from benchmarks.soundfont.model import Reverb

SOUNDFONT = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
TARGET_RMS_DB = -16.0  # loudness of a rendered track (RMS over the whole track)
PEAK_CEILING = 0.98


def _part_events(
    instrument: pretty_midi.Instrument, synth: tinysoundfont.Synth, channel: int
) -> list[tuple[float, int, Callable[[], object]]]:
    """The instrument's MIDI as (seconds, order, action) sorted; ``order`` puts controls and
    bends before note-offs before note-ons at the same instant."""
    events: list[tuple[float, int, Callable[[], object]]] = []
    for control in instrument.control_changes:
        action = partial(synth.control_change, channel, control.number, control.value)
        events.append((control.time, 0, action))
    for bend in instrument.pitch_bends:
        events.append((bend.time, 0, partial(synth.pitchbend, channel, bend.pitch + 8192)))
    for note in instrument.notes:
        events.append((note.start, 2, partial(synth.noteon, channel, note.pitch, note.velocity)))
        events.append((note.end, 1, partial(synth.noteoff, channel, note.pitch)))
    events.sort(key=lambda event: (event[0], event[1]))
    return events


def _stem(
    instrument: pretty_midi.Instrument, sample_rate: int, samples: int, soundfont: Path
) -> np.ndarray:
    """One part rendered alone: float32 (samples, 2), interleaved as TinySoundFont writes."""
    synth = tinysoundfont.Synth(samplerate=sample_rate)
    font = synth.sfload(str(soundfont))
    channel = DRUM_CHANNEL if instrument.is_drum else MIX[instrument.name].channel
    synth.program_select(channel, font, 0, instrument.program, is_drums=instrument.is_drum)
    audio = np.zeros((samples, 2), dtype=np.float32)
    position = 0
    for seconds, _, action in _part_events(instrument, synth, channel):
        sample = min(samples, round(seconds * sample_rate))
        if sample > position:
            synth.generate_simple(sample - position, audio[position:sample].data.cast("B"))
            position = sample
        action()
    if samples > position:
        synth.generate_simple(samples - position, audio[position:].data.cast("B"))
    return audio


def _reverb_send(instrument: pretty_midi.Instrument) -> float:
    sends = [control.value for control in instrument.control_changes if control.number == 91]
    return sends[-1] / 127 if sends else 0.0


def impulse_response(reverb: Reverb, sample_rate: int, seed: int) -> np.ndarray:
    """A room's stereo impulse response (2, n): 12 ms pre-delay, then decorrelated noise
    decaying 60 dB over ``reverb.decay`` seconds, darkened by a one-pole low-pass."""
    rng = np.random.default_rng(seed)
    predelay = round(0.012 * sample_rate)
    length = round(reverb.decay * sample_rate)
    decay = np.exp(-6.91 * np.arange(length) / length)
    tail = signal.lfilter([0.35], [1.0, -0.65], rng.standard_normal((2, length)) * decay, axis=1)
    tail /= np.sqrt(np.sum(tail**2, axis=1, keepdims=True))
    return np.concatenate([np.zeros((2, predelay)), tail], axis=1).astype(np.float32)


def render(
    composition: Composition, sample_rate: int = 44100, soundfont: Path = SOUNDFONT
) -> np.ndarray:
    """The composition as float32 stereo, shape (2, samples), ``labels.duration`` long: each
    part rendered by TinySoundFont, sent to the song's reverb at its CC 91 level, mixed and
    scaled to an RMS of ``TARGET_RMS_DB`` dBFS (lowered if a peak would pass 0.98)."""
    score = pretty_midi.PrettyMIDI(io.BytesIO(composition.midi))
    samples = round(composition.labels.duration * sample_rate)
    mix = np.zeros((samples, 2), dtype=np.float32)
    bus = np.zeros((samples, 2), dtype=np.float32)
    for instrument in score.instruments:
        if not instrument.notes:
            continue
        stem = _stem(instrument, sample_rate, samples, soundfont)
        mix += stem
        bus += np.float32(_reverb_send(instrument)) * stem
    reverb = composition.song.reverb
    if reverb is not None:
        room = impulse_response(reverb, sample_rate, composition.song.seed)
        for side in range(2):
            wet = signal.oaconvolve(bus[:, side], room[side])[:samples]
            mix[:, side] += np.float32(reverb.level) * wet.astype(np.float32)
    _normalise(mix)
    return np.ascontiguousarray(mix.T)


def _normalise(audio: np.ndarray) -> None:
    """Scale in place to ``TARGET_RMS_DB``, or less if a peak would pass ``PEAK_CEILING``."""
    flat = audio.ravel()
    rms = float(np.sqrt(np.dot(flat, flat) / flat.size))
    if rms == 0:
        return
    gain = 10 ** (TARGET_RMS_DB / 20) / rms
    peak = max(float(flat.max()), -float(flat.min())) * gain
    if peak > PEAK_CEILING:
        gain *= PEAK_CEILING / peak
    audio *= np.float32(gain)


class Codec(StrEnum):
    FLAC = "flac"
    WAV = "wav"
    MP3 = "mp3"
    VORBIS = "ogg"
    OPUS = "opus"
    AAC = "m4a"


@dataclass(frozen=True)
class AudioFormat:
    """How a track is stored: lossless PCM (``bit_depth``) or lossy (``bit_rate``, bits/s)."""

    codec: Codec
    bit_depth: int = 16
    bit_rate: int | None = None

    @property
    def suffix(self) -> str:
        return self.codec.value

    @property
    def name(self) -> str:
        if self.codec in (Codec.FLAC, Codec.WAV):
            return f"{self.codec.name.lower()}{self.bit_depth}"
        rate = f"_{self.bit_rate // 1000}k" if self.bit_rate else ""
        return f"{self.codec.name.lower()}{rate}"


FORMATS: dict[str, AudioFormat] = {
    fmt.name: fmt
    for fmt in (
        AudioFormat(Codec.FLAC, 16),
        AudioFormat(Codec.FLAC, 24),
        AudioFormat(Codec.WAV, 16),
        AudioFormat(Codec.WAV, 24),
        AudioFormat(Codec.MP3, bit_rate=320_000),
        AudioFormat(Codec.MP3, bit_rate=192_000),
        AudioFormat(Codec.MP3, bit_rate=128_000),
        AudioFormat(Codec.VORBIS, bit_rate=160_000),
        AudioFormat(Codec.OPUS, bit_rate=128_000),
        AudioFormat(Codec.AAC, bit_rate=192_000),
    )
}


def write(audio: np.ndarray, sample_rate: int, path: Path, fmt: AudioFormat) -> None:
    """Write (channels, samples) float audio to ``path`` (whose suffix must be the format's).

    Lossless PCM goes through libsndfile (16 or 24 bit; ``beetcrate.media`` writes 16-bit FLAC
    only, and no WAV); lossy codecs through the project's encoder, ``beetcrate.media``.
    """
    if path.suffix != f".{fmt.suffix}":
        raise ValueError(f"{path.name}: a {fmt.name} file must end in .{fmt.suffix}")
    if fmt.codec in (Codec.FLAC, Codec.WAV):
        subtype = {16: "PCM_16", 24: "PCM_24"}[fmt.bit_depth]
        soundfile.write(path, audio.T, sample_rate, subtype=subtype, format=fmt.codec.name)
    else:
        media.write_audio(path, audio, sample_rate, bit_rate=fmt.bit_rate)
