"""The one audio layer: probing, decoding and encoding through PyAV.

PyAV ships FFmpeg's decoders and the libopus, libmp3lame and FLAC encoders inside its wheel, so
nothing here needs an ``ffmpeg`` binary. Every part of beetcrate that reads or writes audio
(the server's transcoder, the Opus mirror, the analysis engine, duplicate fingerprints, the demo
library and the tests' fixtures) goes through these functions.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.frame import Frame
from av.stream import Stream

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
    """Open ``path`` for reading its audio. Tags are decoded leniently: an invalid UTF-8 byte in
    one tag (which taggers write) must not make a sound file unplayable; audio never needs them.
    """
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot open {path}: {exc}") from exc
    # A demuxer chosen by the file's name may "find" a stream in garbage: no rate, no channels.
    audio = container.streams.audio
    if not audio or not audio[0].codec_context.sample_rate or not audio[0].codec_context.channels:
        container.close()
        raise MediaError(f"no audio stream in {path}")
    return container


def _time_base(timed: Stream | Frame, path: str | Path) -> Fraction:
    """The time base of a stream or a decoded frame; a file without one is a ``MediaError``."""
    if timed.time_base is None:
        raise MediaError(f"no time base in {path}")
    return timed.time_base


def _add_audio_stream(
    container: OutputContainer, codec: str, rate: int, layout: str, options: dict[str, str]
) -> AudioStream:
    """Add an encoder's stream to ``container``; every codec named here encodes audio."""
    stream = container.add_stream(codec, rate=rate, layout=layout, options=options)
    if not isinstance(stream, AudioStream):
        raise MediaError(f"{codec} is not an audio encoder")
    return stream


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
) -> Generator[np.ndarray, None, None]:
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
            container.seek(int(start / _time_base(stream, path)), stream=stream)
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
    bit_depth: int | None = None,
    quality: float | None = None,
) -> None:
    """Encode float samples of shape (channels, n) in [-1, 1] to a file named by its suffix.

    The suffix picks the encoding (see ``ENCODINGS``). ``bit_depth`` 24 writes 24-bit FLAC
    (default 16); ``quality`` asks for a variable bit rate instead of ``bit_rate``, on the
    encoder's own scale (LAME's V0-V9 for MP3, Vorbis' q0-q10). Used to write the demo library
    and the tests' and benchmarks' fixtures; the streaming transcoder has its own incremental
    encoder.
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
        stream = _add_audio_stream(container, codec, out_rate, layout, options)
        if bit_rate:
            stream.bit_rate = bit_rate
        if bit_depth == 24 and codec == "flac":
            stream.codec_context.format = "s32"  # FFmpeg's FLAC encoder writes 24 of its bits
        elif bit_depth not in (None, 16):
            raise MediaError(f"cannot write {bit_depth}-bit .{suffix} files")
        if quality is not None:
            # FFmpeg's quality scale: lambda units, with the qscale flag saying it is meant.
            stream.codec_context.qscale = True
            stream.codec_context.global_quality = round(quality * 118)  # FF_QP2LAMBDA
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


# Streaming encodings: suffix -> (container format, codec, sample format, output rate or None).
# libopus only runs at 48 kHz; LAME keeps the source's rate when it can (see _output_rate).
STREAM_ENCODINGS: dict[str, tuple[str, str, str, int | None]] = {
    "opus": ("ogg", "libopus", "flt", 48000),
    "mp3": ("mp3", "libmp3lame", "fltp", None),
}
_MP3_RATES = (48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)

# A decode that stops this far short of the container's declared length is a truncated file.
_TRUNCATION_TOLERANCE = 0.95


def truncated(decoded: float, declared: float) -> bool:
    """Whether ``decoded`` seconds of audio fall short of the ``declared`` length (0: unknown)
    by more than codec padding explains: the file was cut, so what it holds is not the track."""
    return bool(declared) and decoded < declared * _TRUNCATION_TOLERANCE


class _Sink:
    """A write-only, non-seekable file for the muxer: it collects bytes until taken."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _output_rate(suffix: str, source_rate: int) -> int:
    fixed = STREAM_ENCODINGS[suffix][3]
    if fixed:
        return fixed
    return source_rate if source_rate in _MP3_RATES else 44100


