"""The one audio layer: probing, decoding and encoding through PyAV.

PyAV ships FFmpeg's decoders and the libopus, libmp3lame and FLAC encoders inside its wheel, so
nothing here needs an ``ffmpeg`` binary. Every part of beetcrate that reads or writes audio
(the server's transcoder, the Opus mirror, the analysis engine, duplicate fingerprints, the demo
library and the tests' fixtures) goes through these functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# suffix -> (container format, codec name, codec sample rate or None to keep the input's)
ENCODINGS: dict[str, tuple[str, str, int | None]] = {
    "flac": ("flac", "flac", None),
    "mp3": ("mp3", "libmp3lame", None),
    "opus": ("ogg", "libopus", 48000),
    "ogg": ("ogg", "vorbis", None),
    "m4a": ("mp4", "aac", None),
}


class MediaError(Exception):
    """A file that cannot be probed, decoded or encoded; the message says why in one line."""


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int
    duration: float
    bit_rate: int


def _open(path: str | Path) -> av.container.InputContainer:
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot open {path}: {exc}") from exc
    if not container.streams.audio:
        container.close()
        raise MediaError(f"no audio stream in {path}")
    return container


def probe(path: str | Path) -> AudioInfo:
    """Read the audio stream's format without decoding it."""
    with _open(path) as container:
        stream = container.streams.audio[0]
        # The container's duration is the reliable one (Ogg streams report a page's worth).
        if container.duration:
            duration = container.duration / av.time_base
        elif stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = 0.0
        return AudioInfo(
            codec=stream.codec_context.name,
            sample_rate=stream.codec_context.sample_rate,
            channels=stream.codec_context.channels,
            duration=duration,
            bit_rate=stream.codec_context.bit_rate or container.bit_rate or 0,
        )


def iter_decode(
    path: str | Path,
    sample_rate: int | None = None,
    mono: bool = False,
    block_frames: int = 1 << 16,
    start: float = 0.0,
) -> Iterator[np.ndarray]:
    """Yield float32 blocks of shape (channels, n) holding at most ``block_frames`` frames each.

    Memory stays bounded whatever the file's length, so a two-hour mix decodes as easily as a
    jingle. ``sample_rate`` and ``mono`` resample and downmix in FFmpeg's resampler.
    """
    with _open(path) as container:
        stream = container.streams.audio[0]
        layout = "mono" if mono else ("stereo" if stream.codec_context.channels >= 2 else "mono")
        resampler = av.AudioResampler(
            format="fltp", layout=layout, rate=sample_rate or stream.codec_context.sample_rate
        )
        if start > 0:
            container.seek(int(start / stream.time_base), stream=stream)
        pending: list[np.ndarray] = []
        pending_frames = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray())
                    pending_frames += out.samples
                if pending_frames >= block_frames:
                    block = np.concatenate(pending, axis=1)
                    yield block[:, :block_frames]
                    rest = block[:, block_frames:]
                    pending, pending_frames = ([rest], rest.shape[1]) if rest.size else ([], 0)
            for out in resampler.resample(None):
                pending.append(out.to_ndarray())
        except av.FFmpegError as exc:
            raise MediaError(f"cannot decode {path}: {exc}") from exc
        if pending:
            block = np.concatenate(pending, axis=1)
            for begin in range(0, block.shape[1], block_frames):
                yield block[:, begin : begin + block_frames]


def decode(
    path: str | Path, sample_rate: int | None = None, mono: bool = False
) -> tuple[np.ndarray, int]:
    """Decode a whole file: float32 samples of shape (channels, n), and the sample rate."""
    rate = sample_rate or probe(path).sample_rate
    blocks = list(iter_decode(path, sample_rate=rate, mono=mono))
    if not blocks:
        raise MediaError(f"no audio decoded from {path}")
    return np.concatenate(blocks, axis=1), rate


def write_audio(
    path: str | Path,
    samples: np.ndarray,
    sample_rate: int,
    bit_rate: int | None = None,
    metadata: dict[str, str] | None = None,
) -> None:
    """Encode float samples of shape (channels, n) in [-1, 1] to a file named by its suffix.

    The suffix picks the encoding (see ``ENCODINGS``). Used to write the demo library and the
    tests' fixtures; the streaming transcoder has its own incremental encoder.
    """
    suffix = Path(path).suffix.lstrip(".").lower()
    if suffix not in ENCODINGS:
        raise MediaError(f"cannot encode .{suffix} files")
    container_format, codec, codec_rate = ENCODINGS[suffix]
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    out_rate = codec_rate or sample_rate
    with av.open(str(path), "w", format=container_format) as container:
        # FFmpeg's own Vorbis encoder is flagged experimental; it is what the wheel ships.
        options = {"strict": "experimental"} if codec == "vorbis" else {}
        stream = container.add_stream(codec, rate=out_rate, layout=layout, options=options)
        if bit_rate:
            stream.bit_rate = bit_rate
        for key, value in (metadata or {}).items():
            container.metadata[key] = value
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name,
            layout=layout,
            rate=out_rate,
            frame_size=stream.codec_context.frame_size or 4096,
        )
        chunk = 4096
        for begin in range(0, samples.shape[1], chunk):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[:, begin : begin + chunk]),
                format="fltp",
                layout=layout,
            )
            frame.sample_rate = sample_rate
            # Timestamps let the muxer write correct Ogg granule positions (and so durations).
            frame.pts = begin
            frame.time_base = Fraction(1, sample_rate)
            for out in resampler.resample(frame):
                container.mux(stream.encode(out))
        for out in resampler.resample(None):
            container.mux(stream.encode(out))
        container.mux(stream.encode(None))
