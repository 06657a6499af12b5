"""config.xml: the version is set from the package, and a config a TV would refuse is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from miauflix.tizen_config import read_config, render_config, tizen_version
from miauflix.tizen_errors import TizenBuildError

TEMPLATE = (Path(__file__).resolve().parents[2] / "tizen" / "config.xml").read_bytes()
FILES = {"index.html", "icon.png"}


def _config(old: str, new: str) -> bytes:
    text = TEMPLATE.decode()
    assert old in text
    return text.replace(old, new).encode()


def test_the_template_renders_with_the_version_and_passes_the_checks() -> None:
    rendered = render_config(TEMPLATE, "1.2.3")
    config = read_config(rendered, FILES)
    assert config.version == "1.2.3"
    assert config.application_id == "MiauFlix01.Miauflix" and config.package == "MiauFlix01"
    assert (config.profile, config.hwkey_event) == ("tv", "enable")
    assert (config.icon, config.content) == ("icon.png", "index.html")
    assert rendered.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<widget')


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0.1.0", "0.1.0"),
        ("1.2.3.dev4", "1.2.3"),
        ("2.0.1rc1", "2.0.1"),
        ("255.255.65535", "255.255.65535"),
        ("01.02.03", "1.2.3"),
    ],
)
def test_package_versions_map_to_tizen_versions(given: str, expected: str) -> None:
    assert tizen_version(given) == expected


@pytest.mark.parametrize("given", ["", "1.2", "v1.2.3", "256.0.0", "1.256.0", "1.0.65536", "1.2.x"])
def test_versions_without_a_tizen_form_are_refused(given: str) -> None:
    with pytest.raises(TizenBuildError, match="Tizen form"):
        tizen_version(given)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('id="MiauFlix01.Miauflix"', 'id="Miau.Miauflix"', "application id"),
        ('id="MiauFlix01.Miauflix"', 'id="MiauFlix01.Miau-flix"', "application id"),
        ('id="MiauFlix01.Miauflix"', 'id="MiauFlix02.Miauflix"', "package"),
        ('<tizen:profile name="tv"/>', '<tizen:profile name="mobile"/>', "profile"),
        ('<tizen:profile name="tv"/>', "", "profile"),
        (
            "http://tizen.org/privilege/tv.inputdevice",
            "http://tizen.org/privilege/x",
            "tv.inputdevice",
        ),
        ('hwkey-event="enable"', 'hwkey-event="disable"', "hwkey-event"),
        ('<icon src="icon.png"/>', '<icon src="missing.png"/>', "icon"),
        ('<content src="index.html"/>', "", "content"),
    ],
)
def test_a_config_the_tv_would_refuse_is_refused(old: str, new: str, reason: str) -> None:
    with pytest.raises(TizenBuildError, match=reason):
        read_config(_config(old, new), FILES)


@pytest.mark.parametrize(
    "data",
    [b"", b"<widget", b"<other xmlns='http://www.w3.org/ns/widgets'/>", b"<widget/>", b"\xff\xfe"],
)
def test_malformed_or_foreign_xml_is_refused(data: bytes) -> None:
    with pytest.raises(TizenBuildError, match=r"config\.xml"):
        render_config(data, "0.1.0")


def test_external_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    hostile = _config(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE widget [<!ENTITY x SYSTEM "file://{secret}">]>\n',
    ).replace(b"<name>Miauflix</name>", b"<name>&x;</name>")
    assert b"TOP-SECRET-VALUE" not in render_config(hostile, "0.1.0")
