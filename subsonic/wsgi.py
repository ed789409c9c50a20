"""WSGI entry point for running under a gunicorn of your own: ``gunicorn subsonic.wsgi:app``.

The beets configuration is found as ``beet`` finds it (``BEETSDIR``), or named by
``BEETCRATE_CONFIG``.
"""

import os

from beetcrate.settings import load_settings
from subsonic.app import create_app

app = create_app(load_settings(os.environ.get("BEETCRATE_CONFIG")))