# What Ogg framing adds to libopus' bit rate (measured: 1.2-1.3 kbps from 32 to 96 kbps), how
# far over its target constrained VBR may run, and the lowest rate libopus takes.
OGG_OPUS_OVERHEAD = 1500
OPUS_VBR_OVERSHOOT = 0.015
MIN_OPUS_BPS = 6000


def encode_stream(
    path: str | Path,
    suffix: str = "opus",
    bit_rate: int = 128_000,
    start: float = 0.0,
    channels: int = 2,
    constant_bit_rate: bool = False,
    metadata: Mapping[str, str] | None = None,
) -> Generator[bytes, None, None]:
    """Transcode ``path`` and yield the container's bytes as the muxer produces them.

    The first chunk (the container's headers and the first audio) comes out after one decoded
    frame, and each later chunk is a muxer flush (an Ogg page, a few MP3 frames), so a client
    starts playing at once. ``start`` skips into the source (seek, then trim to the exact
    sample) and the output's timestamps start at zero. ``constant_bit_rate`` makes libopus hold
    the bitrate exactly, so the size is known in advance (LAME is always constant at a set
    bitrate). ``metadata`` are the tags the output carries (``title``, ``artist``…, as
    FFmpeg names them). Closing the generator stops the work at the next chunk: nothing runs
    in the background. Errors raise ``MediaError``, possibly after some bytes were yielded.
    """
    if suffix not in STREAM_ENCODINGS:
        raise MediaError(f"cannot stream-encode .{suffix}")
    container_format, codec, sample_format, _ = STREAM_ENCODINGS[suffix]
    source = _open(path)
    sink = _Sink()
    try:
        in_stream = source.streams.audio[0]
        declared = source.duration / av.time_base if source.duration else 0.0
        rate = _output_rate(suffix, in_stream.codec_context.sample_rate)
        layout = "stereo" if channels >= 2 and in_stream.codec_context.channels >= 2 else "mono"
        output = av.open(sink, "w", format=container_format)
        for key, value in (metadata or {}).items():
            output.metadata[key] = value
        try:
            # libopus's free VBR overshoots its target on music with strong transients (measured
            # on drum loops: 96 kbps asked, 118-139 kbps given), and a bit rate asked for is a
            # cap the listener's connection or data plan has. Constrained VBR keeps to it (97
            # kbps) and still spends bits where the music needs them; CBR is for when a length
            # was promised up front.
            vbr = "off" if constant_bit_rate else "constrained"
            options = {"vbr": vbr} if codec == "libopus" else {}
            out_stream = _add_audio_stream(output, codec, rate, layout, options)
            # A bit rate asked for is a cap on what is sent. Ogg pages cost about 1.2 kbps on
            # top of libopus' own rate, and constrained VBR still runs up to 0.6 % over its
            # target on dense music: libopus aims under the cap by both (at a constant rate
            # 0.5 kbps further, so a promised length holds the headers too).
            overhead = 0
            if codec == "libopus":
                overhead = OGG_OPUS_OVERHEAD + round(bit_rate * OPUS_VBR_OVERSHOOT)
                overhead += 500 if constant_bit_rate else 0
            out_stream.bit_rate = max(bit_rate - overhead, MIN_OPUS_BPS)
            # Opening now fixes the codec's frame size (libopus takes exactly 20 ms frames).
            out_stream.codec_context.open(strict=False)
            # Stage one converts to float at the output rate so the start can be trimmed to the
            # sample; stage two cuts the codec's frames in its own sample format.
            to_float = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            to_codec = av.AudioResampler(
                format=sample_format,
                layout=layout,
                rate=rate,
                frame_size=out_stream.codec_context.frame_size or None,
            )
            if start > 0:
                source.seek(int(start / _time_base(in_stream, path)), stream=in_stream)
            position: float | None = None  # source time (s) of the next float sample
            written = 0
            time_base = Fraction(1, rate)

            def encode(frames: list[av.AudioFrame]) -> None:
                nonlocal written
                for frame in frames:
                    frame.pts = written
                    frame.time_base = time_base
                    written += frame.samples
                    for packet in out_stream.encode(frame):
                        output.mux(packet)

            for frame in source.decode(in_stream):
                if position is None:
                    position = (
                        float(frame.pts * _time_base(frame, path)) if frame.pts is not None else 0.0
                    )
                for out in to_float.resample(frame):
                    skip = round((start - position) * rate) if position < start else 0
                    position += out.samples / rate
                    if skip >= out.samples:
                        continue
                    if skip > 0:
                        out = _trim_head(out, skip, layout, rate)
                    encode(to_codec.resample(out))
                chunk = sink.take()
                if chunk:
                    yield chunk
            for out in to_float.resample(None):
                encode(to_codec.resample(out))
            encode(to_codec.resample(None))
            for packet in out_stream.encode(None):
                output.mux(packet)
            if not written:
                raise MediaError(f"no audio decoded from {path}")
            if declared and truncated(written / rate, declared - start):
                raise MediaError(
                    f"truncated source {path}: decoded {written / rate:.1f} s of {declared:.1f} s"
                )
        finally:
            output.close()
        chunk = sink.take()
        if chunk:
            yield chunk
    except av.FFmpegError as exc:
        raise MediaError(f"cannot transcode {path}: {exc}") from exc
    finally:
        source.close()


