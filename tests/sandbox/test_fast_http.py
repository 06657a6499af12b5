"""The small HTTP/1.1 protocol under uvicorn: raw-socket behaviour, keep-alive, hostile input."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from sandbox.fast_http import MAX_HEAD_BYTES, FastHttpProtocol


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echoes method, path, query and body; ``/stream`` answers in chunks, ``/boom`` raises."""
    message = await receive()
    if scope["path"] == "/boom":
        raise RuntimeError("boom")
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    if scope["path"] == "/wait-disconnect":
        assert (await receive())["type"] == "http.disconnect"
        return
    body = b"%s %s ?%s [%s]" % (
        scope["method"].encode(),
        scope["path"].encode(),
        scope["query_string"],
        message["body"],
    )
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        echo_app,
        http=FastHttpProtocol,
        lifespan="off",
        log_level="critical",
        timeout_keep_alive=1,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)


def exchange(port: int, raw: bytes, timeout: float = 5.0) -> bytes:
    """Send ``raw`` and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(raw)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_get_with_query_and_connection_close(port: int) -> None:
    out = exchange(port, b"GET /a%20b?x=1&y=2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"connection: close" in head.lower()
    assert body == b"GET /a b ?x=1&y=2 []"


def test_pipelined_requests_are_answered_in_order_on_one_connection(port: int) -> None:
    requests = (
        b"".join(b"GET /%d HTTP/1.1\r\nHost: h\r\n\r\n" % n for n in range(5))
        + b"GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    )
    out = exchange(port, requests)
    assert out.count(b"HTTP/1.1 200 OK") == 6
    bodies = [b"GET /%d ?" % n for n in range(5)] + [b"GET /last ?"]
    positions = [out.index(body) for body in bodies]
    assert positions == sorted(positions)


def test_post_body_split_across_packets(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\nConnection: close\r\n")
        time.sleep(0.05)
        conn.sendall(b"\r\nhello ")
        time.sleep(0.05)
        conn.sendall(b"world")
        out = b"".join(iter(lambda: conn.recv(65536), b""))
    assert out.endswith(b"POST /p ? [hello world]")


def test_http_10_closes_after_the_answer(port: int) -> None:
    out = exchange(port, b"GET /old HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 OK") and out.endswith(b"GET /old ? []")


def test_head_sends_headers_without_body(port: int) -> None:
    out = exchange(port, b"HEAD /h HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"content-length: 12" in head.lower() and body == b""


def test_streamed_answers_use_chunked_encoding(port: int) -> None:
    out = exchange(port, b"GET /stream HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert body == b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"


def test_app_exceptions_become_500_and_close(port: int) -> None:
    out = exchange(port, b"GET /boom HTTP/1.1\r\nHost: h\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 500 Internal Server Error")


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET noslash HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nno-colon-header\r\n\r\n",
        b"GET / HTTP/1.1\r\n bad: space\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n",
        b"G\xffT / HTTP/1.1\r\n\r\n",
    ],
)
def test_malformed_requests_get_400_and_close(port: int, raw: bytes) -> None:
    assert exchange(port, raw).startswith(b"HTTP/1.1 400 Bad Request")


def test_chunked_request_bodies_are_refused(port: int) -> None:
    raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    assert exchange(port, raw).startswith(b"HTTP/1.1 501 Not Implemented")


def test_oversized_heads_and_bodies_are_refused(port: int) -> None:
    huge_head = b"GET / HTTP/1.1\r\nX: " + b"a" * (MAX_HEAD_BYTES + 10)
    assert exchange(port, huge_head).startswith(b"HTTP/1.1 431")
    huge_body = b"POST / HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n"
    assert exchange(port, huge_body).startswith(b"HTTP/1.1 413")


def test_idle_keep_alive_connections_are_closed_after_the_timeout(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /k HTTP/1.1\r\nHost: h\r\n\r\n")
        out = b""
        while not out.endswith(b"GET /k ? []"):
            out += conn.recv(65536)
        assert conn.recv(65536) == b""  # closed by the server after timeout_keep_alive=1


def test_a_client_hanging_up_mid_request_is_survived(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /wait-disconnect HTTP/1.1\r\nHost: h\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"POST /p HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial")
    out = exchange(port, b"GET /after HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert out.endswith(b"GET /after ? []")


def test_many_concurrent_keep_alive_clients(port: int) -> None:
    async def client(n: int) -> list[bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answers = []
        for k in range(10):
            writer.write(b"GET /c%d-%d HTTP/1.1\r\nHost: h\r\n\r\n" % (n, k))
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            answers.append(await reader.readexactly(length))
        writer.close()
        return answers

    async def main() -> list[list[bytes]]:
        return await asyncio.gather(*(client(n) for n in range(32)))

    results = asyncio.run(main())
    for n, answers in enumerate(results):
        assert answers == [b"GET /c%d-%d ? []" % (n, k) for k in range(10)]
