"""``python -m benchmarks.soundfont DEST --seed N --per-family K``: render a labelled set."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from beetcrate.media import MediaError
from benchmarks.soundfont.corpus import DEFAULT_FORMATS, LABELS_FILE, SAMPLE_RATE, build_set
from benchmarks.soundfont.model import Family
from benchmarks.soundfont.render import FORMATS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soundfont",
        description="Render labelled General MIDI tracks (TimGM6mb) to DEST with labels.json.",
    )
    parser.add_argument("dest", type=Path, help="directory for the audio files and labels.json")
    parser.add_argument("--seed", type=int, default=0, help="the set's seed (default 0)")
    parser.add_argument("--per-family", type=int, default=2, help="tracks per family (default 2)")
    parser.add_argument(
        "--seconds", type=float, default=180.0, help="length of each track (default 180)"
    )
    parser.add_argument(
        "--formats",
        default=",".join(fmt.name for fmt in DEFAULT_FORMATS),
        help=f"comma-separated, one drawn for each track; of: {', '.join(FORMATS)}",
    )
    parser.add_argument(
        "--families",
        default=",".join(family.value for family in Family),
        help=f"comma-separated, of: {', '.join(family.value for family in Family)}",
    )
    parser.add_argument(
        "--sample-rate", type=int, default=SAMPLE_RATE, help=f"default {SAMPLE_RATE}"
    )
    parser.add_argument(
        "--midi", action="store_true", help="also write each song's MIDI file (NAME.mid)"
    )
    parser.add_argument(
        "--live", action="store_true", help="every song as a live take, its tempo drifting"
    )
    args = parser.parse_args(argv)
    try:
        formats = [FORMATS[name] for name in args.formats.split(",")]
        families = [Family(name) for name in args.families.split(",")]
    except (KeyError, ValueError) as error:
        parser.error(f"unknown format or family: {error}")
    if args.per_family < 1 or args.seconds <= 0 or not 8000 <= args.sample_rate <= 192000:
        parser.error("--per-family and --seconds must be positive, --sample-rate 8000-192000")
    started = time.perf_counter()
    try:
        tracks = build_set(
            args.dest,
            args.seed,
            args.per_family,
            args.seconds,
            formats,
            families,
            sample_rate=args.sample_rate,
            midi=args.midi,
            live=args.live,
            progress=True,
        )
    except (OSError, MediaError) as error:
        parser.exit(1, f"{parser.prog}: {error}\n")
    elapsed = time.perf_counter() - started
    audio = sum(track.labels.duration for track in tracks)
    print(
        f"{len(tracks)} tracks, {audio / 60:.1f} min of audio in {elapsed:.1f} s "
        f"({audio / elapsed:.0f}x real time, encoding included); labels in "
        f"{args.dest / LABELS_FILE}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
