#!/usr/bin/env python3
"""A TCP proxy that delays every connection's greeting, for the lab's "delayed" host.

Real mail servers often pause before their banner (Postfix postscreen's greet
pause, tarpits). Scanners that open one connection per probe pay that pause per
connection, so the benchmark runs the same endpoints with and without it. The
proxy accepts a client, waits ``--delay`` seconds, then connects upstream and
relays bytes both ways; for implicit-TLS ports the ServerHello is delayed instead.

Listens on a 127.x address only (refuses anything else). Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
import sys

_CHUNK = 65536


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass


async def _handle(
    client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter, upstream: str, port: int, delay: float
) -> None:
    try:
        await asyncio.sleep(delay)
        server_r, server_w = await asyncio.wait_for(asyncio.open_connection(upstream, port), timeout=10)
    except (OSError, TimeoutError):
        client_w.close()
        return
    try:
        await asyncio.gather(_pipe(client_r, server_w), _pipe(server_r, client_w))
    finally:
        for w in (client_w, server_w):
            w.close()


async def _serve(listen: str, upstream: str, ports: list[int], delay: float) -> None:
    servers = []
    for port in ports:

        async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, port: int = port) -> None:
            await _handle(r, w, upstream, port, delay)

        servers.append(await asyncio.start_server(handler, listen, port, reuse_address=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="127.x address to listen on")
    parser.add_argument("--upstream", required=True, help="address to forward to")
    parser.add_argument("--ports", required=True, help="comma-separated ports, same on both sides")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds before connecting upstream")
    args = parser.parse_args(argv)
    if not ipaddress.ip_address(args.listen).is_loopback or ipaddress.ip_address(args.listen).version != 4:
        print(f"refusing to listen on {args.listen}: lab servers use 127.x only", file=sys.stderr)
        return 2
    ports = [int(p) for p in args.ports.split(",") if p.strip()]
    asyncio.run(_serve(args.listen, args.upstream, ports, args.delay))
    return 0


if __name__ == "__main__":
    sys.exit(main())
