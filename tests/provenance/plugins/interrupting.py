"""A plugin for the provenance tests that ends a command in the middle of its stores.

The store after the first ``interrupting: after`` raises ``interrupting: raise``: a
``RuntimeError`` (the command fails with a traceback) or a ``KeyboardInterrupt`` (as Ctrl-C
there). beets commits the stores made before (its transaction commits when it is left, however
it is left), and, being listed after ``provenance``, the plugin lets it see that last store.
"""

from __future__ import annotations

from beets.dbcore.db import Model
from beets.library import Library
from beets.plugins import BeetsPlugin

INTERRUPTIONS: dict[str, type[BaseException]] = {
    "RuntimeError": RuntimeError,
    "KeyboardInterrupt": KeyboardInterrupt,
}


class Interrupting(BeetsPlugin):
    def __init__(self) -> None:
        super().__init__()
        self.config.add({"raise": "RuntimeError", "after": 2})
        self.stores = 0
        self.register_listener("database_change", self.count)

    def count(self, lib: Library, model: Model) -> None:
        self.stores += 1
        if self.stores > self.config["after"].get(int):
            raise INTERRUPTIONS[self.config["raise"].as_str()]("interrupted by the test")
