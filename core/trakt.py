"""A small synchronous Trakt client shared by the API (linking, scrobbles) and the flows
(ingest): device-code OAuth, refresh, revoke, authenticated GET with paging, POST.

Limits are honoured client-side per key (a Miauflix user): POSTs at most one per
``post_interval_s``, authenticated GETs at most ``get_limit`` per 5 minutes; a 429 waits
``Retry-After`` (capped by ``max_wait_s``) and tries again. Nothing here logs or puts a
token, a device code or a response body of the token endpoints into an exception message.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.errors import MiauflixError

API_VERSION = "2"
GET_PERIOD_S = 300.0
# Poll answers of POST /oauth/device/token, by status.
POLL_STATES = {
    200: "approved",
    400: "pending",
    404: "invalid",
    409: "used",
    410: "expired",
    418: "denied",
    429: "slow_down",
}


class TraktError(MiauflixError):
    """A Trakt request failed; carries the path and the status (0: no answer)."""

    def __init__(self, message: str, path: str = "", status: int = 0) -> None:
        super().__init__(f"{message} ({path}, status {status})" if path else message)
        self.path = path
        self.status = status


class TraktUnavailable(TraktError):
    """Trakt is down, timed out or kept rate-limiting: try again later."""


class TraktAuthError(TraktError):
    """Trakt refused the credentials (expired/revoked token, used refresh token)."""


@dataclass(frozen=True)
class TokenSet:
    """Access and refresh token (``repr`` never shows them) and the access expiry."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int  # unix seconds
    scope: str = "public"

    @classmethod
    def from_answer(cls, body: Any, path: str) -> TokenSet:
        try:
            created, ttl = int(body["created_at"]), int(body["expires_in"])
            access, refresh = body["access_token"], body["refresh_token"]
        except (KeyError, TypeError, ValueError) as exc:
            raise TraktError("malformed token answer", path, 200) from exc
        if not (isinstance(access, str) and isinstance(refresh, str) and access and refresh):
            raise TraktError("malformed token answer", path, 200)
        return cls(access, refresh, created + ttl, str(body.get("scope") or "public"))


@dataclass(frozen=True)
class DeviceCode:
    device_code: str = field(repr=False)
    user_code: str
    verification_url: str
    expires_in: int
    interval: int


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page_count: int


