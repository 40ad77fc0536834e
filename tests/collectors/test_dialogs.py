"""The dialog collector against small scripted servers on 127.0.0.1 (no lab needed).

Each server misbehaves in one way a real mail server (or tarpit) does; the collector
must record it as the right outcome with a reason, within its time bounds.
"""

from __future__ import annotations

import random
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable

from auditor.collectors.dialogs import collect_dialogs, run_dialog
from auditor.collectors.dialogs_http import http_dialog
from auditor.collectors.dialogs_io import MAX_LINE
from auditor.evidence.network import Endpoint
from auditor.evidence.outcomes import ErrorKind
from tests.collectors.conftest import DialogHandler, DialogServer

HOST = "mx.test.example"
Start = Callable[[DialogHandler], DialogServer]


def endpoint(server: DialogServer, proto: str = "smtp", tls: str = "starttls") -> Endpoint:
    return Endpoint(HOST, server.port, proto, tls, "mx", (server.ip,))


def dialog(server: DialogServer, proto: str = "smtp", tls: str = "starttls", step: float = 2.0):  # type: ignore[no-untyped-def]
    return run_dialog(
        endpoint(server, proto, tls),
        server.ip,
        deadline=time.monotonic() + 20,
        helo="scanner.test.example",
        step_timeout=step,
    )


def readline(conn: socket.socket | ssl.SSLSocket) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        byte = conn.recv(1)
        if not byte:
            raise ConnectionError("client went away")
        line += byte
    return line.strip()


def smtp_server(
    tls: ssl.SSLContext | None,
    *,
    auth_reply: bytes = b"535 5.7.8 authentication failed",
    close_after_starttls: bool = False,
) -> DialogHandler:
    """A minimal ESMTP server: AUTH before TLS answered with ``auth_reply``."""

    def handle(conn: socket.socket) -> None:
        sock: socket.socket | ssl.SSLSocket = conn
        sock.sendall(b"220 mx.test.example ESMTP\r\n")
        secure = False
        while True:
            line = readline(sock).upper()
            if line.startswith(b"EHLO"):
                caps = [b"250-mx.test.example", b"250-PIPELINING", b"250-AUTH PLAIN LOGIN"]
                if not secure:
                    caps.append(b"250-STARTTLS")
                sock.sendall(b"\r\n".join(caps + [b"250 8BITMIME"]) + b"\r\n")
            elif line.startswith(b"AUTH"):
                sock.sendall(auth_reply + b"\r\n")
            elif line.startswith(b"MAIL FROM"):
                sock.sendall(b"250 2.1.0 Ok\r\n")
            elif line == b"RSET":
                sock.sendall(b"250 2.0.0 Ok\r\n")
            elif line == b"STARTTLS" and tls is not None:
                sock.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                if close_after_starttls:
                    return
                sock = tls.wrap_socket(conn, server_side=True)
                secure = True
            elif line == b"QUIT":
                sock.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                sock.sendall(b"502 5.5.2 Error: command not recognized\r\n")

    return handle


def test_full_smtp_dialog_records_caps_probes_and_tls(dialog_server: Start, dialog_tls_context: ssl.SSLContext) -> None:
    result = dialog(dialog_server(smtp_server(dialog_tls_context)), proto="submission")
    assert result.outcome == "ok", result.reason
    assert result.starttls_offered and result.starttls == "ok"
    assert "AUTH PLAIN LOGIN" in result.plain_caps and "STARTTLS" not in result.tls_caps
    auth, mail_from = result.probe("auth"), result.probe("mail-from")
    assert auth is not None and auth.verdict == "processed" and auth.reply.startswith("535")
    assert mail_from is not None and mail_from.verdict == "accepted"
    assert result.tls is not None and result.tls.version.startswith("TLS")
    assert result.tls.version in ("TLSv1.2", "TLSv1.3") and result.tls.cipher != "unknown"
    transcript = "\n".join(result.transcript)
    assert "AUTH PLAIN <bogus>" in transcript and "auditor-probe-invalid\x00" not in transcript
    assert "YXVkaXRvci1wcm9iZS1pbnZhbGlk" not in transcript  # the base64 token is never stored


def test_auth_refused_before_tls_is_recorded_as_refused(
    dialog_server: Start, dialog_tls_context: ssl.SSLContext
) -> None:
    server = dialog_server(smtp_server(dialog_tls_context, auth_reply=b"530 5.7.0 Must issue a STARTTLS command first"))
    auth = dialog(server, proto="submission").probe("auth")
    assert auth is not None and auth.verdict == "refused"


