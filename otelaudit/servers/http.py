"""A loopback HTTP/1.1 server for client scenarios, run in its own process so its CPU
is never charged to the measured client: `python -m otelaudit.servers.http`.

It prints `host port` on its first stdout line, answers every request with a small JSON
body, keeps connections alive, and exits when its stdin closes (its parent went away).
A raw asyncio protocol keeps it far cheaper than the clients it serves; other loopback
servers (`_llm_server`) reuse it with their own `respond(head, body) -> bytes`."""

from __future__ import annotations

import asyncio
import sys
from typing import Callable

Respond = Callable[[bytes, bytes], bytes]

BODY = b'{"ok": true, "items": [1, 2, 3], "message": "hello from otelaudit"}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
    b"Connection: keep-alive\r\n"
    b"\r\n" + BODY
)


def fixed_response(head: bytes, body: bytes) -> bytes:
    return RESPONSE


class HttpResponder(asyncio.Protocol):
    def __init__(self, respond: Respond = fixed_response) -> None:
        self.respond = respond
        self.buffer = b""
        self.transport: "asyncio.Transport | None" = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            length = _content_length(self.buffer[:head_end])
            total = head_end + 4 + length
            if len(self.buffer) < total:
                return
            head, body = self.buffer[:head_end], self.buffer[head_end + 4:total]
            self.buffer = self.buffer[total:]
            assert self.transport is not None
            self.transport.write(self.respond(head, body))


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip() or 0)
    return 0


async def serve(respond: Respond = fixed_response, host: str = "127.0.0.1") -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HttpResponder(respond), host, 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"{host} {port}", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # returns when the parent closes stdin
    server.close()


if __name__ == "__main__":
    asyncio.run(serve())
