"""Files that cannot be analysed fail with one line; doubtful ones get an honest confidence."""

from __future__ import annotations

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


def test_truncated_file_is_analysed_up_to_where_it_breaks_or_fails_in_one_line(
    bad_files: dict[str, Path],
) -> None:
    try:
        result = analyze(bad_files["truncated"])
    except AnalysisError as exc:
        assert "\n" not in str(exc)
    else:
        assert 0 < result.duration < 16.0


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
