"""Validation of responses against the contract in ../shared/spec.

XML is checked against the Subsonic 1.16.1 XSD. The XSD has no ``xs:any``, so OpenSubsonic
additions are removed first, per XSD type: an attribute or element that the element's XSD type
does not declare is removed only if the OpenSubsonic schema of that same type defines it
(``isCompilation`` is tolerated on ``AlbumID3``, where OpenSubsonic has it, and fails the XSD on
``Child``, where it has not). The root's additions are those of OpenSubsonic's response
envelope and its OpenSubsonic-only answers (``tokenInfo``, ``lyricsList``…). Both lists are
derived from the specs, not written by hand. JSON is checked against the endpoint's
OpenSubsonic response schema.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from lxml import etree
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec"
XSD = SPEC / "subsonic-rest-api-1.16.1.xsd"
OPENAPI = SPEC / "opensubsonic" / "openapi"
SCHEMAS = OPENAPI / "schemas"
# XSD types whose OpenSubsonic schema is named differently; the rest share their names.
OPENSUBSONIC_NAMES = {"AlbumWithSongsID3": "AlbumID3WithSongs"}
RESPONSE_TYPE = "Response"


def require_spec() -> None:
    if not XSD.exists():
        pytest.skip(f"the Subsonic spec is not at {SPEC} (../shared/spec beside the repo)")


@functools.cache
def _xsd() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


# Attributes OpenSubsonic retyped (errata): checked by the JSON schemas, left out for the XSD.
# PlayQueue's ``current`` is an xs:int in the XSD but a song id, a string, in OpenSubsonic.
RETYPED = {"PlayQueue": {"current"}}


def _properties(schema_file: Path) -> frozenset[str]:
    """The field names a JSON schema defines, following ``allOf`` and ``$ref``."""

    def collect(schema: dict, base: Path) -> set[str]:
        names = set(schema.get("properties", {}))
        if "$ref" in schema:
            names |= _properties((base / schema["$ref"]).resolve())
        for part in schema.get("allOf", []):
            names |= collect(part, base)
        return names

    return frozenset(collect(json.loads(schema_file.read_text()), schema_file.parent))


@functools.cache
def opensubsonic_fields(xsd_type_name: str) -> frozenset[str]:
    """What OpenSubsonic defines on the XSD type ``xsd_type_name``: empty for types it has no
    schema for. For the response envelope: its fields and every success answer's."""
    if xsd_type_name == RESPONSE_TYPE:
        answers = (OPENAPI / "endpoints").glob("*/*SuccessResponse.json")
        return frozenset().union(*map(_properties, answers))
    schema_file = SCHEMAS / f"{OPENSUBSONIC_NAMES.get(xsd_type_name, xsd_type_name)}.json"
    return _properties(schema_file) if schema_file.exists() else frozenset()


def _strip(element: etree._Element, xsd_type) -> None:
    """Remove what OpenSubsonic adds to ``xsd_type`` and the XSD does not declare, walking down."""
    allowed = opensubsonic_fields(xsd_type.local_name) if xsd_type.local_name else frozenset()
    declared = set(xsd_type.attributes) if hasattr(xsd_type, "attributes") else set()
    declared -= RETYPED.get(xsd_type.local_name or "", set())
    for name in [a for a in element.attrib if a not in declared and a in allowed]:
        del element.attrib[name]
    content = getattr(xsd_type, "content", None)
    children = (
        {e.local_name: e for e in content.iter_elements()}
        if content is not None and hasattr(content, "iter_elements")
        else {}
    )
    for child in list(element):
        name = etree.QName(child).localname
        if name in children:
            _strip(child, children[name].type)
        elif name in allowed:
            element.remove(child)


def strip_opensubsonic(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    _strip(root, _xsd().elements["subsonic-response"].type)
    return root


def validate_xml(xml: bytes) -> None:
    require_spec()
    _xsd().validate(etree.tostring(strip_opensubsonic(xml)))


@functools.cache
def _registry() -> Registry:
    def retrieve(uri: str) -> Resource:
        path = Path(uri.removeprefix("file://"))
        return Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT7)

    return Registry(retrieve=retrieve)


def response_schema_uri(method: str) -> str:
    folder = OPENAPI / "endpoints" / method
    candidates = list(folder.glob("*Response.json")) if folder.is_dir() else []
    responses = [c for c in candidates if not c.name.endswith("SuccessResponse.json")]
    if responses:
        return responses[0].as_uri()
    # Methods whose answer is an empty subsonic-response (ping, startScan…): an OpenAPI
    # response object, whose schema sits under content.
    empty = OPENAPI / "responses" / "EmptySubsonicResponse.json"
    return empty.as_uri() + "#/content/application~1json/schema"


def validate_json(method: str, document: dict) -> None:
    require_spec()
    schema = {"$ref": response_schema_uri(method)}
    validator = jsonschema.Draft7Validator(schema, registry=_registry())
    errors = sorted(validator.iter_errors(document), key=lambda e: e.path)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
