"""`miauflix tizen build --out DIR` writes a Miauflix.wgt a Samsung TV installs: the layout,
config.xml's fields, and (with the user's .p12 files) signatures xmlsec1 verifies."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from lxml import etree, html
from playwright import sync_api as playwright_api

from miauflix.tizen_build import build_wgt, read_password, zip_package
from miauflix.tizen_errors import TizenBuildError
from miauflix.tizen_sign import load_p12
from tests.miauflix.tizen_sign.pki import Pki, make_pki, unpack, xmlsec1_verify

CHROMIUM = Path("/usr/bin/chromium")
NS = {"w": "http://www.w3.org/ns/widgets", "tizen": "http://tizen.org/ns/widgets"}
CONTENT = {"config.xml", "index.html", "icon.png", "app.js", "app.css", "tv.css"}


def _miauflix(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "miauflix.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), password="pässwörd with spaces")


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    done = _miauflix("tizen", "build", "--out", str(out / "new dir"))
    assert done.returncode == 0, done.stderr
    assert "unsigned" in done.stdout
    return out / "new dir" / "Miauflix.wgt"


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("signed")
    done = _miauflix(
        "tizen", "build", "--out", str(out),
        "--author-p12", str(pki.author_p12), "--author-password-env", "AUTHOR_PW",
        "--distributor-p12", str(pki.distributor_p12), "--distributor-password-env", "DIST_PW",
        env={"AUTHOR_PW": pki.password, "DIST_PW": pki.password},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out / "Miauflix.wgt", done.stdout + done.stderr


def test_the_package_holds_config_content_and_icon_at_its_root(unsigned: Path) -> None:
    with zipfile.ZipFile(unsigned) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
        icon = archive.read("icon.png")
        index = archive.read("index.html").decode()
    assert names[0] == "config.xml"
    assert set(names) == CONTENT
    assert icon.startswith(b"\x89PNG\r\n\x1a\n")
    page = html.fromstring(index)
    assert [(s.get("src"), s.get("type")) for s in page.iter("script")] == [("app.js", None)]
    assert [link.get("href") for link in page.iter("link")] == ["app.css", "tv.css"]
    assert page.get_element_by_id("app") is not None


def test_config_xml_declares_the_tv_app(unsigned: Path) -> None:
    with zipfile.ZipFile(unsigned) as archive:
        root = etree.fromstring(archive.read("config.xml"))
    assert root.tag == "{http://www.w3.org/ns/widgets}widget"
    assert root.get("version") == version("miauflix")
    (app,) = root.findall("tizen:application", NS)
    assert app.get("id") == "MiauFlix01.Miauflix" and app.get("package") == "MiauFlix01"
    assert len(app.get("package", "")) == 10 and app.get("package", "").isalnum()
    assert root.find("tizen:profile", NS).get("name") == "tv"
    privileges = {p.get("name") for p in root.findall("tizen:privilege", NS)}
    assert privileges == {
        "http://tizen.org/privilege/internet",
        "http://tizen.org/privilege/tv.inputdevice",
    }
    setting = root.find("tizen:setting", NS)
    assert setting.get("hwkey-event") == "enable"
    assert setting.get("screen-orientation") == "landscape"
    assert root.find("w:icon", NS).get("src") == "icon.png"
    assert root.find("w:content", NS).get("src") == "index.html"
    assert root.find("w:access", NS).get("origin") == "*"


def test_the_bundle_is_a_classic_script(unsigned: Path) -> None:
    with zipfile.ZipFile(unsigned) as archive:
        script = archive.read("app.js").decode()
    assert script.lstrip().startswith(("(()=>{", '"use strict";(()=>{'))


def test_the_unpacked_package_boots_the_client_in_chromium(unsigned: Path, tmp_path: Path) -> None:
    """The entry page loads the bundle from the package itself (file://, as on the TV)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing (scripts/setup.sh installs Debian's chromium)")
    package = unpack(unsigned, tmp_path / "pkg")
    errors: list[str] = []
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.route("http*://**", lambda route: route.abort())  # nothing leaves the package
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto((package / "index.html").as_uri())
            page.get_by_label("Server address").wait_for(timeout=15_000)
        finally:
            browser.close()
    assert errors == []


def test_a_signed_package_verifies_with_xmlsec1(
    signed: tuple[Path, str], pki: Pki, tmp_path: Path
) -> None:
    wgt, output = signed
    package = unpack(wgt, tmp_path / "pkg")
    names = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    assert names == CONTENT | {"author-signature.xml", "signature1.xml"}
    for signature in ("author-signature.xml", "signature1.xml"):
        result = xmlsec1_verify(package, signature, pki.ca_pem)
        assert result.returncode == 0, result.stderr
    assert pki.password not in output and "signed (author + distributor)" in output


def test_a_tampered_file_in_the_signed_package_fails_verification(
    signed: tuple[Path, str], pki: Pki, tmp_path: Path
) -> None:
    package = unpack(signed[0], tmp_path / "pkg")
    config = package / "config.xml"
    config.write_bytes(config.read_bytes().replace(b"MiauFlix01.Miauflix", b"MiauFlix01.Miauflux"))
    for signature in ("author-signature.xml", "signature1.xml"):
        result = xmlsec1_verify(package, signature, pki.ca_pem)
        assert result.returncode != 0
        assert "data and digest do not match" in result.stderr


def test_signing_needs_both_certificates(tmp_path: Path, pki: Pki) -> None:
    done = _miauflix(
        "tizen", "build", "--out", str(tmp_path),
        "--author-p12", str(pki.author_p12), "--author-password-env", "AUTHOR_PW",
        env={"AUTHOR_PW": pki.password},
    )  # fmt: skip
    assert done.returncode == 1 and "--distributor-p12" in done.stderr
    assert not (tmp_path / "Miauflix.wgt").exists()


def test_a_wrong_password_fails_without_writing_or_echoing(tmp_path: Path, pki: Pki) -> None:
    done = _miauflix(
        "tizen", "build", "--out", str(tmp_path),
        "--author-p12", str(pki.author_p12), "--author-password-env", "AUTHOR_PW",
        "--distributor-p12", str(pki.distributor_p12), "--distributor-password-env", "DIST_PW",
        env={"AUTHOR_PW": "not-the-password-123", "DIST_PW": pki.password},
    )  # fmt: skip
    assert done.returncode == 1 and "wrong password" in done.stderr
    assert "not-the-password-123" not in done.stdout + done.stderr
    assert not (tmp_path / "Miauflix.wgt").exists()


def test_an_unset_password_variable_is_named_and_no_prompt_without_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MIAUFLIX_TEST_NO_SUCH_VAR", raising=False)
    with pytest.raises(TizenBuildError, match="MIAUFLIX_TEST_NO_SUCH_VAR"):
        read_password("MIAUFLIX_TEST_NO_SUCH_VAR", "author certificate a.p12")
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - closed by pytest
    with pytest.raises(TizenBuildError, match="no password"):
        read_password(None, "author certificate a.p12")


def test_a_password_comes_from_the_terminal_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return "typed"

    monkeypatch.setattr(sys, "stdin", Tty())
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    assert read_password(None, "author certificate a.p12") == "typed"
    assert prompts == ["Password for the author certificate a.p12: "]


def test_out_must_be_a_directory(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(TizenBuildError, match="not a directory"):
        build_wgt(target)


def test_the_same_files_give_the_same_package_bytes() -> None:
    files = {"config.xml": b"<widget/>", "b/c.js": b"1", "a.png": b"\x89PNG"}
    first = zip_package(files)
    assert first == zip_package(dict(reversed(list(files.items()))))
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["config.xml", "a.png", "b/c.js"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_the_help_lists_the_signing_options() -> None:
    done = _miauflix("tizen", "build", "--help")
    assert done.returncode == 0
    for flag in ("--out", "--author-p12", "--author-password-env", "--distributor-p12"):
        assert flag in done.stdout
    assert "--author-password " not in done.stdout


def test_a_tree_without_tizen_sources_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TizenBuildError, match="source checkout"):
        build_wgt(tmp_path / "out", source_root=tmp_path)
    assert not (tmp_path / "out").exists()


def test_a_distributor_signature_alone_is_refused(tmp_path: Path, pki: Pki) -> None:
    distributor = load_p12(pki.distributor_p12, pki.password)
    with pytest.raises(TizenBuildError, match="needs an author"):
        build_wgt(tmp_path, distributor=distributor)
    assert list(tmp_path.iterdir()) == []
