"""``miauflix tizen build --out DIR``: the Samsung TV package, ``DIR/Miauflix.wgt``.

The package is a zip with ``config.xml`` (``tizen/config.xml``, version set from the Python
package), the entry page and TV stylesheet (``tizen/app/``), the TV shell
(``tizen/src/``, built on the web client's core) bundled for Chromium 56 (``app.js``,
``app.css``) and the icon (drawn by code) at its root, plus
``author-signature.xml`` and ``signature1.xml`` when signing material is given.

Passwords for the ``.p12`` files come from environment variables named on the command line
(``--author-password-env VAR``) or from a terminal prompt; never from argv, never logged.
"""

from __future__ import annotations

import argparse
import getpass
import io
import os
import sys
import zipfile
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from miauflix.tizen_errors import TizenBuildError

if TYPE_CHECKING:
    from miauflix.tizen_sign import SigningIdentity

PACKAGE_FILE = "Miauflix.wgt"
SOURCE_ROOT = Path(__file__).resolve().parents[1]
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: the same sources give the same package


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``miauflix tizen build`` on the ``miauflix`` sub-command list."""
    tizen = sub.add_parser("tizen", help="build the Samsung TV (Tizen) package")
    actions = tizen.add_subparsers(dest="tizen_command", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build",
        help="write DIR/Miauflix.wgt",
        description="Bundle the web client for Tizen 4.0+ TVs and write DIR/Miauflix.wgt; "
        "sign it when --author-p12 and --distributor-p12 are given. Passwords are read "
        "from the named environment variables, or asked for on the terminal.",
    )
    build.add_argument("--out", required=True, type=Path, help="directory for Miauflix.wgt")
    for role in ("author", "distributor"):
        build.add_argument(f"--{role}-p12", type=Path, help=f"the {role} certificate (.p12)")
        build.add_argument(
            f"--{role}-password-env",
            metavar="VAR",
            help=f"environment variable holding the {role} .p12 password (else: a prompt)",
        )
    build.set_defaults(func=_cmd_build)


def _cmd_build(args: argparse.Namespace) -> int:
    if (args.author_p12 is None) != (args.distributor_p12 is None):
        raise TizenBuildError(
            "sign with both --author-p12 and --distributor-p12 (Tizen installs only packages "
            "that carry both signatures), or with neither for an unsigned package"
        )
    author = distributor = None
    if args.author_p12 is not None:
        author = _identity(args.author_p12, args.author_password_env, "author")
        distributor = _identity(args.distributor_p12, args.distributor_password_env, "distributor")
    path = build_wgt(args.out, author=author, distributor=distributor)
    state = "signed (author + distributor)" if author else "unsigned"
    print(f"miauflix: wrote {path} ({state})")
    return 0


def _identity(p12: Path, password_env: str | None, role: str) -> SigningIdentity:
    from miauflix.tizen_sign import load_p12

    return load_p12(p12, read_password(password_env, f"{role} certificate {p12.name}"))


def read_password(env_name: str | None, what: str) -> str:
    """The password from the environment variable ``env_name``, or from a terminal prompt."""
    if env_name is not None:
        value = os.environ.get(env_name)
        if value is None:
            raise TizenBuildError(f"environment variable {env_name} (password for {what}) unset")
        return value
    if not sys.stdin.isatty():
        raise TizenBuildError(
            f"no password for {what}: name an environment variable with "
            "--author-password-env/--distributor-password-env, or run in a terminal"
        )
    return getpass.getpass(f"Password for the {what}: ")


def build_wgt(
    out_dir: Path,
    *,
    author: SigningIdentity | None = None,
    distributor: SigningIdentity | None = None,
    source_root: Path = SOURCE_ROOT,
    esbuild: Path | None = None,
) -> Path:
    """Assemble (and sign) the package; write ``out_dir/Miauflix.wgt`` atomically."""
    if out_dir.exists() and not out_dir.is_dir():
        raise TizenBuildError(f"--out {out_dir} exists and is not a directory")
    if distributor is not None and author is None:
        raise TizenBuildError("a distributor signature needs an author signature to cover")
    files = package_files(source_root, esbuild=esbuild)
    if author is not None:
        from miauflix.tizen_sign import sign_package

        files = {**files, **sign_package(files, author, distributor)}
    from core.atomic import write_atomic

    path = write_atomic(out_dir / PACKAGE_FILE, zip_package(files))
    path.chmod(0o644)
    return path


def package_files(source_root: Path, *, esbuild: Path | None = None) -> dict[str, bytes]:
    """The package's content by zip name (no signatures): checked, ready to zip or sign."""
    from miauflix.tizen_bundle import bundle_web_client
    from miauflix.tizen_config import read_config, render_config
    from miauflix.tizen_icon import icon_png

    tizen_dir = source_root / "tizen"
    template = tizen_dir / "config.xml"
    if not template.is_file():
        raise TizenBuildError(f"{template} not found: build from a source checkout")
    files = {"icon.png": icon_png(), "app.css": b""}
    shell = tizen_dir / "src" / "main.js"  # the TV shell, on the web client's core
    files.update(bundle_web_client(source_root / "web", esbuild=esbuild, entry=shell).files)
    for path in sorted((tizen_dir / "app").iterdir()):
        if path.is_file():
            files[path.name] = path.read_bytes()
    files["config.xml"] = render_config(template.read_bytes(), _package_version())
    read_config(files["config.xml"], files.keys())
    return files


def zip_package(files: Mapping[str, bytes]) -> bytes:
    """The ``.wgt`` bytes: ``config.xml`` first, then the rest by name; deflated, fixed times."""
    buffer = io.BytesIO()
    order = sorted(files, key=lambda name: (name != "config.xml", name))
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def _package_version() -> str:
    try:
        return version("miauflix")
    except PackageNotFoundError:
        raise TizenBuildError("miauflix is not installed: run scripts/setup.sh") from None
