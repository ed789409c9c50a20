"""User management: admins create, change and delete users; roles mean what they say.

The tests share one server of this module's own (they write users), and each makes users of
its own names, so none depends on another's order.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from flask import Flask

from subsonic.app import create_app
from subsonic.userdata.schema import USER_COLUMNS
from tests.subsonic.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    LISTENER,
    LISTENER_PASSWORD,
    Api,
    MusicLibrary,
    build_library,
)

CLIENT = {"v": "1.16.1", "c": "pytest"}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> MusicLibrary:
    return build_library(tmp_path_factory.mktemp("users"))


@pytest.fixture(scope="module")
def app(library: MusicLibrary) -> Flask:
    return create_app(library.settings)


@pytest.fixture
def admin(app: Flask) -> Api:
    return Api(app.test_client())


@pytest.fixture
def listener(app: Flask) -> Api:
    return Api(app.test_client(), LISTENER, LISTENER_PASSWORD)


def _create(admin: Api, name: str, password: str = "pw", **params: object) -> None:
    admin.ok_once("createUser", username=name, password=password, **params)


def _as(app: Flask, name: str, password: str) -> Api:
    return Api(app.test_client(), name, password)


def _user(admin: Api, name: str) -> dict:
    return admin.ok("getUser", username=name)["user"]


def test_a_new_user_logs_in_and_may_stream_download_and_make_playlists(
    app: Flask, admin: Api
) -> None:
    password = "pässword"
    _create(admin, "carol", "enc:" + password.encode().hex())
    carol = _as(app, "carol", password)
    user = carol.ok("getUser", username="carol")["user"]
    assert user["adminRole"] is False
    granted = ("settingsRole", "streamRole", "downloadRole", "playlistRole", "commentRole")
    assert all(user[role] is True for role in granted)
    refused = ("podcastRole", "shareRole", "jukeboxRole", "uploadRole", "videoConversionRole")
    assert all(user[role] is False for role in refused)
    assert user["folder"] == [1]


def test_roles_and_email_given_at_creation_are_stored(admin: Api) -> None:
    _create(
        admin,
        "dave",
        "pw",
        email="dave@example.org",
        downloadRole="false",
        adminRole="true",
    )
    user = _user(admin, "dave")
    assert (user["downloadRole"], user["streamRole"], user["adminRole"]) == (False, True, True)
    assert user["email"] == "dave@example.org"


def test_roles_of_features_not_offered_are_reported_false(admin: Api) -> None:
    _create(admin, "erin", "pw", podcastRole="true", shareRole="true")
    user = _user(admin, "erin")
    assert (user["podcastRole"], user["shareRole"]) == (False, False)


def test_without_download_role_download_is_refused_and_stream_is_not(
    app: Flask, admin: Api, library: MusicLibrary
) -> None:
    _create(admin, "frank", "pw", downloadRole="false")
    frank = _as(app, "frank", "pw")
    song = f"tr-{library.items['blue1'].id}"
    assert frank.error("download", id=song) == 50
    assert frank.get("stream", id=song, format="raw").status_code == 200


def test_without_stream_role_stream_is_refused(
    app: Flask, admin: Api, library: MusicLibrary
) -> None:
    _create(admin, "gina", "pw", streamRole="false")
    assert _as(app, "gina", "pw").error("stream", id=f"tr-{library.items['blue1'].id}") == 50


def test_without_playlist_role_playlists_are_read_only_and_without_comment_role_no_rating(
    app: Flask, admin: Api, library: MusicLibrary
) -> None:
    _create(admin, "ivy", "pw", playlistRole="false", commentRole="false")
    ivy = _as(app, "ivy", "pw")
    song = f"tr-{library.items['blue1'].id}"
    assert ivy.error("createPlaylist", name="Mine", songId=song) == 50
    assert ivy.error("setRating", id=song, rating=4) == 50
    assert ivy.ok("getPlaylists")["playlists"].get("playlist", []) == []
    assert "userRating" not in ivy.ok("getSong", id=song)["song"]
    assert ivy.ok("star", id=song)  # starring is not a comment or a rating


def test_update_user_changes_only_what_it_is_given(app: Flask, admin: Api) -> None:
    _create(admin, "hank", "pw", email="hank@example.org")
    admin.ok("updateUser", username="hank", downloadRole="false", maxBitRate=128)
    user = _user(admin, "hank")
    assert (user["downloadRole"], user["streamRole"], user["maxBitRate"]) == (False, True, 128)
    assert user["email"] == "hank@example.org"
    admin.ok("updateUser", username="hank", password="new pw", email="h@example.org")
    assert _as(app, "hank", "new pw").ok("getUser", username="hank")["user"]["email"] == (
        "h@example.org"
    )
    assert _as(app, "hank", "pw").error("ping") == 40


def test_get_users_lists_everyone_for_admins_only(admin: Api, listener: Api) -> None:
    names = {user["username"] for user in admin.ok("getUsers")["users"]["user"]}
    assert {ADMIN, LISTENER} <= names
    assert listener.error("getUsers") == 50


def test_listeners_cannot_create_change_or_delete_users(listener: Api) -> None:
    assert listener.error("createUser", username="mallory", password="pw") == 50
    assert listener.error("updateUser", username=LISTENER, adminRole="true") == 50
    assert listener.error("deleteUser", username=ADMIN) == 50
    assert _user(Api(listener.client), LISTENER)["adminRole"] is False


@pytest.mark.parametrize(
    ("method", "params", "code"),
    [
        ("createUser", {"username": "ivy"}, 10),
        ("createUser", {"password": "pw"}, 10),
        ("createUser", {"username": LISTENER, "password": "pw"}, 0),
        ("createUser", {"username": "ivy", "password": "enc:not-hex"}, 0),
        ("updateUser", {"username": "nobody"}, 70),
        ("updateUser", {}, 10),
        ("deleteUser", {"username": "nobody"}, 70),
        ("getUser", {"username": "nobody"}, 70),
        ("changePassword", {"username": "nobody", "password": "pw"}, 70),
        ("changePassword", {"username": LISTENER}, 10),
    ],
)
def test_bad_user_requests_get_the_spec_error(
    admin: Api, method: str, params: dict, code: int
) -> None:
    assert admin.error(method, **params) == code


def test_a_user_changes_their_own_password_and_no_one_elses(app: Flask, admin: Api) -> None:
    _create(admin, "jack", "old")
    _create(admin, "kate", "kate's")
    jack = _as(app, "jack", "old")
    jack.ok_once("changePassword", username="jack", password="enc:" + b"new".hex())
    assert _as(app, "jack", "new").ok("ping")
    assert _as(app, "jack", "new").error("changePassword", username="kate", password="x") == 50
    assert _as(app, "kate", "kate's").ok("ping")


def test_without_settings_role_a_user_cannot_change_their_password(app: Flask, admin: Api) -> None:
    _create(admin, "liam", "pw", settingsRole="false")
    assert _as(app, "liam", "pw").error("changePassword", username="liam", password="x") == 50
    admin.ok("changePassword", username="liam", password="set by admin")
    assert _as(app, "liam", "set by admin").ok("ping")


def test_an_admin_keeps_their_own_account_and_admin_role(admin: Api) -> None:
    assert admin.error("deleteUser", username=ADMIN) == 50
    assert admin.error("updateUser", username=ADMIN, adminRole="false") == 50
    assert _user(admin, ADMIN)["adminRole"] is True


def _rows_per_table(db: Path, user: str) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(
                f"SELECT count(*) FROM {table} WHERE {column} = ?", [user]
            ).fetchone()[0]
            for table, column in USER_COLUMNS
        }


def _write_user_data(app: Flask, user: str) -> None:
    """A row in every user-data table for ``user``, as the user-data endpoints write them."""
    now = time.time()
    with app.extensions["beetcrate"].userdata.transaction() as conn:
        conn.execute(
            "INSERT INTO user_annotations (user, target, kind, starred)"
            " VALUES (?, 'tr-1', 'song', ?)",
            [user, now],
        )
        conn.execute(
            "INSERT INTO user_plays (user, item_id, played_at) VALUES (?, 1, ?)", [user, now]
        )
        conn.execute(
            "INSERT INTO now_playing (user, player, item_id, started, expires)"
            " VALUES (?, 'p', 1, ?, ?)",
            [user, now, now + 60],
        )
        playlist = conn.execute(
            "INSERT INTO playlists (owner, name, created, changed) VALUES (?, 'mine', ?, ?)",
            [user, now, now],
        ).lastrowid
        conn.execute(
            "INSERT INTO playlist_entries (playlist_id, position, item_id) VALUES (?, 0, 1)",
            [playlist],
        )
        conn.execute("INSERT INTO play_queues (user, changed) VALUES (?, ?)", [user, now])
        conn.execute(
            "INSERT INTO play_queue_entries (user, position, item_id) VALUES (?, 0, 1)", [user]
        )
        conn.execute(
            "INSERT INTO bookmarks (user, item_id, position_ms, created, changed)"
            " VALUES (?, 1, 1000, ?, ?)",
            [user, now, now],
        )


def test_deleting_a_user_deletes_all_their_data_and_no_one_elses(
    app: Flask, admin: Api, library: MusicLibrary
) -> None:
    _create(admin, "mona", "pw")
    _create(admin, "nick", "pw")
    for user in ("mona", "nick"):
        _write_user_data(app, user)
    admin.ok_once("deleteUser", fmt="xml", username="mona")
    assert set(_rows_per_table(library.settings.db, "mona").values()) == {0}
    assert set(_rows_per_table(library.settings.db, "nick").values()) == {1}
    with sqlite3.connect(library.settings.db) as conn:
        orphans = (
            "SELECT count(*) FROM playlist_entries"
            " WHERE playlist_id NOT IN (SELECT id FROM playlists)"
        )
        assert conn.execute(orphans).fetchone()[0] == 0
    assert _as(app, "mona", "pw").error("ping") == 40
    assert admin.error("getUser", username="mona") == 70


def test_token_info_names_the_owner_of_the_api_key(app: Flask, admin: Api) -> None:
    _create(admin, "olga", "pw")
    key = app.extensions["beetcrate"].users.new_api_key("olga")
    body = admin.ok("tokenInfo", auth=False, apiKey=key, **CLIENT)
    assert body["tokenInfo"] == {"username": "olga"}
    assert admin.error("tokenInfo", auth=False, apiKey=key + "x", **CLIENT) == 44


def test_token_info_without_an_api_key_is_error_42(admin: Api) -> None:
    assert admin.error("tokenInfo") == 42
    assert admin.error("tokenInfo", auth=False, u=ADMIN, p=ADMIN_PASSWORD, **CLIENT) == 42
