"""imsmanifest.xml of a SCORM 1.2 or 2004 package: its version and the items a learner can launch.

Parsed with defusedxml (no entity expansion, no external references). What is read: the
default organization's items in document order, each item's resource (href under the
resources' xml:base, the item's parameters appended), and SCORM 1.2 prerequisites, which must
name items of the manifest. Sequencing rules of SCORM 2004 are not interpreted (see
docs/content-standards.md); the items become lessons in manifest order.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from training.scorm.archive import archive_path_join

ADLCP_12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
ADLCP_2004 = "http://www.adlnet.org/xsd/adlcp_v1p3"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_PREREQUISITE_TOKEN = re.compile(r"[A-Za-z_][\w.\-]*")
_PREREQUISITE_WORDS = {"and", "or", "not"}


@dataclass(frozen=True)
class LaunchItem:
    identifier: str
    title: str
    launch: str  # the href to load, relative to the package root, parameters included
    file: str  # the member of the zip it opens


@dataclass(frozen=True)
class Manifest:
    version: str  # "1.2" or "2004" (ScormVersion values)
    identifier: str
    title: str
    items: list[LaunchItem]


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError({"package": ValidationError(message, code=code)})


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _children(node: Element, name: str) -> list[Element]:
    return [child for child in node if _local(child.tag) == name]


def _text_of(node: Element, name: str) -> str:
    found = _children(node, name)
    return (found[0].text or "").strip() if found else ""


def _version(root: Element, raw: bytes) -> str:
    metadata = _children(root, "metadata")
    stated = _text_of(metadata[0], "schemaversion") if metadata else ""
    if stated == "1.2":
        return "1.2"
    if "2004" in stated or stated == "CAM 1.3":
        return "2004"
    if ADLCP_2004.encode() in raw:
        return "2004"
    if ADLCP_12.encode() in raw:
        return "1.2"
    raise _refuse(_("The manifest does not say which SCORM version it follows."), "version")


def _attr(node: Element, name: str) -> str:
    """An attribute by local name, whatever its namespace (adlcp:scormtype, scormType, ...)."""
    for key, value in node.attrib.items():
        if _local(key).lower() == name.lower():
            return value.strip()
    return ""


def _organization(root: Element) -> Element:
    holders = _children(root, "organizations")
    organizations = _children(holders[0], "organization") if holders else []
    if not organizations:
        raise _refuse(_("The manifest has no organization of its content."), "no_organization")
    default = holders[0].get("default", "")
    chosen = [org for org in organizations if org.get("identifier") == default]
    return chosen[0] if chosen else organizations[0]


def _walk(node: Element) -> Iterator[Element]:
    for item in _children(node, "item"):
        yield item
        yield from _walk(item)


def _resources(root: Element) -> tuple[dict[str, Element], str]:
    holders = _children(root, "resources")
    if not holders:
        raise _refuse(_("The manifest lists no resources."), "no_resources")
    base = (root.get(XML_BASE) or "") + (holders[0].get(XML_BASE) or "")
    found = {res.get("identifier", ""): res for res in _children(holders[0], "resource")}
    return found, base


def _with_parameters(href: str, parameters: str) -> str:
    parameters = parameters.lstrip("?&")
    if not parameters:
        return href
    if parameters.startswith("#"):
        return href if "#" in href else href + parameters
    return f"{href}{'&' if '?' in href else '?'}{parameters}"


def _launch_item(
    item: Element, resources: dict[str, Element], base: str, files: set[str]
) -> LaunchItem:
    identifier = item.get("identifier", "")
    resource = resources.get(item.get("identifierref", ""))
    if resource is None:
        raise _refuse(
            _("Item %(item)s points to a resource the manifest does not list.")
            % {"item": identifier},
            "missing_resource",
        )
    href = resource.get("href", "").strip()
    parts = urlsplit(href)
    if not href or parts.scheme or parts.netloc:
        raise _refuse(
            _("Item %(item)s has no launch file inside the package.") % {"item": identifier},
            "external_launch",
        )
    folder = base + (resource.get(XML_BASE) or "")
    file = archive_path_join(folder, unquote(parts.path))
    if file not in files:
        raise _refuse(
            _("The launch file %(file)s is missing from the package.") % {"file": href},
            "missing_launch",
        )
    launch = file + (f"?{parts.query}" if parts.query else "")
    title = _text_of(item, "title") or identifier
    return LaunchItem(
        identifier=identifier[:200],
        title=title[:200],
        launch=_with_parameters(launch, _attr(item, "parameters")),
        file=file,
    )


def _check_prerequisites(items: list[Element]) -> None:
    """SCORM 1.2 prerequisites ("intro & (part1 | part2)") may only name items we know."""
    known = {item.get("identifier", "") for item in items}
    for item in items:
        for node in _children(item, "prerequisites"):
            for token in _PREREQUISITE_TOKEN.findall(node.text or ""):
                if token.lower() not in _PREREQUISITE_WORDS and token not in known:
                    raise _refuse(
                        _("Item %(item)s requires %(other)s, which the manifest does not list.")
                        % {"item": item.get("identifier", ""), "other": token},
                        "prerequisite",
                    )


def manifest_parse(*, raw: bytes, files: set[str]) -> Manifest:
    """The manifest's launchable items, or a ValidationError naming what is wrong."""
    try:
        root = fromstring(raw)
    except (ParseError, DefusedXmlException, ValueError):
        raise _refuse(_("imsmanifest.xml is not valid XML."), "manifest_xml") from None
    if _local(root.tag) != "manifest":
        raise _refuse(_("imsmanifest.xml is not a content package manifest."), "manifest_root")
    version = _version(root, raw)
    organization = _organization(root)
    resources, base = _resources(root)
    items = list(_walk(organization))
    _check_prerequisites(items)
    launchable = [
        _launch_item(item, resources, base, files) for item in items if item.get("identifierref")
    ]
    if not launchable:
        raise _refuse(_("The manifest has no item a learner can launch."), "no_items")
    return Manifest(
        version=version,
        identifier=root.get("identifier", "")[:200],
        title=(_text_of(organization, "title") or root.get("identifier", "") or "SCORM")[:200],
        items=launchable,
    )
