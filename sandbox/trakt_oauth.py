"""The fake Trakt's OAuth: device codes, the token poll with every documented answer,
single-use refresh tokens, revocation, and the sandbox-only approve/deny endpoint.

Poll answers (``POST /oauth/device/token``): 400 pending, 404 invalid code, 409 already
used, 410 expired, 418 denied, 429 polled faster than ``interval``, 200 with the tokens.
``POST /trakt/_sandbox/device/{approve|deny}`` (``{"user_code", "username"}``) stands in for
the person typing the code at trakt.tv/activate; it exists only in the sandbox, as does the
activation page (:mod:`sandbox.trakt_activate`) the fake's ``verification_url`` points at.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox.http_common import UpstreamContext, json_response


def activation_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}/trakt/_sandbox/activate"


ACCESS_TTL_S = 86_400  # Trakt's access tokens now live 24 h
DEVICE_TTL_S = 600


@dataclass
class Device:
    device_code: str
    user_code: str
    expires_at: float
    interval: int
    state: str = "pending"  # pending | approved | denied | used
    username: str = ""
    last_poll: float = 0.0


@dataclass
class Grant:
    username: str
    expires_at: float


class TraktAuth:
    """Devices and tokens of the fake Trakt (thread-safe; ``clock`` injectable)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.device_interval = 5
        self.device_ttl = DEVICE_TTL_S
        self.access_ttl = ACCESS_TTL_S
        self._lock = threading.Lock()
        self._devices: dict[str, Device] = {}
        self._by_user_code: dict[str, str] = {}
        self.access: dict[str, Grant] = {}
        self.refresh: dict[str, str] = {}  # refresh token -> username (single use)
        self.revoked: set[str] = set()

    def new_device(self) -> Device:
        with self._lock:
            code = secrets.token_hex(32)
            user_code = secrets.token_hex(4).upper()
            device = Device(code, user_code, self.clock() + self.device_ttl, self.device_interval)
            self._devices[code] = device
            self._by_user_code[user_code] = code
            return device

    def decide(self, user_code: str, username: str, approve: bool) -> bool:
        """The person approved (or denied) ``user_code``; False when no such pending code."""
        with self._lock:
            device = self._devices.get(self._by_user_code.get(user_code.upper(), ""))
            if device is None or device.state != "pending":
                return False
            device.state = "approved" if approve else "denied"
            device.username = username
            return True

    def expire(self, user_code: str) -> None:
        with self._lock:
            device = self._devices.get(self._by_user_code.get(user_code.upper(), ""))
            if device is not None:
                device.expires_at = self.clock() - 1

    def _issue(self, username: str) -> dict[str, Any]:
        now = self.clock()
        access, refresh = secrets.token_hex(32), secrets.token_hex(32)
        self.access[access] = Grant(username, now + self.access_ttl)
        self.refresh[refresh] = username
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.access_ttl,
            "refresh_token": refresh,
            "scope": "public",
            "created_at": int(now),
        }

    def poll(self, code: str) -> tuple[int, dict[str, Any] | None]:
        with self._lock:
            device = self._devices.get(code)
            now = self.clock()
            if device is None:
                return 404, None
            if device.state == "used":
                return 409, None
            if now >= device.expires_at:
                return 410, None
            if device.state == "denied":
                return 418, None
            too_fast = device.last_poll and now - device.last_poll < device.interval
            device.last_poll = now
            if too_fast:
                return 429, None
            if device.state == "pending":
                return 400, None
            device.state = "used"
            return 200, self._issue(device.username)

    def refresh_grant(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            username = self.refresh.pop(token, None)
            return None if username is None else self._issue(username)

    def revoke(self, token: str) -> None:
        with self._lock:
            if self.access.pop(token, None) is not None:
                self.revoked.add(token)

    def user_of(self, access_token: str) -> str | None:
        with self._lock:
            grant = self.access.get(access_token)
            if grant is None or grant.expires_at <= self.clock():
                return None
            return grant.username


async def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        payload = json.loads(await request.body() or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _invalid_grant() -> Response:
    return json_response(
        {
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, "
            "revoked, does not match the redirection URI used in the authorization request, "
            "or was issued to another client.",
        },
        401,
    )


class OAuthRoutes:
    """Handlers of ``/oauth/*`` and the sandbox's approve/deny endpoint."""

    def __init__(self, ctx: UpstreamContext, auth: TraktAuth) -> None:
        self.ctx = ctx
        self.auth = auth
        # Offline, trakt.tv/activate is a dead end: point people at the sandbox's own page.
        self.local_activation = True

    def _client_ok(self, payload: dict[str, Any]) -> bool:
        client_id = payload.get("client_id", "")
        if not isinstance(client_id, str):
            return False
        return not self.ctx.trakt_client_id or client_id == self.ctx.trakt_client_id

    async def device_code(self, request: Request) -> Response:
        payload = await _json_object(request)
        if payload is None:
            return json_response({"error": "invalid_request"}, 400)
        if not self._client_ok(payload):
            return json_response({"error": "invalid_client"}, 401)
        device = self.auth.new_device()
        return json_response(
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "verification_url": activation_url(request)
                if self.local_activation
                else "https://trakt.tv/activate",
                "expires_in": int(device.expires_at - self.auth.clock() + 0.5),
                "interval": device.interval,
            },
            media_type="application/json",
        )

    async def device_token(self, request: Request) -> Response:
        payload = await _json_object(request)
        if payload is None or not isinstance(payload.get("code"), str):
            return json_response({"error": "invalid_request"}, 400)
        if not self._client_ok(payload):
            return json_response({"error": "invalid_client"}, 401)
        status, body = self.auth.poll(payload["code"])
        if body is None:
            headers = {"retry-after": str(self.auth.device_interval)} if status == 429 else None
            return Response(b"", status_code=status, headers=headers)
        return json_response(body)

    async def token(self, request: Request) -> Response:
        payload = await _json_object(request)
        if payload is None or payload.get("grant_type") != "refresh_token":
            return json_response({"error": "unsupported_grant_type"}, 400)
        token = payload.get("refresh_token")
        if not isinstance(token, str) or not self._client_ok(payload):
            return _invalid_grant()
        body = self.auth.refresh_grant(token)
        return _invalid_grant() if body is None else json_response(body)

    async def revoke(self, request: Request) -> Response:
        payload = await _json_object(request)
        if payload is None or not isinstance(payload.get("token"), str):
            return json_response({"error": "invalid_request"}, 400)
        self.auth.revoke(payload["token"])
        return json_response({})

    async def sandbox_decide(self, request: Request) -> Response:
        payload = await _json_object(request)
        decision = request.path_params["decision"]
        if payload is None or decision not in ("approve", "deny"):
            return json_response({"error": "invalid_request"}, 400)
        user_code, username = payload.get("user_code"), payload.get("username", "sandbox")
        if not isinstance(user_code, str) or not isinstance(username, str) or not username:
            return json_response({"error": "invalid_request"}, 400)
        if not self.auth.decide(user_code, username, decision == "approve"):
            return json_response({"error": "not_found"}, 404)
        return json_response({"user_code": user_code.upper(), "decision": decision})
