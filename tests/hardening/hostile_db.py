"""Malicious database servers behind ``--db``: just enough PostgreSQL and MySQL wire protocol.

Each server completes the login (no password check, no TLS) and answers the inventory's
queries from one behaviour: ``honest`` (a small mailbox table), ``slow`` (the table list
dripped a byte every two seconds), ``huge`` (a password value of several hundred
megabytes, really sent), ``wrong-types`` (every column announced as an integer but sent as
text, rows of the wrong width) or ``silent`` (accepts and never speaks). The servers run in
threads on 127.x and every connection ends with the test (``HostileServer`` from
:mod:`tests.hardening.hostile_smtp`).
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.hardening.hostile_smtp import HostileServer, hostile_server

HUGE_BYTES = 600 * 1024 * 1024
DRIP_S = 2.0
TABLES = [("public", "mailbox", "username", "text"), ("public", "mailbox", "password", "text")]
HASHES = ["{SHA512-CRYPT}$6$abc$def", "$2y$10$abcdefghijklmnopqrstuv"]

Send = Callable[[bytes], None]


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return bytes(data)


def _stream_value(send: Send, size: int, header: bytes) -> None:
    """``header`` then ``size`` bytes of ``x``, in 1 MiB writes (the client may hang up early)."""
    send(header)
    chunk = b"x" * (1 << 20)
    left = size
    while left > 0:
        send(chunk[: min(left, len(chunk))])
        left -= len(chunk)


def _drip(send: Send, data: bytes) -> None:
    for byte in data[:60]:  # bounded: the test server must end too
        send(bytes([byte]))
        time.sleep(DRIP_S)


# ---------------------------------------------------------------- PostgreSQL (protocol 3.0)


def _pg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _pg_row_description(names: list[str], oid: int) -> bytes:
    fields = b"".join(n.encode() + b"\0" + struct.pack("!ihihih", 0, 0, oid, -1, -1, 0) for n in names)
    return _pg(b"T", struct.pack("!h", len(names)) + fields)


def _pg_data_row(values: list[str | None]) -> bytes:
    cols = b"".join(
        struct.pack("!i", -1) if v is None else struct.pack("!i", len(v.encode())) + v.encode() for v in values
    )
    return _pg(b"D", struct.pack("!h", len(values)) + cols)


def _pg_answer(sql: str, behaviour: str, send: Send) -> None:
    """RowDescription, DataRows and CommandComplete for one statement."""
    text_oid, int_oid = 25, 20
    lowered = sql.lower()
    if "pg_catalog.pg_class" in lowered:
        names, rows = ["nspname", "relname", "attname", "format_type"], [list(r) for r in TABLES]
        if behaviour == "slow":
            send(_pg_row_description(names, text_oid))
            _drip(send, b"".join(_pg_data_row(list(r)) for r in rows))
            return
        if behaviour == "wrong-types":
            send(_pg_row_description(names[:2], 23))  # int4, two columns where four are asked for
            send(_pg_data_row(["abc", "def"]) + _pg(b"C", b"SELECT 1\0"))
            return
        send(_pg_row_description(names, text_oid) + b"".join(_pg_data_row(list(r)) for r in rows))
        send(_pg(b"C", f"SELECT {len(rows)}\0".encode()))
    elif "count(" in lowered:
        send(_pg_row_description(["count"], int_oid))
        send(_pg_data_row(["not-a-number" if behaviour == "wrong-types" else "2"]) + _pg(b"C", b"SELECT 1\0"))
    elif lowered.startswith("select"):
        send(_pg_row_description(["password"], text_oid))
        if behaviour == "huge":
            _stream_value(send, HUGE_BYTES, b"D" + struct.pack("!ihi", HUGE_BYTES + 10, 1, HUGE_BYTES))
        else:
            send(b"".join(_pg_data_row([h]) for h in HASHES))
        send(_pg(b"C", f"SELECT {len(HASHES)}\0".encode()))
    else:
        send(_pg(b"C", b"SET\0"))


def pg_server(behaviour: str) -> Callable[[socket.socket], None]:
    def serve(conn: socket.socket) -> None:
        conn.settimeout(120)
        send = conn.sendall
        while True:  # SSLRequest / GSSENCRequest are declined, then the StartupMessage
            (length,) = struct.unpack("!i", _recv_exact(conn, 4))
            body = _recv_exact(conn, length - 4)
            if struct.unpack("!i", body[:4])[0] in (80877103, 80877104):
                send(b"N")
                continue
            break
        if behaviour == "silent":
            time.sleep(90)
            return
        params = b"".join(
            _pg(b"S", k + b"\0" + v + b"\0")
            for k, v in (
                (b"server_version", b"16.0"),
                (b"client_encoding", b"UTF8"),
                (b"DateStyle", b"ISO, MDY"),
                (b"integer_datetimes", b"on"),
                (b"standard_conforming_strings", b"on"),
            )
        )
        send(_pg(b"R", struct.pack("!i", 0)) + params + _pg(b"K", struct.pack("!ii", 1, 2)) + _pg(b"Z", b"I"))
        pending: list[str] = []
        while True:
            kind = _recv_exact(conn, 1)
            (length,) = struct.unpack("!i", _recv_exact(conn, 4))
            body = _recv_exact(conn, length - 4)
            if kind == b"X":
                return
            if kind == b"Q":
                _pg_answer(body.rstrip(b"\0").decode(), behaviour, send)
                send(_pg(b"Z", b"I"))
            elif kind == b"P":  # Parse: name\0 query\0 ...
                pending.append(body.split(b"\0")[1].decode())
                send(_pg(b"1", b""))
            elif kind == b"B":
                send(_pg(b"2", b""))
            elif kind == b"E" and pending:
                _pg_answer(pending.pop(0), behaviour, send)
            elif kind == b"S":
                send(_pg(b"Z", b"I"))
            # Describe ('D'): the RowDescription is sent with the result; Close/Flush need nothing

    return serve


# ---------------------------------------------------------------- MySQL (protocol 10, text results)


def _my(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload


def _lenenc(data: bytes) -> bytes:
    size = len(data)
    if size < 251:
        return bytes([size]) + data
    if size < 1 << 16:
        return b"\xfc" + struct.pack("<H", size) + data
    if size < 1 << 24:
        return b"\xfd" + struct.pack("<I", size)[:3] + data
    return b"\xfe" + struct.pack("<Q", size) + data


_MY_OK = b"\x00\x00\x00\x02\x00\x00\x00"
_MY_EOF = b"\xfe\x00\x00\x02\x00"


def _my_column(name: str, type_code: int) -> bytes:
    text = b"".join(_lenenc(v) for v in (b"def", b"mail", b"t", b"t", name.encode(), name.encode()))
    return text + b"\x0c" + struct.pack("<HIBHB", 33, 1024, type_code, 0, 0) + b"\x00\x00"


def _my_result(send: Send, names: list[str], rows: list[list[str]], type_code: int = 253) -> None:
    packets = [bytes([len(names)])] + [_my_column(n, type_code) for n in names] + [_MY_EOF]
    packets += [b"".join(_lenenc(v.encode()) for v in row) for row in rows] + [_MY_EOF]
    send(b"".join(_my(seq, p) for seq, p in enumerate(packets, start=1)))


def _my_answer(sql: str, behaviour: str, send: Send) -> None:
    lowered = sql.lower()
    if "information_schema.columns" in lowered:
        rows = [[t, c, ty] for _s, t, c, ty in TABLES]
        if behaviour == "slow":
            buffer: list[bytes] = []
            _my_result(buffer.append, ["TABLE_NAME", "COLUMN_NAME", "COLUMN_TYPE"], rows)
            _drip(send, b"".join(buffer))
        elif behaviour == "wrong-types":
            _my_result(send, ["TABLE_NAME"], [["abc"]], type_code=3)  # LONG, one column where three are asked for
        else:
            _my_result(send, ["TABLE_NAME", "COLUMN_NAME", "COLUMN_TYPE"], rows)
    elif "count(" in lowered:
        _my_result(send, ["COUNT(*)"], [["not-a-number" if behaviour == "wrong-types" else "2"]], type_code=8)
    elif lowered.startswith("select"):
        if behaviour == "huge":  # one row of HUGE_BYTES: split into 16 MiB - 1 packets as the protocol demands
            send(_my(1, b"\x01") + _my(2, _my_column("password", 252)) + _my(3, _MY_EOF))
            head = b"\xfe" + struct.pack("<Q", HUGE_BYTES)  # length-encoded string of HUGE_BYTES
            left, seq, first = len(head) + HUGE_BYTES, 4, True
            while True:
                size = min(left, 0xFFFFFF)
                send(struct.pack("<I", size)[:3] + bytes([seq & 0xFF]))
                _stream_value(send, size - (len(head) if first else 0), head if first else b"")
                left, seq, first = left - size, seq + 1, False
                if size < 0xFFFFFF:
                    break
            send(_my(seq, _MY_EOF))
        else:
            _my_result(send, ["password"], [[h] for h in HASHES])
    else:
        send(_my(1, _MY_OK))


def mysql_server(behaviour: str) -> Callable[[socket.socket], None]:
    def read_packet(conn: socket.socket) -> bytes:
        header = _recv_exact(conn, 4)
        return _recv_exact(conn, int.from_bytes(header[:3], "little"))

    def serve(conn: socket.socket) -> None:
        conn.settimeout(120)
        if behaviour == "silent":
            time.sleep(90)
            return
        caps = 0x1 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x80000
        greeting = (
            b"\x0a8.0.0-hostile\x00"
            + struct.pack("<I", 7)
            + b"abcdefgh\x00"
            + struct.pack("<H", caps & 0xFFFF)
            + bytes([33])
            + struct.pack("<H", 2)
            + struct.pack("<H", caps >> 16)
            + bytes([21])
            + b"\x00" * 10
            + b"ijklmnopqrst\x00"
            + b"mysql_native_password\x00"
        )
        conn.sendall(_my(0, greeting))
        read_packet(conn)  # the login; any password is fine
        conn.sendall(_my(2, _MY_OK))
        while True:
            packet = read_packet(conn)
            if not packet or packet[0] == 0x01:  # COM_QUIT
                return
            if packet[0] == 0x03:  # COM_QUERY
                _my_answer(packet[1:].decode("utf-8", "replace"), behaviour, conn.sendall)
            else:
                conn.sendall(_my(1, _MY_OK))

    return serve


@contextmanager
def database_server(engine: str, address: str, port: int, behaviour: str) -> Iterator[HostileServer]:
    serve = pg_server(behaviour) if engine == "postgresql" else mysql_server(behaviour)
    with hostile_server(address, port, serve) as server:
        yield server
