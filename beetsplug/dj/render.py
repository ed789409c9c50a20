"""A picture of a track: the 3-band waveform, the beat grid and the cue points (Pillow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from analysis.waveform import Waveform

# Colours as DJ software draws the bands: bass blue, mids amber, highs white.
BAND_COLOURS = ((40, 110, 255), (255, 170, 40), (240, 240, 240))
BACKGROUND = (16, 16, 20)
BEAT = (70, 70, 80)
DOWNBEAT = (150, 150, 165)
CUE_COLOURS = {
    "first_downbeat": (80, 220, 120),
    "intro_end": (80, 200, 255),
    "drop": (255, 60, 60),
    "breakdown": (200, 120, 255),
    "outro_start": (255, 220, 60),
}


def render_waveform(
    waveform: Waveform,
    beats: list[float],
    downbeats: list[float],
    cues: list[dict[str, Any]],  # as ``store.load_features`` gives them
    path: str | Path,
    width: int = 1600,
    height: int = 240,
) -> None:
    """Write a PNG: bands mirrored around the centre line, louder bands drawn behind."""
    duration = waveform.points * waveform.seconds_per_point
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    x_of = width / duration if duration > 0 else 0.0
    pixel_seconds = duration / width if width else 0.0
    # Beats only when they are at least 4 px apart, downbeats always.
    if beats and pixel_seconds and (beats[-1] - beats[0]) / max(1, len(beats) - 1) * x_of >= 4:
        for time in beats:
            draw.line([(time * x_of, 0), (time * x_of, height)], fill=BEAT)
    for time in downbeats:
        draw.line([(time * x_of, 0), (time * x_of, height)], fill=DOWNBEAT)
    amplitudes = waveform.amplitudes()
    edges = np.linspace(0, waveform.points, width + 1).astype(int)
    scale = float(amplitudes.max(initial=0.0)) or 1.0
    middle = height / 2
    for x in range(width):
        start, stop = edges[x], max(edges[x] + 1, edges[x + 1])
        column = amplitudes[start:stop].max(axis=0) / scale if start < waveform.points else None
        if column is None:
            break
        for band in range(3):
            reach = column[band] * (middle - 2)
            if reach >= 0.5:
                draw.line([(x, middle - reach), (x, middle + reach)], fill=BAND_COLOURS[band])
    for cue in cues:
        at = float(cue["time"]) * x_of
        colour = CUE_COLOURS.get(str(cue["kind"]), (255, 255, 255))
        draw.line([(at, 0), (at, height)], fill=colour, width=2)
        draw.polygon([(at, 0), (at + 8, 0), (at, 10)], fill=colour)
        label = str(cue["kind"]).replace("_", " ")
        # Right of the marker, or left of it where the label would run off the picture.
        if at + 3 + draw.textlength(label) <= width:
            draw.text((at + 3, 12), label, fill=colour)
        else:
            draw.text((at - 3, 12), label, fill=colour, anchor="ra")
    image.save(path, format="PNG")
