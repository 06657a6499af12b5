"""The TV bundle: esbuild lowers modern syntax for Chromium 56, and fails loudly on the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from miauflix.tizen_bundle import ESBUILD, TARGET, bundle_web_client
from miauflix.tizen_errors import TizenBuildError

REPO = Path(__file__).resolve().parents[2]
REAL_ESBUILD = REPO / "web" / ESBUILD


def _web(tmp_path: Path, main_js: str, css: str | None = None) -> Path:
    src = tmp_path / "web" / "src"
    src.mkdir(parents=True)
    if css is not None:
        (src / "styles.css").write_text(css)
        main_js = 'import "./styles.css";\n' + main_js
    (src / "main.js").write_text(main_js)
    return tmp_path / "web"


def test_modern_syntax_is_lowered_into_one_classic_script(tmp_path: Path) -> None:
    web = _web(
        tmp_path,
        "const a = {b: {c: 1}}; const d = {...a, e: a?.b?.c ?? 2};\n"
        "class K { #x = 1; get x() { return this.#x; } }\n"
        "export async function f() { for await (const v of [1]) console.log(v, d, new K().x); }\n"
        "f();\n",
        css="body { color: red }",
    )
    bundle = bundle_web_client(web, esbuild=REAL_ESBUILD)
    script = bundle.files["app.js"].decode()
    assert TARGET == "chrome56"
    for modern in ("?.", "??", "#x", "export ", "import "):
        assert modern not in script, modern
    assert script.startswith("(()=>{")
    assert b"red" in bundle.files["app.css"]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("console.log(12345678901234567890n);", "Big integer literals"),  # an esbuild warning
        ("await Promise.resolve(1);", "Top-level await"),  # an esbuild error
        ('console.log(/(?<year>\\d{4})/.exec("2018").groups.year);', "regular expression"),
        ('console.log(/(?<=a)b/.test("ab"));', "regular expression"),
        ('console.log(/\\p{L}+/u.test("x"));', "regular expression"),
        ('console.log(/a.b/s.test("a\\nb"));', "regular expression"),
    ],
)
def test_what_esbuild_cannot_lower_for_chrome56_fails_the_build(
    tmp_path: Path, code: str, reason: str
) -> None:
    web = _web(tmp_path, code + "\n")
    with pytest.raises(TizenBuildError, match="chrome56") as caught:
        bundle_web_client(web, esbuild=REAL_ESBUILD)
    assert reason in str(caught.value)


def test_plain_regular_expressions_pass(tmp_path: Path) -> None:
    web = _web(tmp_path, 'console.log(/(?:a|b)+\\d/gi.test("ab1"), new RegExp("(x)", "g"));\n')
    assert b"RegExp" in bundle_web_client(web, esbuild=REAL_ESBUILD).files["app.js"]


def test_the_real_web_client_bundles_for_chrome56() -> None:
    bundle = bundle_web_client(REPO / "web", esbuild=REAL_ESBUILD)
    assert set(bundle.files) == {"app.js", "app.css"}


def test_a_missing_esbuild_or_entry_says_what_to_do(tmp_path: Path) -> None:
    web = _web(tmp_path, "console.log(1);\n")
    with pytest.raises(TizenBuildError, match="npm ci"):
        bundle_web_client(web)
    with pytest.raises(TizenBuildError, match="entry"):
        bundle_web_client(tmp_path / "nowhere", esbuild=REAL_ESBUILD)


def test_a_syntax_error_in_the_client_fails_the_build(tmp_path: Path) -> None:
    web = _web(tmp_path, "const = ;\n")
    with pytest.raises(TizenBuildError, match="could not bundle"):
        bundle_web_client(web, esbuild=REAL_ESBUILD)
