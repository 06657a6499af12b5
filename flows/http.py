"""Async upstream client: timeouts, retries, rate limit, mirror fallback, key hygiene.

:class:`UpstreamClient` turns one logical GET into a :class:`Fetched` record, always:
a success (200, or TMDB's 404 answer) or a failure that still carries the last
status and body (or the error text), ready to be landed. It never raises for an
upstream problem; :meth:`Fetched.raise_for_error` does that for callers who want it.

One logical request is tried in rounds (``1 + retries``). In a round the mirrors are
tried in order, the last mirror that answered ("sticky") first, the others in their
configured order; a mirror is skipped on a connection error, timeout, 5xx or a body
that is not a JSON object (a parked domain's HTML page). When every mirror failed the
round ends with exponential backoff. A 429 pauses the service's whole token bucket for
``Retry-After`` (or the backoff) and retries the same mirror. Services with one base
URL (TMDB) are the one-mirror case.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from core.clock import utcnow
from flows.errors import (
    AllMirrorsFailed,
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamUnavailable,
)
from flows.landing import canonical_request_key
from flows.ratelimit import Sleep, TokenBucket
from flows.redact import Redactor, redact_url
from flows.retry import RetryPolicy, is_retryable_status

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Fetched:
    """The final outcome of one logical request (what gets landed)."""

    request_key: str
    entity_key: str
    url: str  # redacted: never carries the api key
    fetched_at: datetime  # naive UTC
    status: int  # of the final attempt; 0 = no response
    payload: str | None  # body as received, or the error text when there was none
    ok: bool
    attempts: int
    data: Any = None  # parsed JSON when ok (None for a 404 answer without a body)
    error: UpstreamError | None = None

    def raise_for_error(self) -> Fetched:
        if self.error is not None:
            raise self.error
        return self


@dataclass(slots=True)
class _Outcome:
    """One HTTP attempt, classified."""

    kind: str  # ok | final | rate_limited | failover
    status: int
    url: str
    body: str | None = None
    data: Any = None
    reason: str = ""
    retry_after: str | None = None


class UpstreamClient:
    """GETs JSON from one service (one or more mirrors) and never raises for upstream faults."""

    def __init__(
        self,
        service: str,
        base_urls: Sequence[str],
        http: httpx.AsyncClient | Sequence[httpx.AsyncClient],
        *,
        limiter: TokenBucket,
        policy: RetryPolicy,
        concurrency: int = 16,
        auth_params: Mapping[str, str] | None = None,
        secrets: Sequence[str] = (),
        not_found_is_answer: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not base_urls:
            raise ValueError(f"{service}: at least one base URL is required")
        self.service = service
        self.base_urls = [url.rstrip("/") for url in base_urls]
        self.limiter = limiter
        self.policy = policy
        self.not_found_is_answer = not_found_is_answer
        self._pools = [http] if isinstance(http, httpx.AsyncClient) else list(http)
        if not self._pools:
            raise ValueError(f"{service}: at least one httpx client is required")
        self._next_pool = itertools.cycle(self._pools)
        self._shown_base = {url: redact_url(url) for url in self.base_urls}
        self._auth_params = dict(auth_params or {})
        self._auth_query = urlencode(self._auth_params)
        self._redact = Redactor([*secrets, *self._auth_params.values()])
        self._max_body = max_body_bytes
        self._sleep = sleep
        self._slots = asyncio.Semaphore(concurrency)
        self._sticky = self.base_urls[0]
        self.requests = 0  # logical requests
        self.attempts = 0  # HTTP attempts, retries and failovers included

    @property
    def sticky_base(self) -> str:
        """The mirror tried first: the last one that answered."""
        return self._sticky

    def _mirror_order(self) -> list[str]:
        return [self._sticky, *(url for url in self.base_urls if url != self._sticky)]

    async def fetch(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        entity_key: str,
        keep_data: bool = True,
        extract: Callable[[dict[str, Any]], Any] | None = None,
        request_key: str | None = None,
    ) -> Fetched:
        """Run one logical GET to completion (success or landed failure).

        With ``keep_data=False`` the body is still validated as JSON but the parsed
        object is not kept (``Fetched.data`` is None): saves memory on big batches.
        ``extract`` keeps only ``extract(parsed)`` instead (e.g. one field).
        ``request_key`` may be passed when the caller already computed it.
        """
        query = {str(k): str(v) for k, v in (params or {}).items()}
        request_key = request_key or canonical_request_key(path, query)
        query_string = urlencode(list(query.items()), safe=",:")
        self.requests += 1
        attempts = failed_rounds = throttled = 0
        failures: dict[str, str] = {}
        while True:
            for base in self._mirror_order():
                outcome = await self._attempt(base, path, query_string)
                attempts += 1
                if outcome.kind in ("ok", "final"):
                    self._sticky = base
                    if extract is not None and isinstance(outcome.data, dict):
                        outcome.data = extract(outcome.data)
                    elif not keep_data:
                        outcome.data = None
                    return self._finish(request_key, entity_key, outcome, attempts)
                if outcome.kind == "rate_limited":
                    break
                failures[self._shown_base[base]] = outcome.reason
            if outcome.kind == "rate_limited":
                # 429s have their own budget: being told to slow down is not a fault.
                throttled += 1
                wait = self.policy.retry_after(outcome.retry_after)
                self.limiter.pause(wait if wait is not None else self.policy.backoff(throttled))
                if throttled >= self.policy.attempts:
                    break
                continue
            failed_rounds += 1
            if failed_rounds >= self.policy.attempts:
                break
            # A 503 may say when to come back; otherwise back off exponentially.
            wait = self.policy.retry_after(outcome.retry_after)
            await self._sleep(wait if wait is not None else self.policy.backoff(failed_rounds - 1))
        return self._give_up(request_key, entity_key, outcome, attempts, failures)

    async def _attempt(self, base: str, path: str, query_string: str) -> _Outcome:
        shown = f"{self._shown_base[base]}{path}"
        if query_string:
            shown = f"{shown}?{query_string}"
        full_query = "&".join(q for q in (query_string, self._auth_query) if q)
        url = f"{base}{path}?{full_query}" if full_query else f"{base}{path}"
        pool = next(self._next_pool)
        async with self._slots:
            await self.limiter.acquire()
            self.attempts += 1
            try:
                response = await pool.send(pool.build_request("GET", url), stream=True)
            except httpx.HTTPError as exc:
                return _Outcome("failover", 0, shown, reason=self._describe(exc))
            try:
                raw = await self._read_limited(response)
            except _TooLarge as exc:
                return _Outcome("failover", response.status_code, shown, reason=str(exc))
            except httpx.HTTPError as exc:
                return _Outcome("failover", 0, shown, reason=self._describe(exc))
            finally:
                await response.aclose()
        return self._classify(response, raw, shown)

    async def _read_limited(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            raise _TooLarge(f"body of {declared} bytes exceeds {self._max_body}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_body:
                raise _TooLarge(f"body exceeds {self._max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _classify(self, response: httpx.Response, raw: bytes, shown: str) -> _Outcome:
        status = response.status_code
        body = raw.decode(response.encoding or "utf-8", errors="replace")
        if response.history:  # redirected: land the URL that answered
            shown = redact_url(response.url)
        if status == 429:
            return _Outcome(
                "rate_limited",
                status,
                shown,
                body,
                reason="rate limited (429)",
                retry_after=response.headers.get("retry-after"),
            )
        if is_retryable_status(status):
            return _Outcome(
                "failover",
                status,
                shown,
                body,
                reason=f"server error {status}",
                retry_after=response.headers.get("retry-after"),
            )
        if status == 404 and self.not_found_is_answer:
            # Only TMDB's own "not found" (status_code 34) says the id is gone; an HTML
            # 404 from a proxy or a wrong base URL must not mark movies as deleted.
            data = _parse_object(body)
            if data is not None and data.get("status_code") == 34:
                return _Outcome("ok", status, shown, body, data=data)
            return _Outcome("final", status, shown, body, reason="404 without TMDB error body")
        if 200 <= status < 300:
            data = _parse_object(body)
            if data is None:
                snippet = " ".join(body[:60].split())
                return _Outcome(
                    "failover", status, shown, body, reason=f"not a JSON object: {snippet!r}"
                )
            return _Outcome("ok", status, shown, body, data=data)
        return _Outcome("final", status, shown, body, reason=f"unexpected status {status}")

    def _finish(self, request_key: str, entity_key: str, out: _Outcome, attempts: int) -> Fetched:
        error: UpstreamError | None = None
        if out.kind == "final":
            cls = UpstreamAuthError if out.status in (401, 403) else UpstreamBadResponse
            error = cls(out.reason, service=self.service, url=out.url, status=out.status)
            log.warning("%s", error)
        return Fetched(
            request_key=request_key,
            entity_key=entity_key,
            url=out.url,
            fetched_at=utcnow(),
            status=out.status,
            payload=out.body if out.body else (str(error) if error else out.body),
            ok=error is None,
            attempts=attempts,
            data=out.data,
            error=error,
        )

    def _give_up(
        self,
        request_key: str,
        entity_key: str,
        last: _Outcome,
        attempts: int,
        failures: dict[str, str],
    ) -> Fetched:
        message = f"gave up after {attempts} attempts: {last.reason}"
        error: UpstreamError
        if len(self.base_urls) > 1 and last.kind == "failover":
            error = AllMirrorsFailed(
                f"all {len(self.base_urls)} mirrors failed after {attempts} attempts",
                service=self.service,
                url=last.url,
                status=last.status,
                failures=failures,
            )
        elif last.kind == "failover" and last.status and not is_retryable_status(last.status):
            error = UpstreamBadResponse(
                message, service=self.service, url=last.url, status=last.status
            )
        else:
            error = UpstreamUnavailable(
                message, service=self.service, url=last.url, status=last.status
            )
        log.warning("%s", error)
        return Fetched(
            request_key=request_key,
            entity_key=entity_key,
            url=last.url,
            fetched_at=utcnow(),
            status=last.status,
            payload=last.body if last.body else str(error),
            ok=False,
            attempts=attempts,
            error=error,
        )

    def _describe(self, exc: Exception) -> str:
        return self._redact(f"{type(exc).__name__}: {exc}".rstrip(": "))


class _TooLarge(Exception):
    pass


def _parse_object(body: str) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
