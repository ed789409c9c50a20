"""``python -m benchmarks.soundfont.speed``: how fast songs are written and rendered.

One song of each family (``--seconds`` long, seed ``--seed``), composed and rendered at
``--sample-rate``; CPU time of this process (so other work on the machine does not count), and
the rendered audio's length over it (times real time, one core). Encoding is not included: it is
``beetcrate.media``'s or libsndfile's.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from benchmarks.soundfont.compose import compose
from benchmarks.soundfont.model import Family
from benchmarks.soundfont.render import render
from benchmarks.soundfont.styles import random_song


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soundfont.speed")
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample-rate", type=int, default=44100)
    args = parser.parse_args(argv)
    print(f"{'family':14} {'audio s':>8} {'compose s':>10} {'render s':>9} {'x real time':>12}")
    audio_total = compose_total = render_total = 0.0
    for family in Family:
        song = random_song(family, random.Random(f"{args.seed}:{family.value}"), args.seconds)
        started = time.process_time()
        composition = compose(song)
        composed = time.process_time()
        render(composition, args.sample_rate)
        rendered = time.process_time()
        seconds = composition.labels.duration
        audio_total += seconds
        compose_total += composed - started
        render_total += rendered - composed
        print(
            f"{family.value:14} {seconds:8.1f} {composed - started:10.2f} "
            f"{rendered - composed:9.2f} {seconds / (rendered - started):11.0f}x"
        )
    print(
        f"{'all':14} {audio_total:8.1f} {compose_total:10.2f} {render_total:9.2f} "
        f"{audio_total / (compose_total + render_total):11.0f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
