"""From tags to genres: aliases, then the canonical tree, then the whitelist; weight, count, order,
duplicates and title case. Pure functions, on small vocabularies written here and on beets' own
data files."""

from __future__ import annotations

import pytest
import yaml

from beetcrate.genres.rules import (
    GenreRules,
    Tag,
    Vocabulary,
    VocabularyError,
    parse_aliases,
    parse_tree,
    parse_whitelist,
    resolve,
    title_case,
)

TREE = parse_tree(
    [
        {"electronic": [{"house": ["deep house", "acid house"]}, "techno"]},
        {"rock": ["post-rock", {"metal": ["doom metal"]}]},
    ]
)


def rules(
    whitelist: set[str] | None = None,
    tree: bool = False,
    count: int = 3,
    min_weight: int = 10,
    prefer_specific: bool = False,
    aliases: object = None,
) -> GenreRules:
    vocabulary = Vocabulary(
        None if whitelist is None else frozenset(whitelist),
        TREE if tree else {},
        parse_aliases(aliases),
    )
    return GenreRules(vocabulary, count, min_weight, prefer_specific)


def tags(*pairs: tuple[str, int]) -> list[Tag]:
    return [Tag(name, weight) for name, weight in pairs]


def test_a_tag_missing_from_the_whitelist_counts_through_its_parent_in_the_tree() -> None:
    found = resolve(tags(("deep house", 100)), rules({"house"}, tree=True))
    assert found == ("House",)


def test_without_the_tree_a_tag_missing_from_the_whitelist_is_dropped() -> None:
    assert resolve(tags(("deep house", 100)), rules({"house"})) == ()


def test_the_tree_gives_the_most_general_genre_the_whitelist_lets_pass() -> None:
    whitelist = {"deep house", "house", "electronic"}
    assert resolve(tags(("deep house", 100)), rules(whitelist, tree=True)) == ("Electronic",)


def test_prefer_specific_gives_the_most_specific_genre_the_whitelist_lets_pass() -> None:
    whitelist = {"house", "electronic"}
    found = resolve(tags(("deep house", 100)), rules(whitelist, tree=True, prefer_specific=True))
    assert found == ("House",)
    assert resolve(
        tags(("deep house", 100)),
        rules(whitelist | {"deep house"}, tree=True, prefer_specific=True),
    ) == ("Deep House",)


def test_without_a_whitelist_the_tree_gives_the_root() -> None:
    assert resolve(tags(("doom metal", 100)), rules(None, tree=True)) == ("Rock",)


def test_an_empty_whitelist_lets_no_genre_pass() -> None:
    found = resolve(tags(("rock", 100), ("deep house", 90)), rules(set(), tree=True))
    assert found == ()


def test_no_whitelist_lets_every_tag_pass() -> None:
    found = resolve(tags(("seen live", 100), ("female vocalists", 50)), rules(None))
    assert found == ("Seen Live", "Female Vocalists")


def test_tags_lighter_than_min_weight_are_left_out() -> None:
    found = resolve(tags(("rock", 100), ("techno", 10), ("house", 9)), rules(min_weight=10))
    assert found == ("Rock", "Techno")


def test_count_keeps_the_heaviest_genres_whatever_order_last_fm_answers_in() -> None:
    found = resolve(tags(("techno", 20), ("rock", 100), ("house", 60)), rules(count=2))
    assert found == ("Rock", "House")


def test_tags_that_become_one_genre_count_once() -> None:
    whitelist = {"electronic", "rock"}
    found = resolve(
        tags(("deep house", 100), ("techno", 90), ("acid house", 80), ("post-rock", 70)),
        rules(whitelist, tree=True, count=2),
    )
    assert found == ("Electronic", "Rock")


def test_tags_rejected_by_the_whitelist_leave_room_for_lighter_ones() -> None:
    found = resolve(
        tags(("seen live", 100), ("favourites", 90), ("rock", 40)), rules({"rock"}, count=1)
    )
    assert found == ("Rock",)


def test_names_are_compared_in_lower_case_with_single_spaces() -> None:
    assert resolve(tags(("  Deep   HOUSE ", 100)), rules({"deep house"})) == ("Deep House",)


def test_aliases_respell_a_tag_before_the_whitelist_sees_it() -> None:
    aliases = {"hip hop": ["hip[ -]*hop"], "drum and bass": ["d(rum)?[ &n/]*b(ass)?"]}
    found = resolve(
        tags(("Hip-Hop", 100), ("dnb", 80)), rules({"hip hop", "drum and bass"}, aliases=aliases)
    )
    assert found == ("Hip Hop", "Drum and Bass")


def test_an_alias_matches_whole_names_and_may_name_its_groups() -> None:
    aliases = {"\\1-\\2": ["(post)[- ]*(\\w+)"], "punk rock": ["punk"]}
    vocabulary = Vocabulary(aliases=parse_aliases(aliases))
    assert vocabulary.spelling("Post Rock") == "post-rock"
    assert vocabulary.spelling("punk") == "punk rock"
    assert vocabulary.spelling("pop punk") == "pop punk"


def test_the_first_alias_that_matches_wins() -> None:
    vocabulary = Vocabulary(aliases=parse_aliases({"first": ["x.*"], "second": ["xy"]}))
    assert vocabulary.spelling("xy") == "first"


def test_an_alias_naming_a_group_its_pattern_lacks_is_skipped() -> None:
    vocabulary = Vocabulary(aliases=parse_aliases({"\\3": ["rock"], "rock music": ["rock"]}))
    assert vocabulary.spelling("rock") == "rock music"


@pytest.mark.parametrize(
    ("genre", "written"),
    [
        ("drum and bass", "Drum and Bass"),
        ("r&b", "R&B"),
        ("post-rock", "Post-Rock"),
        ("uk garage", "UK Garage"),
        ("80s", "80s"),
        ("rock'n'roll", "Rock'n'roll"),
        ("hip hop & rap", "Hip Hop & Rap"),
        ("and more", "And More"),
        ("coupé-décalé", "Coupé-Décalé"),
        ("acid/house", "Acid/House"),
    ],
)
def test_genres_are_title_cased_the_way_genres_are_written(genre: str, written: str) -> None:
    assert title_case(genre) == written


def test_a_whitelist_file_skips_blank_lines_and_comments() -> None:
    text = "# genres\nRock\n\n  deep   house \n#jazz\n"
    assert parse_whitelist(text) == {"rock", "deep house"}


def test_a_tree_gives_each_genre_its_ancestry_and_its_first_place_wins() -> None:
    tree = parse_tree([{"rock": [{"metal": ["doom metal"]}]}, {"electronic": ["Doom Metal"]}])
    assert tree["doom metal"] == ("doom metal", "metal", "rock")
    assert tree["rock"] == ("rock",)


def test_a_tree_that_is_not_genres_and_lists_is_refused() -> None:
    with pytest.raises(VocabularyError, match="genres and lists"):
        parse_tree(yaml.safe_load("- rock:\n    - 2020-01-01\n"))


def test_an_alias_with_a_broken_pattern_is_refused_in_one_line() -> None:
    with pytest.raises(VocabularyError) as refused:
        parse_aliases({"rock": ["(unclosed"]})
    assert "'rock'" in str(refused.value) and "\n" not in str(refused.value)


def test_an_alias_file_must_map_spellings_to_patterns() -> None:
    with pytest.raises(VocabularyError):
        parse_aliases(["hip hop"])
