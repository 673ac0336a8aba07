"""Length-prefixed messages on a stream socket, read with a deadline and a size cap."""
from __future__ import annotations

import socket
import struct
import time

HEADER = struct.Struct("<Q")


class ConnectionEnded(Exception):
    """The other end closed the connection (or died)."""


class TimedOut(Exception):
    """No complete message arrived before the deadline."""


class TooLarge(Exception):
    """The other end announced a message larger than allowed."""


def send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(HEADER.pack(len(payload)))
    sock.sendall(payload)


def receive(sock: socket.socket, deadline: float | None = None, max_bytes: int | None = None) -> bytes:
    """One message; `deadline` is a time.monotonic() value."""
    (length,) = HEADER.unpack(_read_exactly(sock, HEADER.size, deadline))
    if max_bytes is not None and length > max_bytes:
        raise TooLarge("a message of %d bytes (the limit is %d)" % (length, max_bytes))
    return _read_exactly(sock, length, deadline)


def _read_exactly(sock, count, deadline):
    chunks, remaining = [], count
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimedOut()
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(remaining, 1 << 20))
        except socket.timeout:
            raise TimedOut() from None
        except (ConnectionResetError, BrokenPipeError) as error:
            raise ConnectionEnded(str(error)) from None
        if not chunk:
            raise ConnectionEnded("connection closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
