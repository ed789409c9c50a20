"""Validation of responses against the contract in ../shared/spec.

XML is checked against the Subsonic 1.16.1 XSD. The XSD has no ``xs:any``, so OpenSubsonic
additions are removed first: the root's ``type``/``serverVersion``/``openSubsonic``, and every
attribute or element whose name appears in the OpenSubsonic schemas but nowhere in the XSD (the
list is derived from both specs, not written by hand). JSON is checked against the endpoint's
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
NS = "{http://subsonic.org/restapi}"
ROOT_ADDITIONS = ("type", "serverVersion", "openSubsonic")


def require_spec() -> None:
    if not XSD.exists():
        pytest.skip(f"the Subsonic spec is not at {SPEC} (../shared/spec beside the repo)")


@functools.cache
def _xsd() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


# Attributes OpenSubsonic retyped (errata): checked by the JSON schemas, left out for the XSD.
# PlayQueue's ``current`` is an xs:int in the XSD but a song id, a string, in OpenSubsonic.
RETYPED = {"PlayQueue": {"current"}}


@functools.cache
def opensubsonic_only_names() -> frozenset[str]:
    """Every field name the OpenSubsonic schemas define (stripped only where the XSD's type
    for that element does not declare it), and every response element its endpoints answer
    with (OpenSubsonic-only ones such as ``lyricsList`` or ``playQueueByIndex`` among them)."""
    names = set()
    for schema_file in (OPENAPI / "schemas").glob("*.json"):
        schema = json.loads(schema_file.read_text())
        # A type that extends another (NowPlayingEntry extends Child) lists its own fields
        # in the second part of an allOf.
        for part in [schema, *schema.get("allOf", [])]:
            names |= set(part.get("properties", {}))
    for success in (OPENAPI / "endpoints").glob("*/*SuccessResponse.json"):
        for part in json.loads(success.read_text()).get("allOf", []):
            names |= set(part.get("properties", {}))
    return frozenset(names)


def _strip(element: etree._Element, xsd_type, extra: frozenset[str]) -> None:
    """Remove OpenSubsonic additions that ``xsd_type`` does not declare, walking down."""
    declared = set(xsd_type.attributes) if hasattr(xsd_type, "attributes") else set()
    declared -= RETYPED.get(getattr(xsd_type, "local_name", None) or "", set())
    for name in [a for a in element.attrib if a not in declared and a in extra]:
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
            _strip(child, children[name].type, extra)
        elif name in extra:
            element.remove(child)


def strip_opensubsonic(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    for name in ROOT_ADDITIONS:
        root.attrib.pop(name, None)
    _strip(root, _xsd().elements["subsonic-response"].type, opensubsonic_only_names())
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