class UserLimits:
    """Per-key client-side limits (thread-safe): spacing of POSTs, window of GETs."""

    def __init__(
        self,
        post_interval_s: float = 1.0,
        get_limit: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.post_interval_s = post_interval_s
        self.get_limit = get_limit
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._posts: dict[str, float] = {}
        self._gets: dict[str, deque[float]] = {}

    def wait_for(self, key: str, method: str) -> float:
        """Seconds until ``key`` may send ``method`` (0: now); reserves the slot when 0."""
        now = self._clock()
        with self._lock:
            if method == "GET":
                window = self._gets.setdefault(key, deque())
                while window and window[0] <= now - GET_PERIOD_S:
                    window.popleft()
                if len(window) >= self.get_limit:
                    return window[0] + GET_PERIOD_S - now
                window.append(now)
                return 0.0
            last = self._posts.get(key)
            if last is not None and now - last < self.post_interval_s:
                return self.post_interval_s - (now - last)
            self._posts[key] = now
            return 0.0

    def acquire(self, key: str, method: str, max_wait_s: float) -> bool:
        """Wait for a slot up to ``max_wait_s``; False when it would take longer."""
        waited = 0.0
        while (wait := self.wait_for(key, method)) > 0:
            if waited + wait > max_wait_s:
                return False
            self._sleep(wait)
            waited += wait
        return True


def _retry_after(response: httpx.Response) -> float:
    raw = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 1.0


class TraktClient:
    """Trakt API v2 over httpx (``transport`` injectable for tests)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        limits: UserLimits | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        max_wait_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client_id, self._client_secret = client_id, client_secret
        self.limits = limits or UserLimits(sleep=sleep)
        self.retries, self.max_wait_s = retries, max_wait_s
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={"trakt-api-version": API_VERSION, "trakt-api-key": client_id},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TraktClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- transport ----------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        params: dict[str, Any] | None = None,
        key: str = "",
        retries: int | None = None,
    ) -> httpx.Response:
        """One logical request: 5xx, timeouts and 429 retried; the last answer returned."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        content = json.dumps(body).encode() if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        tries = 1 + (self.retries if retries is None else retries)
        for attempt in range(tries):
            last = attempt == tries - 1
            if key and not self.limits.acquire(key, method, self.max_wait_s):
                raise TraktUnavailable("client-side rate limit", path, 429)
            try:
                response = self._http.request(
                    method, self.base_url + path, headers=headers, content=content, params=params
                )
            except httpx.HTTPError as exc:
                if last:
                    raise TraktUnavailable(f"no answer: {type(exc).__name__}", path) from None
                self._sleep(min(2.0**attempt, self.max_wait_s))
                continue
            if response.status_code == 429 and not path.endswith("/device/token"):
                wait = _retry_after(response)
                if last or wait > self.max_wait_s:
                    raise TraktUnavailable("rate limited", path, 429)
                self._sleep(wait)
                continue
            if response.status_code >= 500:
                if last:
                    raise TraktUnavailable("server error", path, response.status_code)
                self._sleep(min(2.0**attempt, self.max_wait_s))
                continue
            return response
        raise AssertionError("unreachable")

    def _json(self, response: httpx.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise TraktUnavailable("body is not JSON", path, response.status_code) from None

    # --- OAuth --------------------------------------------------------------------------
    def device_code(self) -> DeviceCode:
        path = "/oauth/device/code"
        response = self._send("POST", path, body={"client_id": self._client_id})
        if response.status_code != 200:
            raise TraktError("device code refused", path, response.status_code)
        data = self._json(response, path)
        try:
            return DeviceCode(
                device_code=str(data["device_code"]),
                user_code=str(data["user_code"]),
                verification_url=str(data["verification_url"]),
                expires_in=int(data["expires_in"]),
                interval=max(1, int(data["interval"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TraktError("malformed device code answer", path, 200) from exc

    def poll_device(self, device_code: str) -> tuple[str, TokenSet | None]:
        """One poll of the token endpoint: ``(state, tokens)``; state from POLL_STATES."""
        path = "/oauth/device/token"
        body = {
            "code": device_code,
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        response = self._send("POST", path, body=body, retries=0)
        state = POLL_STATES.get(response.status_code)
        if state is None:
            raise TraktError("unexpected poll answer", path, response.status_code)
        if state != "approved":
            return state, None
        return state, TokenSet.from_answer(self._json(response, path), path)

    def refresh(self, refresh_token: str) -> TokenSet:
        path = "/oauth/token"
        body = {
            "refresh_token": refresh_token,
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            "grant_type": "refresh_token",
        }
        response = self._send("POST", path, body=body)
        if response.status_code in (400, 401, 403):
            raise TraktAuthError("refresh token refused", path, response.status_code)
        if response.status_code != 200:
            raise TraktError("refresh failed", path, response.status_code)
        return TokenSet.from_answer(self._json(response, path), path)

    def revoke(self, access_token: str) -> None:
        path = "/oauth/revoke"
        body = {
            "token": access_token,
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        response = self._send("POST", path, body=body)
        if response.status_code != 200:
            raise TraktError("revoke failed", path, response.status_code)

    # --- authenticated API --------------------------------------------------------------
    def get(
        self, path: str, token: str, key: str, params: dict[str, Any] | None = None
    ) -> tuple[Any, httpx.Headers]:
        response = self._send("GET", path, token=token, params=params, key=key)
        if response.status_code in (401, 403):
            raise TraktAuthError("access token refused", path, response.status_code)
        if response.status_code != 200:
            raise TraktError("unexpected answer", path, response.status_code)
        return self._json(response, path), response.headers

    def get_all(
        self,
        path: str,
        token: str,
        key: str,
        limit: int = 100,
        params: dict[str, Any] | None = None,
    ) -> list[Any]:
        """Every page of a paginated list (``X-Pagination-Page-Count``)."""
        items: list[Any] = []
        page, pages = 1, 1
        while page <= pages:
            query = {**(params or {}), "page": page, "limit": limit}
            data, headers = self.get(path, token, key, query)
            if not isinstance(data, list):
                raise TraktError("expected a list", path, 200)
            items += data
            try:
                pages = min(int(headers.get("x-pagination-page-count", "1")), 10_000)
            except ValueError:
                pages = 1
            page += 1
        return items

    def post(self, path: str, token: str, key: str, body: Any) -> tuple[int, Any]:
        """An authenticated POST: ``(status, parsed body or None)``; 5xx/429 raise."""
        response = self._send("POST", path, token=token, body=body, key=key)
        if response.status_code in (401, 403):
            raise TraktAuthError("access token refused", path, response.status_code)
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        return response.status_code, data
