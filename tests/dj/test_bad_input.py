"""Files that cannot be analysed fail with one line; doubtful ones get an honest confidence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.engine import AnalysisError, analyze
from beetsplug.dj.messages import AnalysisFailure, AnalysisRequest
from beetsplug.dj.tasks import compute


@pytest.mark.parametrize("name", ["empty", "corrupt"])
def test_undecodable_file_fails_with_a_one_line_reason(
    bad_files: dict[str, Path], name: str
) -> None:
    with pytest.raises(AnalysisError) as failure:
        analyze(bad_files[name])
    assert str(failure.value)
    assert "\n" not in str(failure.value)


@pytest.mark.parametrize("name", ["truncated", "truncated dnb", "truncated breaks"])
def test_truncated_file_fails_in_one_line_rather_than_store_its_first_half(
    bad_files: dict[str, Path], name: str
) -> None:
    """FLAC's decoder stops at the broken frame, the Ogg reader at the cut page; MP3 decodes up
    to the cut, which falls short of the length its header declares."""
    result = compute(AnalysisRequest(str(bad_files[name]), None, (78.0, 180.0), 60.0))
    assert isinstance(result, AnalysisFailure)
    assert re.match(
        r"(truncated file .*: decoded [0-9.]+ s of 16.0 s|cannot decode .*: .*Invalid data.*"
        r"|truncated Ogg page at byte \d+ of .*)$",
        result.reason,
    )


def test_silent_file_is_analysed_with_no_tempo_no_key_and_zero_confidence(
    bad_files: dict[str, Path],
) -> None:
    result = analyze(bad_files["silent"])
    assert result.rhythm.bpm == 0
    assert result.rhythm.confidence == 0
    assert result.key is None
    assert result.loudness.integrated == -70.0
    assert result.cues == []


def test_clip_shorter_than_five_seconds_gets_no_tempo_but_a_key_and_loudness(
    bad_files: dict[str, Path],
) -> None:
    result = analyze(bad_files["short"])
    assert result.rhythm.bpm == 0
    assert result.rhythm.confidence == 0
    assert result.key is not None
    assert -30 < result.loudness.integrated < -5


@pytest.mark.parametrize("name", ["empty", "corrupt", "truncated", "silent", "short"])
def test_task_never_raises_on_bad_input(bad_files: dict[str, Path], name: str) -> None:
    result = compute(AnalysisRequest(str(bad_files[name]), None, (78.0, 180.0), 60.0))
    if isinstance(result, AnalysisFailure):
        assert "\n" not in result.reason
    else:
        assert result.audio_hash and result.features["analysis_version"]


def test_task_for_a_missing_file_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "gone.flac"
    request = AnalysisRequest(str(missing), None, (78.0, 180.0), 60.0)
    assert compute(request) == AnalysisFailure(f"file not found: {missing}")
