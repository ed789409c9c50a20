"""The one audio layer: what it writes decodes back to the same length and format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from beetcrate import media
from beetcrate.synth.tones import RATE, sine


@pytest.mark.parametrize("suffix", sorted(media.ENCODINGS))
def test_written_file_probes_with_its_duration(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"tone.{suffix}"
    media.write_audio(path, sine(3.0), RATE)
    info = media.probe(path)
    assert info.channels == 2
    assert info.duration == pytest.approx(3.0, abs=0.06)


def test_decode_in_blocks_keeps_memory_bounded_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tone.flac"
    media.write_audio(path, sine(4.0), RATE)
    blocks = list(media.iter_decode(path, mono=True, block_frames=10_000))
    assert max(block.shape[1] for block in blocks) <= 10_000
    assert sum(block.shape[1] for block in blocks) == 4 * RATE


def test_decode_resamples_and_keeps_the_tone(tmp_path: Path) -> None:
    path = tmp_path / "tone.mp3"
    media.write_audio(path, sine(2.0, freq=1000.0), RATE)
    samples, rate = media.decode(path, sample_rate=22050, mono=True)
    spectrum = np.abs(np.fft.rfft(samples[0]))
    peak_hz = np.argmax(spectrum) * rate / samples.shape[1]
    assert rate == 22050
    assert peak_hz == pytest.approx(1000.0, abs=5)


@pytest.mark.parametrize("content", [b"", b"not audio at all" * 100])
def test_garbage_file_raises_media_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.mp3"
    path.write_bytes(content)
    with pytest.raises(media.MediaError):
        media.probe(path)
