"""User management with real clients over gunicorn: an admin (alice) creates, changes and
deletes users beside a listener (bob); roles hold; API keys name their user.

The module shares one gunicorn of its own (its tests add users); each test makes users of its
own names, so none depends on another's order.
"""

from __future__ import annotations

from collections.abc import Iterator

import knuckles
import libopensonic
import libsonic
import pytest

from tests.subsonic.clients.conftest import assert_no_errors
from tests.subsonic.clients.test_knuckles import knuckles_client
from tests.subsonic.clients.test_opensonic import with_opensonic
from tests.subsonic.clients.test_pysonic import pysonic
from tests.subsonic.conftest import LISTENER, LISTENER_PASSWORD
from tests.subsonic.server import RunningServer, running_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def users_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("users-gunicorn")) as running:
        yield running
        assert_no_errors(running.log())


def test_pysonic_admin_creates_a_user_whose_roles_hold(users_server: RunningServer) -> None:
    alice = pysonic(users_server)
    # py-sonic sends the spec's defaults: no download role, among others.
    alice.createUser("carol", "carol's pw", "carol@example.org")
    carol = pysonic(users_server, username="carol", password="carol's pw")
    me = carol.getUser("carol")["user"]
    assert (me["streamRole"], me["downloadRole"], me["adminRole"]) == (True, False, False)
    assert me["email"] == "carol@example.org"
    song = f"tr-{users_server.library.items['blue1'].id}"
    with pytest.raises(libsonic.errors.AuthError, match="downloadRole"):
        carol.download(song)
    assert carol.stream(song, tformat="raw").read()[:4] == b"fLaC"
    with pytest.raises(libsonic.errors.AuthError):
        pysonic(users_server, username=LISTENER, password=LISTENER_PASSWORD).getUsers()


def test_opensonic_admin_changes_roles_and_lists_users(users_server: RunningServer) -> None:
    pysonic(users_server).createUser("dave", "pw", "dave@example.org", downloadRole=True)

    async def scenario(connection: libopensonic.AsyncConnection) -> list[str]:
        # py-opensonic sends every role: here, no stream role.
        await connection.update_user("dave", stream_role=False, download_role=True)
        dave = await connection.get_user("dave")
        assert (dave.stream_role, dave.download_role) == (False, True)
        return [user.username for user in await connection.get_users()]

    assert {"alice", "bob", "dave"} <= set(with_opensonic(users_server, scenario))
    dave = pysonic(users_server, username="dave", password="pw")
    song = f"tr-{users_server.library.items['blue1'].id}"
    assert dave.download(song).read()[:4] == b"fLaC"
    with pytest.raises(libsonic.errors.AuthError, match="streamRole"):
        dave.stream(song)


def test_knuckles_user_changes_their_password_but_not_another_users(
    users_server: RunningServer,
) -> None:
    pysonic(users_server).createUser("erin", "old pw", "erin@example.org")
    erin = knuckles_client(users_server, "erin", "old pw")
    erin.user_management.change_password("erin", "new pw")
    assert knuckles_client(users_server, "erin", "new pw").system.ping().status == "ok"
    bob = knuckles_client(users_server, LISTENER, LISTENER_PASSWORD)
    with pytest.raises(knuckles.exceptions.ErrorCode50):
        bob.user_management.change_password("erin", "stolen")
    assert knuckles_client(users_server, "erin", "new pw").system.ping().status == "ok"


def test_a_deleted_user_can_no_longer_log_in(users_server: RunningServer) -> None:
    alice = pysonic(users_server)
    alice.createUser("frank", "pw", "frank@example.org")
    assert pysonic(users_server, username="frank", password="pw").ping() is True
    alice.deleteUser("frank")
    with pytest.raises(libsonic.errors.CredentialError):
        pysonic(users_server, username="frank", password="pw").getLicense()
    assert "frank" not in {user["username"] for user in alice.getUsers()["users"]["user"]}


def test_opensonic_token_info_names_the_key_owner(users_server: RunningServer) -> None:
    key = users_server.cli("user", "apikey", LISTENER).strip()

    async def scenario(connection: libopensonic.AsyncConnection) -> str:
        return (await connection.token_info()).username

    assert with_opensonic(users_server, scenario, api_key=key) == LISTENER
