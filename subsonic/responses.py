"""The one response model, serialized to Subsonic XML, JSON and JSONP.

A response payload is a plain dict built in the order the XSD's sequences expect:

- a scalar value (str, int, float, bool) is an XML attribute and a JSON property;
- a dict is one child element / a JSON object;
- a list is repeated child elements / a JSON array (of objects, or of plain values);
- the key ``value`` holds an element's text content (``<genre>Rock</genre>`` is
  ``{"value": "Rock"}`` in JSON, as OpenSubsonic specifies);
- ``None`` is left out: node builders drop it (``nodes.compact``), and the XML writer skips it;
- an ``Element`` is a string the XSD declares as a child element (``<notes>…</notes>`` in
  ``albumInfo``): a child element in XML, a plain string in JSON.

Errors are values of the same model (``ApiError`` turns into a ``failed`` response), always
with HTTP 200 as the Subsonic API requires.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson
from flask import Response

from subsonic import __version__

API_VERSION = "1.16.1"
SERVER_TYPE = "beetcrate"
XML_NAMESPACE = "http://subsonic.org/restapi"

Payload = dict[str, Any]

# Subsonic and OpenSubsonic error codes.
GENERIC = 0
MISSING_PARAMETER = 10
CLIENT_TOO_OLD = 20
SERVER_TOO_OLD = 30
WRONG_CREDENTIALS = 40
TOKEN_AUTH_NOT_SUPPORTED = 41
AUTH_MECHANISM_NOT_SUPPORTED = 42
CONFLICTING_AUTH = 43
INVALID_API_KEY = 44
NOT_AUTHORIZED = 50
NOT_FOUND = 70

# For the answers beside the Subsonic API (``/beetcrate/…``), which use HTTP status codes.
HTTP_STATUS = {
    GENERIC: 400,
    MISSING_PARAMETER: 400,
    WRONG_CREDENTIALS: 401,
    TOKEN_AUTH_NOT_SUPPORTED: 401,
    AUTH_MECHANISM_NOT_SUPPORTED: 401,
    CONFLICTING_AUTH: 401,
    INVALID_API_KEY: 401,
    NOT_AUTHORIZED: 403,
    NOT_FOUND: 404,
}

_JSONP_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,127}$")


class Element(str):
    """Text written as a child element in XML and as a plain string in JSON."""


class ApiError(Exception):
    """An error the client is told about as a Subsonic ``failed`` response."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_http(self) -> Response:
        """The error as plain JSON with an HTTP status, for the routes beside the API."""
        response = Response(orjson.dumps({"error": self.message}), mimetype="application/json")
        response.status_code = HTTP_STATUS.get(self.code, 500)
        return response


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def _xml_element(name: str, node: Any) -> Iterator[str]:
    if not isinstance(node, dict):
        yield f"<{name}>{escape(_xml_value(node))}</{name}>"
        return
    attributes = []
    children = []
    text = None
    for key, value in node.items():
        if value is None:
            continue
        if key == "value" and not isinstance(value, dict | list):
            text = _xml_value(value)
        elif isinstance(value, dict | list | Element):
            children.append((key, value))
        else:
            attributes.append(f" {key}={quoteattr(_xml_value(value))}")
    yield f"<{name}{''.join(attributes)}"
    if not children and text is None:
        yield "/>"
        return
    yield ">"
    if text is not None:
        yield escape(text)
    for key, value in children:
        for child in value if isinstance(value, list) else [value]:
            yield from _xml_element(key, child)
    yield f"</{name}>"


def envelope(payload: Payload | None = None, status: str = "ok") -> Payload:
    """The ``subsonic-response`` node every answer is wrapped in."""
    return {
        "status": status,
        "version": API_VERSION,
        "type": SERVER_TYPE,
        "serverVersion": __version__,
        "openSubsonic": True,
        **(payload or {}),
    }


def to_xml(node: Payload) -> str:
    body = "".join(_xml_element("subsonic-response", {"xmlns": XML_NAMESPACE, **node}))
    return '<?xml version="1.0" encoding="UTF-8"?>' + body


def to_json(node: Payload) -> bytes:
    """JSON of a payload whose builders left out None (see ``nodes.compact``)."""
    return orjson.dumps({"subsonic-response": node})


def render(node: Payload, fmt: str, callback: str | None = None) -> Response:
    """Serialize a wrapped response in the format the client asked for (``f=``)."""
    if fmt == "json":
        return Response(to_json(node), mimetype="application/json")
    if fmt == "jsonp" and callback and _JSONP_CALLBACK.match(callback):
        body = b"%s(%s);" % (callback.encode(), to_json(node))
        return Response(body, mimetype="application/javascript")
    return Response(to_xml(node), mimetype="text/xml")


def error_node(error: ApiError) -> Payload:
    return envelope({"error": {"code": error.code, "message": error.message}}, status="failed")


class RenderedCache:
    """Rendered bodies of answers reused while what they show stands (see ``api.RENDER_CACHED``).

    getArtists and getIndexes list every artist, getStarred2 every starred song: at 100k
    tracks building and encoding them costs more than the rest of the request. Each process
    keeps the last few renderings, keyed by the versions of what they show, within a budget of
    bytes (a list of 5,000 songs is a few megabytes).
    """

    def __init__(self, size: int = 32, max_bytes: int = 64 * 2**20) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[bytes, str | None]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Response | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
        return Response(entry[0], mimetype=entry[1])

    def put(self, key: tuple, response: Response) -> None:
        body = response.get_data()
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous[0])
            self._entries[key] = (body, response.mimetype)
            self._bytes += len(body)
            while len(self._entries) > self.size or self._bytes > self.max_bytes:
                _, (evicted, _) = self._entries.popitem(last=False)
                self._bytes -= len(evicted)
