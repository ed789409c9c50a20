from tests.subsonic.conftest import Api


def test_ping(api: Api) -> None:
    api.ok("ping")
