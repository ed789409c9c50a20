"""MIDI to audio through TinySoundFont and the General MIDI SoundFont TimGM6mb, and audio to files.

TimGM6mb.sf2 (Tim Brechbill, GPL-2) ships inside the pretty_midi wheel; it is read from there
at benchmark time and never copied into this repository or into a generated set.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile
import tinysoundfont

from beetcrate import media
from benchmarks.soundfont.compose import DRUM_CHANNEL, MIX, Composition

SOUNDFONT = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
TARGET_RMS_DB = -16.0  # loudness of a rendered track (RMS over the whole track)
PEAK_CEILING = 0.98


def _events(score: pretty_midi.PrettyMIDI) -> list[tuple[float, int, int, tuple[int, ...]]]:
    """(seconds, order, channel, message) sorted; order puts controls before note-offs before
    note-ons at the same instant. Messages: (0, control, value), (1, pitch), (2, pitch, vel),
    (3, bend)."""
    events: list[tuple[float, int, int, tuple[int, ...]]] = []
    for instrument in score.instruments:
        channel = DRUM_CHANNEL if instrument.is_drum else MIX[instrument.name][0]
        for control in instrument.control_changes:
            events.append((control.time, 0, channel, (0, control.number, control.value)))
        for bend in instrument.pitch_bends:
            events.append((bend.time, 0, channel, (3, bend.pitch)))
        for note in instrument.notes:
            events.append((note.start, 2, channel, (2, note.pitch, note.velocity)))
            events.append((note.end, 1, channel, (1, note.pitch)))
    events.sort(key=lambda event: (event[0], event[1]))
    return events


def render(
    composition: Composition, sample_rate: int = 44100, soundfont: Path = SOUNDFONT
) -> np.ndarray:
    """The composition as float32 stereo, shape (2, samples), ``labels.duration`` long,
    scaled to an RMS of ``TARGET_RMS_DB`` dBFS (lowered if a peak would pass 0.98)."""
    score = pretty_midi.PrettyMIDI(io.BytesIO(composition.midi))
    synth = tinysoundfont.Synth(samplerate=sample_rate)
    font = synth.sfload(str(soundfont))
    for instrument in score.instruments:
        channel = DRUM_CHANNEL if instrument.is_drum else MIX[instrument.name][0]
        synth.program_select(channel, font, 0, instrument.program, is_drums=instrument.is_drum)
    total = round(composition.labels.duration * sample_rate)
    audio = np.zeros((total, 2), dtype=np.float32)
    position = 0
    for seconds, _, channel, message in _events(score):
        sample = min(total, round(seconds * sample_rate))
        if sample > position:
            synth.generate_simple(sample - position, audio[position:sample].data.cast("B"))
            position = sample
        match message:
            case (0, control, value):
                synth.control_change(channel, control, value)
            case (1, pitch):
                synth.noteoff(channel, pitch)
            case (2, pitch, velocity):
                synth.noteon(channel, pitch, velocity)
            case (3, bend):
                synth.pitchbend(channel, bend + 8192)
    if total > position:
        synth.generate_simple(total - position, audio[position:].data.cast("B"))
    return _normalised(audio.T.copy())


def _normalised(audio: np.ndarray) -> np.ndarray:
    flat = audio.ravel()
    rms = float(np.sqrt(np.dot(flat, flat) / flat.size))
    if rms == 0:
        return audio
    gain = 10 ** (TARGET_RMS_DB / 20) / rms
    peak = float(np.max(np.abs(audio))) * gain
    if peak > PEAK_CEILING:
        gain *= PEAK_CEILING / peak
    return (audio * gain).astype(np.float32)


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
