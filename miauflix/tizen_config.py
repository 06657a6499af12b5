"""``config.xml`` for the TV package: set the version, check what Tizen's installer checks.

The template lives in ``tizen/config.xml``. The build refuses a config that a TV would
refuse (or that would install an app without remote-control keys), with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from lxml import etree

from miauflix.tizen_errors import TizenBuildError

WIDGETS = "http://www.w3.org/ns/widgets"
TIZEN = "http://tizen.org/ns/widgets"
REQUIRED_PRIVILEGES = frozenset(
    {"http://tizen.org/privilege/internet", "http://tizen.org/privilege/tv.inputdevice"}
)
_APP_ID = re.compile(r"(?P<package>[0-9A-Za-z]{10})\.[0-9A-Za-z]{1,52}")
_VERSION = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,5})")


@dataclass(frozen=True)
class WidgetConfig:
    """The fields of ``config.xml`` the installer and the TV care about."""

    version: str
    application_id: str
    package: str
    profile: str
    privileges: frozenset[str]
    hwkey_event: str
    icon: str
    content: str


def tizen_version(version: str) -> str:
    """A Python package version as Tizen's ``x.y.z`` (0-255, 0-255, 0-65535)."""
    match = _VERSION.match(version)
    if match is None or not (
        int(match[1]) <= 255 and int(match[2]) <= 255 and int(match[3]) <= 65535
    ):
        raise TizenBuildError(f"version {version!r} has no Tizen form x.y.z (255.255.65535 max)")
    return f"{int(match[1])}.{int(match[2])}.{int(match[3])}"


def render_config(template: bytes, version: str) -> bytes:
    """The template with ``widget/@version`` set to ``version`` (Tizen form)."""
    root = _parse(template)
    root.set("version", tizen_version(version))
    body = etree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def read_config(data: bytes, package_names: Collection[str]) -> WidgetConfig:
    """Parse and check ``config.xml`` against the files the package will hold."""
    root = _parse(data)
    app = root.find(f"{{{TIZEN}}}application")
    app_id = app.get("id", "") if app is not None else ""
    match = _APP_ID.fullmatch(app_id)
    if app is None or match is None:
        raise TizenBuildError(f"config.xml: application id {app_id!r} is not <10 chars>.<name>")
    if app.get("package") != match["package"]:
        raise TizenBuildError(f"config.xml: package {app.get('package')!r} != id {app_id!r}")
    profile = root.find(f"{{{TIZEN}}}profile")
    setting = root.find(f"{{{TIZEN}}}setting")
    privileges = frozenset(p.get("name", "") for p in root.iter(f"{{{TIZEN}}}privilege"))
    config = WidgetConfig(
        version=root.get("version", ""),
        application_id=app_id,
        package=match["package"],
        profile=profile.get("name", "") if profile is not None else "",
        privileges=privileges,
        hwkey_event=setting.get("hwkey-event", "") if setting is not None else "",
        icon=_src(root, "icon"),
        content=_src(root, "content"),
    )
    problems = []
    if config.profile != "tv":
        problems.append(f"profile is {config.profile!r}, not 'tv'")
    if missing := sorted(REQUIRED_PRIVILEGES - privileges):
        problems.append(f"privileges missing: {', '.join(missing)}")
    if config.hwkey_event != "enable":
        problems.append("hwkey-event is not enabled (Back would not reach the app)")
    for kind, src in (("icon", config.icon), ("content", config.content)):
        if src not in package_names:
            problems.append(f"{kind} {src!r} is not in the package")
    if problems:
        raise TizenBuildError("config.xml: " + "; ".join(problems))
    return config


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise TizenBuildError(f"config.xml is not well-formed XML: {exc}") from None
    if root.tag != f"{{{WIDGETS}}}widget":
        raise TizenBuildError(f"config.xml: the root is {root.tag!r}, not a W3C widget")
    return root


def _src(root: etree._Element, tag: str) -> str:
    element = root.find(f"{{{WIDGETS}}}{tag}")
    return element.get("src", "") if element is not None else ""
