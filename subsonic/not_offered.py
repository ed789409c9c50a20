"""The methods of features this server does not offer, answered as the spec allows.

A client that lists something (podcasts, shares…) gets a valid empty list, so its screens stay
usable; a client that asks for anything else of such a feature gets error 50, "not authorized":
the answer a Subsonic server gives a user without that feature's role, and no user has one here
(``users.ROLES_NOT_OFFERED``). ``api.PROTECTED`` registers every method below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from subsonic.responses import NOT_AUTHORIZED, ApiError, Payload

if TYPE_CHECKING:
    from subsonic.api import ApiRequest


@dataclass(frozen=True)
class Feature:
    name: str
    # List methods and their empty answers.
    lists: dict[str, Payload] = field(default_factory=dict)
    # Every other method of the feature.
    refused: tuple[str, ...] = ()


FEATURES = (
    Feature(
        "Podcasts",
        lists={
            "getPodcasts": {"podcasts": {"channel": []}},
            "getNewestPodcasts": {"newestPodcasts": {"episode": []}},
        },
        refused=(
            "getPodcastEpisode",
            "refreshPodcasts",
            "createPodcastChannel",
            "deletePodcastChannel",
            "deletePodcastEpisode",
            "downloadPodcastEpisode",
        ),
    ),
    Feature(
        "Shares",
        lists={"getShares": {"shares": {"share": []}}},
        refused=("createShare", "updateShare", "deleteShare"),
    ),
    Feature(
        "Chat",
        lists={"getChatMessages": {"chatMessages": {"chatMessage": []}}},
        refused=("addChatMessage",),
    ),
    Feature(
        "Videos",
        lists={"getVideos": {"videos": {}}},
        refused=("getVideoInfo", "getCaptions", "hls.m3u8"),
    ),
    Feature("The jukebox", refused=("jukeboxControl",)),
    Feature("Avatars", refused=("getAvatar",)),
    # OpenSubsonic's transcoding extension (not advertised): stream's own parameters serve.
    Feature("Transcode decisions", refused=("getTranscodeDecision", "getTranscodeStream")),
)

Handler = Callable[["ApiRequest"], Payload]


def _empty(answer: Payload) -> Handler:
    def empty_list(request: ApiRequest) -> Payload:
        return answer

    return empty_list


def _refuse(feature: str) -> Handler:
    def refuse(request: ApiRequest) -> Payload:
        raise ApiError(NOT_AUTHORIZED, f"{feature}: not offered by this server")

    return refuse


HANDLERS: dict[str, Handler] = {
    **{method: _empty(answer) for feature in FEATURES for method, answer in feature.lists.items()},
    **{method: _refuse(feature.name) for feature in FEATURES for method in feature.refused},
}