def test_garbage_banner(dialog_server: Start) -> None:
    def handle(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        time.sleep(1)

    result = dialog(dialog_server(handle))
    assert result.outcome == "garbage" and "not an SMTP reply" in (result.reason or "")


def test_overlong_line_is_cut_off_as_garbage(dialog_server: Start) -> None:
    def handle(conn: socket.socket) -> None:
        conn.sendall(b"220 " + b"A" * (MAX_LINE * 3))
        time.sleep(1)

    result = dialog(dialog_server(handle))
    assert result.outcome == "garbage" and "longer than" in (result.reason or "")


def test_slow_drip_banner_times_out_per_step(dialog_server: Start) -> None:
    def handle(conn: socket.socket) -> None:
        for byte in b"220 mx.test.example drip drip drip drip drip\r\n":
            conn.sendall(bytes([byte]))
            time.sleep(0.2)

    started = time.monotonic()
    result = dialog(dialog_server(handle), step=1.0)
    assert result.outcome == "timeout", result
    assert time.monotonic() - started < 3


def test_421_greeting_is_throttling(dialog_server: Start) -> None:
    def handle(conn: socket.socket) -> None:
        conn.sendall(b"421 4.7.0 mx.test.example Error: too many connections from 127.0.0.1\r\n")

    result = dialog(dialog_server(handle))
    assert result.outcome == "throttled" and "421" in (result.reason or "")
    assert result.starttls_offered is None


def test_reset_is_throttling(dialog_server: Start) -> None:
    def handle(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.1)

    result = dialog(dialog_server(handle))
    assert result.outcome == "throttled" and "reset" in (result.reason or "")


def test_closed_after_starttls(dialog_server: Start, dialog_tls_context: ssl.SSLContext) -> None:
    result = dialog(dialog_server(smtp_server(dialog_tls_context, close_after_starttls=True)))
    assert result.outcome == "closed" and "after STARTTLS" in (result.reason or "")
    assert result.starttls_offered is True and result.starttls == "closed"


def test_tls_handshake_failure_on_implicit_port(dialog_server: Start) -> None:
    def handle(conn: socket.socket) -> None:
        conn.sendall(b"220 mx.test.example ESMTP plaintext on a TLS port\r\n")
        time.sleep(1)

    result = dialog(dialog_server(handle), proto="submissions", tls="implicit")
    assert result.outcome == "plaintext" and "plaintext" in (result.reason or "")


def test_connection_refused() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on this port any more
    result = run_dialog(
        Endpoint(HOST, port, "imap", "starttls", "srv", ("127.0.0.1",)),
        "127.0.0.1",
        deadline=time.monotonic() + 5,
        helo="scanner.test.example",
    )
    assert result.outcome == "refused" and "refused" in (result.reason or "")


def test_per_ip_concurrency_and_connection_ordinals(dialog_server: Start) -> None:
    lock, waiting, peak = threading.Lock(), [0], [0]

    def handle(conn: socket.socket) -> None:
        # Count clients waiting for their greeting; leave the count *before* replying,
        # so a client can only open its next connection after it was counted out.
        with lock:
            waiting[0] += 1
            peak[0] = max(peak[0], waiting[0])
        time.sleep(0.3)
        with lock:
            waiting[0] -= 1
        conn.sendall(b"421 4.3.2 busy, try again later\r\n")

    server = dialog_server(handle)
    results = collect_dialogs(
        [endpoint(server)] * 6, deadline=time.monotonic() + 20, per_ip_concurrency=2, helo_name="scanner.test.example"
    )
    assert len(results) == 6 and server.connections == 6
    assert peak[0] == 2  # parallel, but never more than two at a time
    assert sorted(r.connection_index for r in results) == [1, 2, 3, 4, 5, 6]
    assert all(r.outcome == "throttled" for r in results)
    assert any("throttled after 5 earlier connections" in (r.reason or "") for r in results)


def test_overall_deadline_skips_dialogs_instead_of_running_them(dialog_server: Start) -> None:
    server = dialog_server(lambda conn: conn.sendall(b"220 hi\r\n"))
    results = collect_dialogs([endpoint(server)] * 3, deadline=time.monotonic() - 1, helo_name="scanner.test.example")
    assert [r.outcome for r in results] == ["skipped"] * 3 and server.connections == 0


def test_pop3_and_imap_garbage_greetings(dialog_server: Start) -> None:
    server = dialog_server(lambda conn: conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n"))
    assert dialog(server, proto="imap").outcome == "garbage"
    assert dialog(server, proto="pop3").outcome == "garbage"


def test_endpoint_without_addresses_gets_an_error_result() -> None:
    unresolved = Endpoint(HOST, 25, "smtp", "starttls", "mx", ())
    [result] = collect_dialogs([unresolved], deadline=time.monotonic() + 5, helo_name="scanner.test.example")
    assert result.outcome == "error" and "no IP address" in (result.reason or "") and result.subject.endswith(":25")


def imap_server(login_reply: bytes) -> DialogHandler:
    """IMAP without STARTTLS that answers LOGIN with ``login_reply``."""

    def handle(conn: socket.socket) -> None:
        conn.sendall(b"* OK IMAP ready\r\n")
        while True:
            tag, _, command = readline(conn).partition(b" ")
            if command.upper().startswith(b"CAPABILITY"):
                conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
            elif command.upper().startswith(b"LOGIN"):
                conn.sendall(tag + b" " + login_reply + b"\r\n")
            else:
                conn.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                return

    return handle


def test_imap_login_verdicts(dialog_server: Start) -> None:
    cases = {
        b"NO [AUTHENTICATIONFAILED] Authentication failed.": "processed",
        b"NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections.": "refused",
        b"BAD Command not permitted in this state": "refused",
        b"OK Logged in": "accepted",
    }
    for reply, verdict in cases.items():
        result = dialog(dialog_server(imap_server(reply)), proto="imap")
        login = result.probe("login")
        assert login is not None and login.verdict == verdict, (reply, result)
        assert result.starttls_offered is False and result.starttls == "not-offered"
        sent = [line for line in result.transcript if "LOGIN" in line]
        assert sent == ['C: a2 LOGIN "auditor-probe-invalid" <bogus>']


def test_imap_bye_greeting_about_connections_is_throttling(dialog_server: Start) -> None:
    server = dialog_server(lambda conn: conn.sendall(b"* BYE Too many connections from your IP, try later\r\n"))
    result = dialog(server, proto="imap")
    assert result.outcome == "throttled" and "Too many connections" in (result.reason or "")


def test_pop3_user_and_pass_before_stls(dialog_server: Start) -> None:
    def handle(conn: socket.socket) -> None:
        conn.sendall(b"+OK POP3 ready\r\n")
        while True:
            command = readline(conn).upper()
            if command == b"CAPA":
                conn.sendall(b"+OK\r\nUSER\r\nTOP\r\n.\r\n")
            elif command.startswith(b"USER"):
                conn.sendall(b"+OK\r\n")
            elif command.startswith(b"PASS"):
                conn.sendall(b"-ERR [AUTH] Authentication failed.\r\n")
            else:
                conn.sendall(b"+OK bye\r\n")
                return

    result = dialog(dialog_server(handle), proto="pop3")
    assert result.outcome == "ok" and result.plain_caps == ("USER", "TOP")
    user, password = result.probe("user"), result.probe("pass")
    assert user is not None and user.verdict == "accepted"
    assert password is not None and password.verdict == "processed" and password.command == "PASS <bogus>"
    assert "PASS auditor" not in "\n".join(result.transcript)


def test_port_80_answer_with_refused_in_its_text_is_recorded_as_garbage(dialog_tls_context: ssl.SSLContext) -> None:
    """The kind comes from what failed (no HTTP status line), not from the words the server sent."""
    # port 80 is fixed: a loopback address of its own keeps parallel test runs apart
    ip = f"127.0.81.{random.randrange(2, 250)}"

    def https(conn: socket.socket) -> None:
        with dialog_tls_context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(4096)
            tls.sendall(b"HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\n\r\n")

    def plain(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"access refused: plain HTTP is disabled here\r\n\r\n")

    secure = DialogServer(https, ip=ip)
    port80 = DialogServer(plain, ip=ip, port=80)
    try:
        probe = http_dialog("mx.test.example", ip, secure.port, 5.0, time.monotonic() + 20, [])
    finally:
        secure.close()
        port80.close()
    assert probe.http_status is None and probe.http_error_kind is ErrorKind.GARBAGE
    assert "refused" in (probe.http_error or "")  # the server's words are kept, but only as text
    assert probe.https_status == 200 and probe.hsts == "max-age=31536000"
