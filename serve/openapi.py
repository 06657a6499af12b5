"""``GET /api/openapi.json``: the OpenAPI 3.1 description of every /api endpoint."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from serve import openapi_auth
from serve.openapi_parts import JSON as _JSON
from serve.openapi_parts import SECURED
from serve.openapi_parts import error as _error
from serve.openapi_parts import ok as _ok
from serve.openapi_parts import rate_limited as _rate_limited
from serve.openapi_parts import ref as _ref

bp = Blueprint("openapi", __name__, url_prefix="/api")

_AUTH_ERRORS = {"401": _error("Missing, invalid or expired token (or user disabled)")}
_CATALOG_ERRORS = {
    **_AUTH_ERRORS,
    "429": _rate_limited(),
    "503": _error("No catalog published yet (catalog_unavailable)"),
}


def _param(name: str, schema: dict[str, Any], description: str, where: str = "query") -> dict:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


_LANGUAGE = _param(
    "language",
    {"type": "string", "pattern": "^[A-Za-z]{2}([-_][A-Za-z]{2})?$", "default": "en"},
    "ISO 639-1 language (optionally with region) for titles, overviews and genre names",
)
_NULLABLE_STR = {"type": ["string", "null"]}
_NULLABLE_NUM = {"type": ["number", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                    "message": {"type": "string"},
                },
            }
        },
    },
    "Health": {"type": "object", "properties": {"status": {"const": "ok"}}},
    "Me": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string"},
            "role": {"enum": ["user", "admin"]},
        },
    },
    "Genre": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "name": _NULLABLE_STR},
    },
    "MovieSummary": {
        "type": "object",
        "properties": {
            "tmdb_id": {"type": "integer"},
            "title": {"type": "string"},
            "year": _NULLABLE_INT,
            "release_date": _NULLABLE_STR,
            "poster_url": _NULLABLE_STR,
            "vote_average": _NULLABLE_NUM,
            "vote_count": _NULLABLE_INT,
            "genres": {"type": "array", "items": _ref("Genre")},
            "has_sources": {"type": "boolean"},
            "best_quality": _NULLABLE_STR,
        },
    },
    "MoviePage": {
        "type": "object",
        "properties": {
            "results": {"type": "array", "items": _ref("MovieSummary")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total_results": {"type": "integer"},
            "total_pages": {"type": "integer"},
        },
    },
    "Source": {
        "type": "object",
        "description": "A ranked torrent; never carries an info hash, magnet or torrent URL.",
        "properties": {
            "source_id": {"type": "string"},
            "quality": {"type": "string"},
            "resolution": {"type": "integer"},
            "codec": _NULLABLE_STR,
            "source_type": _NULLABLE_STR,
            "bit_depth": _NULLABLE_INT,
            "audio_channels": _NULLABLE_NUM,
            "size_bytes": {"type": "integer"},
            "seeds": {"type": "integer"},
            "peers": {"type": "integer"},
            "uploaded_at": _NULLABLE_STR,
            "is_repack": {"type": "boolean"},
            "is_3d": {"type": "boolean"},
            "bitrate_mbps": _NULLABLE_NUM,
            "score": _NULLABLE_NUM,
            "rank": _NULLABLE_INT,
            "playable": {"type": "boolean"},
            "components": {"type": "object", "additionalProperties": _NULLABLE_NUM},
        },
    },
    "MovieDetails": {
        "type": "object",
        "properties": {
            "tmdb_id": {"type": "integer"},
            "imdb_id": _NULLABLE_STR,
            "title": {"type": "string"},
            "overview": _NULLABLE_STR,
            "genres": {"type": "array", "items": _ref("Genre")},
            "images": {"type": "object"},
            "translations": {"type": "array", "items": {"type": "object"}},
            "lists": {"type": "array", "items": {"type": "object"}},
            "profile": {"enum": ["web", "tv"]},
            "sources": {"type": "array", "items": _ref("Source")},
        },
    },
    "Lists": {
        "type": "object",
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "count": {"type": "integer"}},
                },
            }
        },
    },
    "Genres": {
        "type": "object",
        "properties": {
            "language": {"type": "string"},
            "results": {"type": "array", "items": _ref("Genre")},
        },
    },
    "Status": {
        "type": "object",
        "properties": {
            "catalog": {"type": ["object", "null"]},
            "last_sync": {"type": ["object", "null"]},
            "engine": {"type": "object"},
        },
    },
}

_SECURED = SECURED

PATHS: dict[str, Any] = {
    "/api/health": {
        "get": {
            "summary": "Liveness",
            "security": [],
            "responses": {"200": _ok("Health")},
        }
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1 document"}},
        }
    },
    "/api/auth/me": {
        "get": {
            "summary": "The authenticated user",
            "security": _SECURED,
            "responses": {"200": _ok("Me"), **_AUTH_ERRORS},
        }
    },
    "/api/movies": {
        "get": {
            "summary": "Paged, filtered, sorted catalogue",
            "security": _SECURED,
            "parameters": [
                _param("page", {"type": "integer", "minimum": 1, "default": 1}, "Page"),
                _param(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    "Results per page",
                ),
                _param(
                    "list",
                    {"enum": ["popular", "top_rated", "trending"]},
                    "Only members of this list, in list order (unless sort is given)",
                ),
                _param("genre", {"type": "integer", "minimum": 1}, "Genre id"),
                _param(
                    "q",
                    {"type": "string", "maxLength": 100},
                    "Case-insensitive title substring (also translated titles)",
                ),
                _LANGUAGE,
                _param(
                    "sort",
                    {"enum": ["popularity", "vote_average", "release_date", "title"]},
                    "Order (default popularity, or list position with list=)",
                ),
            ],
            "responses": {
                "200": _ok("MoviePage"),
                "400": _error("invalid_parameter (named in the message)"),
                **_CATALOG_ERRORS,
            },
        }
    },
    "/api/movies/{tmdb_id}": {
        "get": {
            "summary": "One movie with its ranked sources",
            "security": _SECURED,
            "parameters": [
                _param(
                    "tmdb_id",
                    {"type": "integer", "minimum": 1, "maximum": 2**31},
                    "TMDB id",
                    "path",
                ),
                _param("profile", {"enum": ["web", "tv"], "default": "web"}, "Device profile"),
                _LANGUAGE,
            ],
            "responses": {
                "200": _ok("MovieDetails"),
                "400": _error("invalid_parameter"),
                "404": _error("movie_not_found"),
                **_CATALOG_ERRORS,
            },
        }
    },
    "/api/lists": {
        "get": {
            "summary": "Curated lists and their sizes",
            "security": _SECURED,
            "responses": {"200": _ok("Lists"), **_CATALOG_ERRORS},
        }
    },
    "/api/genres": {
        "get": {
            "summary": "Genres in a language, with movie counts",
            "security": _SECURED,
            "parameters": [_LANGUAGE],
            "responses": {
                "200": _ok("Genres"),
                "400": _error("invalid_parameter"),
                **_CATALOG_ERRORS,
            },
        }
    },
    "/api/movies/{tmdb_id}/stream": {
        "post": {
            "summary": "Issue a short-lived stream URL for the best (or a named) source",
            "security": _SECURED,
            "parameters": [_param("tmdb_id", {"type": "integer", "minimum": 1}, "TMDB id", "path")],
            "requestBody": {
                "required": False,
                "content": {
                    _JSON: {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "source_id": {"type": "string"},
                                "quality": {"type": "string", "pattern": "^[0-9]{3,4}p$|^3D$"},
                                "profile": {"type": "string", "enum": ["web", "tv"]},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "stream_url, expires_at and the chosen source"},
                "400": _error("Invalid body"),
                **_AUTH_ERRORS,
                "404": _error("Unknown movie or no playable source"),
                "429": _rate_limited(),
                "502": _error("The source cannot be resolved"),
            },
        }
    },
    "/api/engine/status": {
        "get": {
            "summary": "Engine storage per source (admin)",
            "security": _SECURED,
            "responses": {
                "200": {"description": "Per-source storage records and engine state"},
                **_AUTH_ERRORS,
                "403": _error("Admins only"),
                "429": _rate_limited(),
                "502": _error("The engine is unreachable"),
            },
        }
    },
    "/api/status": {
        "get": {
            "summary": "Catalog version, last sync and its data-quality result",
            "security": _SECURED,
            "responses": {"200": _ok("Status"), **_AUTH_ERRORS, "429": _rate_limited()},
        }
    },
}


def build_document() -> dict[str, Any]:
    """The OpenAPI document (every operation also documents 500 with the error shape)."""
    paths: dict[str, Any] = {}
    for path, operations in {**PATHS, **openapi_auth.PATHS}.items():
        paths[path] = {}
        for method, operation in operations.items():
            responses = {**operation["responses"], "500": _error("Unexpected server error")}
            paths[path][method] = {**operation, "responses": responses}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Miauflix API",
            "version": "1",
            "description": "Self-hosted movie streaming. Every error answers "
            '{"error": {"code": "<snake_case>", "message": "..."}}. Browsers may '
            "authenticate with the HttpOnly cookies set by login in cookie mode instead of "
            "the Bearer header; cookie-authenticated writes need X-CSRF-Token.",
        },
        "servers": [{"url": "/"}],
        "security": _SECURED,
        "paths": paths,
        "components": {
            "schemas": {**SCHEMAS, **openapi_auth.SCHEMAS},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(build_document())
