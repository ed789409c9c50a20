"""beetcrate's Subsonic / OpenSubsonic service (a Flask app, served by gunicorn)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("beetcrate")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