def _trim_head(frame: av.AudioFrame, skip: int, layout: str, rate: int) -> av.AudioFrame:
    # A frame in fltp holds float32 samples; the dtype says so to from_ndarray's signature.
    samples = np.ascontiguousarray(frame.to_ndarray()[:, skip:], dtype=np.float32)
    trimmed = av.AudioFrame.from_ndarray(samples, format="fltp", layout=layout)
    trimmed.sample_rate = rate
    return trimmed


def remux_stream(path: str | Path, start: float = 0.0) -> Generator[bytes, None, None]:
    """Yield an Ogg Opus file from ``start`` on as a new Ogg stream, copying packets (no coding).

    Serving a pre-encoded file from a time offset costs no CPU this way; the cut falls on the
    first 20 ms packet at or after ``start``.
    """
    source = _open(path)
    sink = _Sink()
    try:
        in_stream = source.streams.audio[0]
        output = av.open(sink, "w", format="ogg")
        try:
            out_stream = output.add_stream_from_template(in_stream)
            time_base = _time_base(in_stream, path)
            source.seek(int(start / time_base), stream=in_stream)
            first: int | None = None
            for packet in source.demux(in_stream):
                if packet.pts is None or packet.pts * time_base < start:
                    continue  # the demuxer's final empty packet, or before the cut
                if first is None:
                    first = packet.pts
                packet.pts -= first
                if packet.dts is not None:
                    packet.dts -= first
                packet.stream = out_stream
                output.mux(packet)
                chunk = sink.take()
                if chunk:
                    yield chunk
        finally:
            output.close()
        chunk = sink.take()
        if chunk:
            yield chunk
    except av.FFmpegError as exc:
        raise MediaError(f"cannot remux {path}: {exc}") from exc
    finally:
        source.close()


def encode_file(
    source: str | Path,
    dest: str | Path,
    suffix: str = "opus",
    bit_rate: int = 128_000,
    start: float = 0.0,
) -> None:
    """Transcode ``source`` into ``dest`` as ``suffix`` (opus or mp3), written as it goes."""
    with open(dest, "wb") as out:
        for chunk in encode_stream(source, suffix, bit_rate=bit_rate, start=start):
            out.write(chunk)
