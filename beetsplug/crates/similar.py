"""``beet crate next QUERY`` and ``beet crate path FROM_QUERY TO_QUERY``: the sonic similarity
engine (``beetcrate.crates.sonic``, the one behind ``getSonicSimilarTracks`` and
``findSonicPath``) on the command line. A query must name exactly one track of the library.
"""

from __future__ import annotations

from optparse import Values

from beets import ui
from beets.library import Item, Library

from beetcrate.crates.tracks import mixable
from beetcrate.subcommands import option
from beetsplug.crates.output import JSON_OPTION, engine_for, print_json, print_tracks

NEXT_OPTIONS = [
    option("-n", "--count", type="int", default=10, metavar="N", help="how many (default 10)"),
    option(
        "--energy",
        choices=["up", "down", "same"],
        help="lean towards more (up), less (down) or the same energy",
    ),
    JSON_OPTION,
]
PATH_OPTIONS = [
    option(
        "-n",
        "--count",
        type="int",
        default=8,
        metavar="N",
        help="tracks in the path, both ends included (default 8)",
    ),
    JSON_OPTION,
]


def _one_track(lib: Library, query: str) -> Item:
    items = list(lib.items(query))
    if not items:
        raise ui.UserError(f"no track matches {query!r}")
    if len(items) > 1:
        raise ui.UserError(f"{len(items)} tracks match {query!r}: make the query name one")
    return items[0]


def next_tracks(lib: Library, opts: Values, args: list[str]) -> None:
    if not args:
        raise ui.UserError("give a query naming the track playing now")
    if opts.count < 1:
        raise ui.UserError("--count is 1 or more")
    # numpy loads with the similarity commands, not with every ``beet`` command.
    from beetcrate.crates.sonic import EnergyDirection, SonicIndex

    seed = _one_track(lib, " ".join(args))
    assert seed.id is not None  # an item read from the library has one
    energy = EnergyDirection(opts.energy) if opts.energy else None
    with engine_for(lib) as engine:
        index = SonicIndex.build(engine.all_tracks())
        scored = index.similar(seed.id, opts.count, energy)
        tracks = engine.tracks([found.item_id for found in scored])
        (playing,) = engine.tracks([seed.id])
    similarity = {found.item_id: found.similarity for found in scored}
    if opts.json:
        print_json(
            {
                "seed": playing.as_json(),
                "items": [
                    {
                        **track.as_json(),
                        "similarity": round(similarity[track.id], 4),
                        "mixable": mixable(playing, track),
                    }
                    for track in tracks
                ],
            }
        )
        return
    print_tracks(
        tracks,
        {i for i, track in enumerate(tracks) if not mixable(playing, track)},
        numbered=True,
    )


def path(lib: Library, opts: Values, args: list[str]) -> None:
    if len(args) != 2:
        raise ui.UserError("give two queries: where the path starts and where it ends")
    if opts.count < 2:
        raise ui.UserError("--count is 2 or more: the path holds both ends")
    from beetcrate.crates.sonic import SonicIndex

    start, end = _one_track(lib, args[0]), _one_track(lib, args[1])
    assert start.id is not None and end.id is not None
    if start.id == end.id:
        raise ui.UserError("the two queries name the same track")
    with engine_for(lib) as engine:
        index = SonicIndex.build(engine.all_tracks())
        found = index.path(start.id, end.id, opts.count)
        tracks = engine.tracks(found.item_ids)
    breaks = set(found.breaks)
    if opts.json:
        print_json(
            {
                "items": [
                    {**track.as_json(), "mixable_from_previous": position not in breaks}
                    for position, track in enumerate(tracks)
                ],
                "broken_steps": sorted(breaks),
            }
        )
        return
    print_tracks(tracks, breaks, numbered=True)
    if breaks:
        ui.print_(f"{len(breaks)} of {len(tracks) - 1} steps are not a clean mix")
