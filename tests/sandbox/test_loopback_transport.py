"""FastHTTPTransport against a real loopback server that answers with scripted raw bytes."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest

from sandbox.loopback_transport import FastHTTPTransport

T = TypeVar("T")
Answer = bytes | Callable[[asyncio.StreamWriter], Awaitable[None]]


def ok(body: bytes = b'{"ok": true}', extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


class RawServer:
    """Serves ``answers`` in order (one per request); ``close_after`` closes the connection."""

    def __init__(self, *answers: Answer, close_after: bool = False) -> None:
        self.answers = list(answers)
        self.close_after = close_after
        self.connections = 0
        self.open_now = 0
        self.max_open = 0
        self.heads: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.max_open = max(self.max_open, self.open_now)
        try:
            while self.answers:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.heads.append(head)
                answer = self.answers.pop(0)
                if isinstance(answer, bytes):
                    writer.write(answer)
                    await writer.drain()
                else:
                    await answer(writer)
                if self.close_after:
                    break
        finally:
            self.open_now -= 1
            writer.close()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def get(url: str, transport: FastHTTPTransport, timeout: float = 5.0) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
        return await client.get(url)


def test_content_length_body_and_keep_alive_reuse() -> None:
    async def main() -> None:
        server = RawServer(ok(b'{"n": 1}'), ok(b'{"n": 2}'))
        async with server as base:
            transport = FastHTTPTransport(4)
            async with httpx.AsyncClient(transport=transport) as client:
                first = await client.get(f"{base}/a?x=1")
                second = await client.get(f"{base}/b")
            assert (first.json(), second.json()) == ({"n": 1}, {"n": 2})
            assert server.connections == 1
            assert server.heads[0].startswith(b"GET /a?x=1 HTTP/1.1\r\n")
            assert b"host: 127.0.0.1" in server.heads[0].lower()

    run(main())


def test_chunked_body_with_extensions_and_trailers() -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n5\r\n: 1, \r\n4\r\n"b":\r\n2\r\n 2\r\n1\r\n}\r\n'
        b"0\r\nX-Trailer: yes\r\n\r\n"
    )

    async def main() -> None:
        server = RawServer(answer, ok())
        async with server as base:
            async with httpx.AsyncClient(transport=FastHTTPTransport(1)) as client:
                assert (await client.get(base)).json() == {"a": 1, "b": 2}
                assert (await client.get(base)).json() == {"ok": True}
            assert server.connections == 1  # the connection was reusable

    run(main())


def test_body_without_length_is_read_until_close() -> None:
    async def main() -> None:
        answer = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"
        async with RawServer(answer, close_after=True) as base:
            assert (await get(base, FastHTTPTransport(1))).text == "until the end"

    run(main())


def test_informational_answer_is_skipped_and_204_has_no_body() -> None:
    async def main() -> None:
        answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
        server = RawServer(answer, ok())
        client = httpx.AsyncClient(transport=FastHTTPTransport(1))
        async with server as base, client:
            response = await client.get(base)
            assert response.status_code == 204 and response.content == b""
            assert (await client.get(base)).status_code == 200

    run(main())


def test_idle_connection_closed_by_the_server_is_not_reused() -> None:
    async def main() -> None:
        server = RawServer(ok(), ok(b'{"again": true}'), close_after=True)
        async with server as base:
            async with httpx.AsyncClient(transport=FastHTTPTransport(1)) as client:
                await client.get(base)
                await asyncio.sleep(0.05)
                assert (await client.get(base)).json() == {"again": True}
            assert server.connections == 2

    run(main())


def test_reused_connection_dropped_before_answering_is_retried_once() -> None:
    async def hang_up(writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def main() -> None:
        server = RawServer(ok(), hang_up, ok(b'{"again": true}'))
        async with server as base:
            async with httpx.AsyncClient(transport=FastHTTPTransport(1)) as client:
                await client.get(base)
                assert (await client.get(base)).json() == {"again": True}
            assert server.connections == 2 and len(server.heads) == 3

    run(main())


def test_gzip_bodies_are_decoded_by_httpx() -> None:
    packed = gzip.compress(b'{"zipped": true}')

    async def main() -> None:
        async with RawServer(ok(packed, b"Content-Encoding: gzip\r\n")) as base:
            assert (await get(base, FastHTTPTransport(1))).json() == {"zipped": True}

    run(main())


@pytest.mark.parametrize(
    "answer",
    [
        b"HTP/1.1 200 OK\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 42 Low\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n folded: header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
    ],
)
def test_malformed_responses_raise_protocol_errors(answer: bytes) -> None:
    async def main() -> None:
        async with RawServer(answer, close_after=True) as base:
            with pytest.raises(httpx.RemoteProtocolError):
                await get(base, FastHTTPTransport(1))

    run(main())


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort",
    ],
)
def test_truncated_bodies_raise_read_errors(answer: bytes) -> None:
    async def main() -> None:
        async with RawServer(answer, close_after=True) as base:
            with pytest.raises(httpx.ReadError):
                await get(base, FastHTTPTransport(1))

    run(main())


def test_no_answer_at_all_is_a_protocol_error() -> None:
    async def main() -> None:
        async def hang_up(writer: asyncio.StreamWriter) -> None:
            writer.close()

        async with RawServer(hang_up) as base:
            with pytest.raises(httpx.RemoteProtocolError, match="connection closed"):
                await get(base, FastHTTPTransport(1))

    run(main())


def test_refused_connection_is_a_connect_error() -> None:
    async def main() -> None:
        async with RawServer() as base:
            pass  # closed again: nothing listens on that port now
        with pytest.raises(httpx.ConnectError):
            await get(base, FastHTTPTransport(1))

    run(main())


def test_silent_server_is_a_read_timeout() -> None:
    async def main() -> None:
        async def silence(writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(2)

        async with RawServer(silence) as base:
            with pytest.raises(httpx.ReadTimeout):
                await get(base, FastHTTPTransport(1), timeout=0.2)

    run(main())


def test_connections_never_exceed_the_limit() -> None:
    async def main() -> None:
        async def slow(writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(0.05)
            writer.write(ok())

        server = RawServer(*[slow] * 8)
        async with server as base:
            transport = FastHTTPTransport(2)
            async with httpx.AsyncClient(transport=transport) as client:
                answers = await asyncio.gather(*(client.get(base) for _ in range(8)))
            assert [a.status_code for a in answers] == [200] * 8
            assert server.max_open <= 2

    run(main())


def test_https_and_requests_with_bodies_go_to_the_fallback() -> None:
    seen: list[str] = []

    def fallback(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.scheme}")
        return httpx.Response(200, json={"via": "fallback"})

    async def main() -> None:
        transport = FastHTTPTransport(1, fallback=httpx.MockTransport(fallback))
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get("https://secure.test/x")
            await client.post("http://plain.test/x", content=b"body")
        await transport.aclose()

    run(main())
    assert seen == ["GET https", "POST http"]


def test_closed_transport_refuses_new_requests() -> None:
    async def main() -> None:
        transport = FastHTTPTransport(1)
        await transport.aclose()
        with pytest.raises(httpx.ConnectError, match="closed"):
            await get("http://127.0.0.1:9/", transport)

    run(main())


def test_body_read_stopped_early_does_not_reuse_the_connection() -> None:
    big = b"x" * 300_000

    async def main() -> None:
        server = RawServer(ok(big), ok())
        async with server as base:
            transport = FastHTTPTransport(1)
            async with httpx.AsyncClient(transport=transport) as client:
                async with client.stream("GET", base) as response:
                    async for _chunk in response.aiter_raw():
                        break  # the caller gives up after the first chunk
                assert (await client.get(base)).json() == {"ok": True}
            assert server.connections == 2

    run(main())
