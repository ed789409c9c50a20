"""beetcrate's Subsonic / OpenSubsonic service: a Flask app, served by gunicorn.

``app.create_app(settings)`` builds it; ``api`` is the one list of endpoints and the dispatcher;
one module per section of the Subsonic spec holds the handlers; ``catalog`` keeps indexed
tables derived from beets' database, which ``library`` reads; ``responses`` is the one response
model. It reads the plugins' data only through their small read modules (docs/ARCHITECTURE.md).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("beetcrate")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
