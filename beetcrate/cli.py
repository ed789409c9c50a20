"""The ``beetcrate`` command: serve, demo, user management, scan and the queue worker.

Every command reads the beets configuration the way ``beet`` does (``-c/--config FILE``, then
``$BEETSDIR``, then the default location) and beetcrate's settings from its ``beetcrate:``
section. Errors are one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import secrets
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from beetcrate import sidecar
from beetcrate.scrobbling.model import LinkError, Service
from beetcrate.settings import DEFAULTS, Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from beetcrate.scrobbling.store import Link, Links
    from subsonic.store import Roles, User

DEMO_USER = "demo"


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def _users(settings: Settings):
    from subsonic.store import Users, load_key

    return Users(sidecar.connect(settings.db), load_key(settings.secret_key_file))


def _links(settings: Settings) -> Links:
    from beetcrate.credentials import load_key
    from beetcrate.scrobbling.store import Links

    return Links(sidecar.connect(settings.db), load_key(settings.secret_key_file))


def _link_line(link: Link) -> str:
    from datetime import datetime

    state = f"{link.service.value}: {link.account or '?'}"
    if link.rejected:
        when = datetime.fromtimestamp(link.rejected_at or 0).isoformat(" ", "minutes")
        state += f" REJECTED {when}: {link.rejected} (link again to resume)"
    elif link.last_error:
        state += f" retrying: {link.last_error}"
    if link.waiting:
        state += f" ({link.waiting} waiting)"
    return state


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    from beetcrate.server import serve

    serve(settings)


def cmd_scan(settings: Settings, args: argparse.Namespace) -> None:
    from subsonic.catalog import Catalog

    catalog = Catalog.from_settings(settings)
    report = catalog.sync(force=args.force)
    if report is None:
        print("catalog already up to date with the beets database")
    else:
        print(
            f"{report.songs} songs, {report.albums} albums, {report.artists} artists"
            f" ({report.changed} changed, {report.removed} removed) in {report.seconds:.2f}s"
        )


def _secret(given: str | None, prompt: str) -> str:
    """A secret from its option, or, when the option is left out or ``-``, from standard input:
    typed at a hidden prompt, or one line piped in. Secrets given as options show in ``ps``."""
    if given and given != "-":
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)


def _password(args: argparse.Namespace) -> str:
    if args.password or not sys.stdin.isatty():
        return _secret(args.password, "Password: ")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CliError("the passwords do not match")
    return first


# What each of a user's roles lets them do (``beetcrate user add|set --ROLE/--no-ROLE``).
ROLE_HELP = {
    "settings": "change their own password",
    "stream": "stream songs",
    "download": "download the original files",
    "playlist": "make playlists",
    "comment": "rate songs, albums and artists",
    "cover_art": "change cover art and tags (not offered by this server)",
    "upload": "upload files (not offered)",
    "podcast": "manage podcasts (not offered)",
    "share": "share songs by link (not offered)",
    "jukebox": "control the jukebox (not offered)",
    "video_conversion": "convert videos (not offered)",
}


def _with_roles(roles: Roles, args: argparse.Namespace) -> Roles:
    """``roles`` with the ``--ROLE``/``--no-ROLE`` options given on the command line."""
    from dataclasses import replace

    given = {role: getattr(args, role) for role in ROLE_HELP if getattr(args, role) is not None}
    return replace(roles, **given)


def _describe(user: User) -> str:
    granted = [role for role in ROLE_HELP if getattr(user.roles, role)]
    return "\n".join(
        [
            f"name:         {user.name}",
            f"admin:        {'yes' if user.admin else 'no'}",
            f"email:        {user.email or '-'}",
            f"max bit rate: {user.max_bit_rate or 'no limit'}",
            f"scrobbling:   {'yes' if user.scrobbling else 'no'}",
            f"roles:        {', '.join(granted) or '-'}",
        ]
    )


def cmd_user(settings: Settings, args: argparse.Namespace) -> None:
    from dataclasses import replace

    from subsonic.store import Roles, StoreError
    from subsonic.userdata.writer import Writer

    users = _users(settings)
    if args.user_command == "add":
        user = users.add(
            args.name,
            _password(args),
            admin=args.admin,
            roles=_with_roles(Roles(), args),
            email=args.email,
        )
        print(f"added user {user.name}{' (admin)' if user.admin else ''}")
    elif args.user_command == "set":
        user = users.get(args.name)
        if user is None:
            raise StoreError(f"no user named {args.name!r}")
        changed = replace(
            user,
            admin=user.admin if args.admin is None else args.admin,
            roles=_with_roles(user.roles, args),
            email=user.email if args.email is None else args.email or None,
            max_bit_rate=user.max_bit_rate if args.max_bit_rate is None else args.max_bit_rate,
            scrobbling=user.scrobbling if args.scrobbling is None else args.scrobbling,
        )
        users.update(changed)
        print(_describe(changed))
    elif args.user_command == "show":
        user = users.get(args.name)
        if user is None:
            raise StoreError(f"no user named {args.name!r}")
        print(_describe(user))
    elif args.user_command == "passwd":
        users.set_password(args.name, _password(args))
        print(f"password of {args.name} changed")
    elif args.user_command == "apikey":
        print(users.new_api_key(args.name))
    elif args.user_command == "remove":
        users.remove(args.name, Writer(settings.db))
        print(f"removed user {args.name} and their stars, plays, playlists, queue and bookmarks")
    elif args.user_command == "link":
        if users.get(args.name) is None:
            raise StoreError(f"no user named {args.name!r}")
        _link(settings, args)
    elif args.user_command == "unlink":
        service = Service(args.service)
        if not _links(settings).unlink(args.name, service):
            raise CliError(f"{args.name} has no {service.value} link")
        print(f"unlinked {args.name} from {service.value}; plays not sent yet are dropped")
    else:
        links: dict[str, list[Link]] = {}
        for link in _links(settings).of():
            links.setdefault(link.user, []).append(link)
        for user in users.list():
            states = "; ".join(_link_line(link) for link in links.get(user.name, []))
            print(f"{user.name}{'  admin' if user.admin else ''}{'  ' + states if states else ''}")


def _link(settings: Settings, args: argparse.Namespace) -> None:
    """``beetcrate user link NAME SERVICE``: check the credentials with the service, then
    store them. The secret is never printed."""
    service = Service(args.service)
    if service is Service.LISTENBRAINZ:
        from beetcrate.scrobbling import listenbrainz

        secret = _secret(args.token, "ListenBrainz token (from listenbrainz.org/settings): ")
        if not secret:
            raise CliError("ListenBrainz needs your user token (from your ListenBrainz settings)")
        account = listenbrainz.Client(settings.listenbrainz, secret).validate()
    else:
        from beetcrate.scrobbling import lastfm

        if not settings.lastfm.configured:
            raise CliError("set beetcrate.lastfm.api_key and api_secret first")
        if args.session_key:
            secret = _secret(args.session_key, "Last.fm session key: ")
            account = lastfm.account(settings.lastfm, secret)
        else:
            authorization = lastfm.WebAuthorization(settings.lastfm)
            print(f"Open this page, sign in and allow access:\n\n  {authorization.url}\n")
            print(f"Waiting up to {args.wait:g} seconds for your approval (Ctrl-C stops)…")
            sys.stdout.flush()
            secret, account = authorization.wait(args.wait)
    _links(settings).link(args.name, service, secret, account)
    print(f"linked {args.name} to {service.value} account {account}")


def _role_options(parser: argparse.ArgumentParser) -> None:
    roles = parser.add_argument_group("roles (left out: unchanged, or the default for new users)")
    for role, does in ROLE_HELP.items():
        roles.add_argument(
            f"--{role.replace('_', '-')}",
            dest=role,
            action=argparse.BooleanOptionalAction,
            help=f"may {does}",
        )


# The task module of each plugin that queues work; importing one registers its tasks.
TASK_MODULES = {
    "opus": "beetsplug.opus.tasks",
    "dupes": "beetsplug.dupes.tasks",
    "dj": "beetsplug.dj.tasks",
}


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    import threading

    from beets import config, ui

    from beetcrate.queue import open_queue
    from beetcrate.scrobbling.dispatcher import start_dispatcher
    from beetcrate.scrobbling.forward import ForwardConfig

    enabled = [name for name in config["plugins"].as_str_seq() if name in TASK_MODULES]
    tasks = [importlib.import_module(TASK_MODULES[name]) for name in enabled]
    # Every worker forwards plays to the scrobbling services, from threads of its own process
    # (docs/scrobbling.md).
    huey = open_queue(settings.queue)
    for module in tasks:
        # A task module may watch for its tasks lost with a killed worker (beetsplug.dupes).
        if start := getattr(module, "start_worker", None):
            start(settings.db, settings.queue.lease_seconds)
    start_dispatcher(ForwardConfig.of(settings), threading.Event())
    if "dj" in enabled:
        # The DJ worker runs consumers for every task on the shared queue, plus the one writer
        # that applies analysis results to beets.
        overlay = ["-c", args.config] if args.config else []
        ui.main([*overlay, "dj", "worker", "--workers", str(args.workers)])
        return
    print(
        f"beetcrate worker: {args.workers} workers, tasks of {', '.join([*enabled, 'scrobbling'])}"
    )
    huey.create_consumer(workers=args.workers, worker_type="thread").run()


def cmd_demo(settings: Settings | None, args: argparse.Namespace) -> None:
    from beetcrate.demo import build_demo
    from beetcrate.server import check_address, serve

    if not args.no_serve:
        # Before building or printing anything: a demo that cannot serve says so first.
        check_address(args.bind or os.environ.get("BEETCRATE_BIND") or str(DEFAULTS["bind"]))
    root = Path(args.dir).resolve()
    config_file = build_demo(root)
    demo_settings = load_settings(config_file)
    if args.bind:
        demo_settings = _with_bind(demo_settings, args.bind)
    users = _users(demo_settings)
    password_file = root / "demo-password.txt"
    if users.get(DEMO_USER) is None:
        password = secrets.token_urlsafe(9)
        users.add(DEMO_USER, password, admin=True)
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
    password = password_file.read_text().strip()
    host, _, port = demo_settings.bind.rpartition(":")
    print(f"\nbeetcrate demo library: {root / 'music'}")
    print(f"Subsonic server: http://{host}:{port}/  user: {DEMO_USER}  password: {password}\n")
    if not args.no_serve:
        serve(demo_settings)


def _with_bind(settings: Settings, bind: str) -> Settings:
    from dataclasses import replace

    return replace(settings, bind=bind)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beetcrate",
        description="A Subsonic/OpenSubsonic music server for beets libraries.",
    )
    parser.add_argument("-c", "--config", help="beets configuration file (as for beet -c)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the Subsonic server (gunicorn)")
    serve.add_argument("--bind", help="HOST:PORT to listen on (default 127.0.0.1:4533)")
    serve.set_defaults(func=cmd_serve)

    demo = commands.add_parser(
        "demo",
        help="build an offline demo library and serve it",
        description=("Synthesize a small royalty-free library, import it with beets and serve it."),
    )
    demo.add_argument("--dir", default="demo", help="where to build it (default ./demo)")
    demo.add_argument("--bind", help="HOST:PORT to listen on (default 127.0.0.1:4533)")
    demo.add_argument("--no-serve", action="store_true", help="build the library only")
    demo.set_defaults(func=cmd_demo, needs_settings=False)

    scan = commands.add_parser("scan", help="bring the server's catalog in step with beets now")
    scan.add_argument("--force", action="store_true", help="recompare every item")
    scan.set_defaults(func=cmd_scan)

    worker = commands.add_parser("worker", help="run background tasks from the Huey queue")
    worker.add_argument("-w", "--workers", type=int, default=2, help="worker threads")
    worker.set_defaults(func=cmd_worker)

    user = commands.add_parser("user", help="manage the server's users")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_commands.add_parser(
        "add",
        help="add a user",
        description="Add a user. New users may change their password, stream, download, make"
        " playlists and rate, unless told otherwise.",
    )
    add.add_argument("name")
    add.add_argument("--password", help="the password (asked for when left out)")
    add.add_argument("--admin", action="store_true", help="give the user admin rights")
    add.add_argument("--email", help="the user's email address")
    _role_options(add)
    change = user_commands.add_parser(
        "set", help="change a user's rights and details", description="Change a user."
    )
    change.add_argument("name")
    change.add_argument(
        "--admin", action=argparse.BooleanOptionalAction, help="may manage users and scans"
    )
    change.add_argument("--email", help="the user's email address ('' removes it)")
    change.add_argument(
        "--max-bit-rate", type=int, metavar="KBPS", help="cap streams at KBPS (0: no limit)"
    )
    change.add_argument(
        "--scrobbling",
        action=argparse.BooleanOptionalAction,
        help="forward the user's plays to scrobbling services",
    )
    _role_options(change)
    show = user_commands.add_parser("show", help="show a user's rights and details")
    show.add_argument("name")
    passwd = user_commands.add_parser("passwd", help="change a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password", help="the new password (asked for when left out)")
    apikey = user_commands.add_parser("apikey", help="issue a new API key and print it")
    apikey.add_argument("name")
    remove = user_commands.add_parser("remove", help="remove a user and all their data")
    remove.add_argument("name")
    link = user_commands.add_parser(
        "link",
        help="link a user to their Last.fm or ListenBrainz account",
        description="Link a user's plays to their account on a scrobbling service. Last.fm"
        " (or the Last.fm-compatible API configured in beetcrate.lastfm): without"
        " --session-key, prints a page to open and waits for your approval there.",
    )
    link.add_argument("name")
    link.add_argument("service", choices=[service.value for service in Service])
    link.add_argument(
        "--session-key",
        metavar="KEY",
        help="lastfm: a session key you have ('-': read it from standard input, unseen by ps)",
    )
    link.add_argument(
        "--token",
        help="listenbrainz: your user token (left out or '-': asked for, or read from"
        " standard input, so it never shows in ps)",
    )
    link.add_argument(
        "--wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="lastfm: how long to wait for your approval (default 300)",
    )
    unlink = user_commands.add_parser("unlink", help="unlink a user from a scrobbling service")
    unlink.add_argument("name")
    unlink.add_argument("service", choices=[service.value for service in Service])
    user_commands.add_parser("list", help="list users, their scrobbling links and any rejection")
    user.set_defaults(func=cmd_user)
    return parser


def main(argv: list[str] | None = None) -> int:
    from subsonic.store import StoreError

    args = build_parser().parse_args(argv)
    func: Callable[[Settings | None, argparse.Namespace], None] = args.func
    try:
        settings = load_settings(args.config) if getattr(args, "needs_settings", True) else None
        if settings is not None and args.command == "serve" and args.bind:
            settings = _with_bind(settings, args.bind)
        func(settings, args)
    except (
        CliError,
        SettingsError,
        StoreError,
        LinkError,
        FileNotFoundError,
        sqlite3.Error,
    ) as exc:
        print(f"beetcrate: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
