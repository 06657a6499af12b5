"""TMDB image URLs: ``<base_url><size><file_path>`` from the catalog's ``config`` table.

Publish copies TMDB's ``/configuration`` into ``config``; the keys read here (first one
present wins) are ``image_base_url`` / ``images.secure_base_url`` / ``secure_base_url`` /
``images.base_url`` / ``base_url`` and ``poster_sizes`` / ``backdrop_sizes`` / ``logo_sizes``
(optionally ``images.``-prefixed) as a JSON list or comma-separated text.
"""

from __future__ import annotations

import json
import re

DEFAULT_BASE_URL = "https://image.tmdb.org/t/p/"
BASE_URL_KEYS = (
    "image_base_url",
    "images.secure_base_url",
    "secure_base_url",
    "images.base_url",
    "base_url",
)
WANTED_SIZES = {
    "poster": ("w185", "w342", "w500", "original"),
    "backdrop": ("w780", "w1280", "original"),
    "logo": ("w185", "w300", "original"),
}
LIST_POSTER_SIZE = "w342"
GALLERY_SIZE = {"poster": "w342", "backdrop": "w780", "logo": "w300"}

_FILE_PATH = re.compile(r"^/[A-Za-z0-9._-]{1,200}$")


def _sizes(value: str | None) -> list[str]:
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value.split(",")
    if not isinstance(parsed, list):
        return []
    return [str(size).strip() for size in parsed if str(size).strip()]


class ImageUrls:
    """Builds image URLs from a catalog's config (base URL and available sizes per kind)."""

    def __init__(self, config: dict[str, str]) -> None:
        base = next((config[key] for key in BASE_URL_KEYS if config.get(key)), DEFAULT_BASE_URL)
        self.base_url = base if base.endswith("/") else base + "/"
        self.sizes: dict[str, tuple[str, ...]] = {}
        for kind, wanted in WANTED_SIZES.items():
            available = _sizes(config.get(f"{kind}_sizes") or config.get(f"images.{kind}_sizes"))
            chosen = [size for size in wanted if size in available] if available else []
            self.sizes[kind] = tuple(chosen or wanted)

    def url(self, file_path: str | None, size: str) -> str | None:
        """The URL of ``file_path`` at ``size``; ``None`` for a missing or odd path."""
        if not file_path or not _FILE_PATH.match(file_path):
            return None
        return f"{self.base_url}{size}{file_path}"

    def all_sizes(self, kind: str, file_path: str | None) -> dict[str, str] | None:
        """``{size: url}`` for the chosen sizes of ``kind``, or ``None`` without an image."""
        if self.url(file_path, "original") is None:
            return None
        return {size: f"{self.base_url}{size}{file_path}" for size in self.sizes[kind]}

    def poster(self, file_path: str | None) -> str | None:
        size = LIST_POSTER_SIZE if LIST_POSTER_SIZE in self.sizes["poster"] else "original"
        return self.url(file_path, size)
