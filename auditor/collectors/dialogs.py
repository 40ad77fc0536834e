"""Protocol-dialog collector: what each mail port says and accepts *before* TLS.

sslyze and testssl.sh upgrade to TLS as fast as they can; neither reads the
capabilities a client sees first (SMTP AUTH before STARTTLS, IMAP LOGINDISABLED,
POP3 USER) nor tries whether a credential sent in plaintext is evaluated. This
collector runs one short, bounded dialog per endpoint and per IP:

- SMTP (25, 587): banner, EHLO, AUTH with a bogus credential, MAIL FROM on
  submission, STARTTLS, EHLO again (AUTH after TLS);
- IMAP (143): CAPABILITY, LOGIN with a bogus credential, STARTTLS, CAPABILITY;
- POP3 (110): CAPA, USER/PASS with a bogus credential, STLS, CAPA;
- implicit TLS (465, 993, 995): handshake and greeting;
- HTTPS (443): does plain HTTP on 80 redirect to HTTPS, does HTTPS send HSTS.

Politeness: one connection per dialog, at most ``per_ip_concurrency`` at a time
per IP, parallel across IPs, one overall deadline. Throttling (421, resets,
greylisting) is recorded as such, never as an answer. Every failure is a value in
the result (errors as values): nothing here raises to the caller.
"""

from __future__ import annotations

import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from auditor.collectors.dialogs_http import http_dialog
from auditor.collectors.dialogs_io import Conn, DialogError, clip
from auditor.collectors.dialogs_proto import Rec, imap_dialog, implicit_tls_dialog, pop3_dialog, smtp_dialog
from auditor.collectors.limiter import IpLimiter, LocalLimiter
from auditor.evidence.dialogs import DialogResult
from auditor.evidence.network import Endpoint

STEP_TIMEOUT = 10.0  # one read or handshake; Dovecot delays failed logins by ~2 s
DIALOG_TIMEOUT = 60.0  # one whole dialog
_MAX_WORKERS = 32
_PROTOS = frozenset({"smtp", "submission", "submissions", "imap", "imaps", "pop3", "pop3s", "https"})


def collect_dialogs(
    endpoints: Sequence[Endpoint],
    *,
    deadline: float,
    per_ip_concurrency: int = 2,
    helo_name: str | None = None,
    step_timeout: float = STEP_TIMEOUT,
    limiter: IpLimiter | None = None,
) -> tuple[DialogResult, ...]:
    """Run one dialog per (endpoint, IP) and return the results in input order.

    ``deadline`` is an absolute ``time.monotonic()`` value for the whole collection.
    Only the endpoints' already resolved ``addresses`` are contacted; names are
    never resolved here (the host name is used for SNI, EHLO checks and reports).
    ``helo_name`` is the FQDN we announce in EHLO (default: this machine's FQDN).
    """
    helo = helo_name or _default_helo()
    # An endpoint without addresses still gets a result, so its checks say why they cannot verify.
    jobs: list[tuple[Endpoint, str]] = [(ep, ip) for ep in endpoints for ip in (ep.addresses or ("",))]
    results: list[DialogResult | None] = [None] * len(jobs)
    by_ip: dict[str, deque[int]] = {}
    for index, (endpoint, ip) in enumerate(jobs):
        if not ip:
            results[index] = unaddressed(endpoint)
            continue
        by_ip.setdefault(ip, deque()).append(index)
    counters = {ip: 0 for ip in by_ip}
    lock = threading.Lock()

    def next_job(ip: str) -> tuple[int, int] | None:
        with lock:
            queue = by_ip[ip]
            if not queue:
                return None
            counters[ip] += 1
            return queue.popleft(), counters[ip]

    ip_limiter = limiter or LocalLimiter(per_ip_concurrency)

    def lane(ip: str) -> None:
        gate, pace = ip_limiter.gate(ip), ip_limiter.pacer(ip)
        while (item := next_job(ip)) is not None:
            index, ordinal = item
            endpoint, _ = jobs[index]
            # The IP's slot is shared with the TLS scans and, in a fleet, with every domain.
            if not gate.acquire(timeout=max(0.0, deadline - time.monotonic())):
                results[index] = without_dialog(
                    endpoint, ip, "skipped", "overall deadline reached while waiting for a slot"
                )
                continue
            if not pace.wait(deadline):
                gate.release()
                results[index] = without_dialog(
                    endpoint, ip, "skipped", "overall deadline reached while waiting for a slot"
                )
                continue
            try:
                results[index] = run_dialog(
                    endpoint, ip, deadline=deadline, helo=helo, ordinal=ordinal, step_timeout=step_timeout
                )
            finally:
                gate.release()

    concurrency = ip_limiter.per_ip_concurrency
    lanes = [ip for ip in by_ip for _ in range(max(1, min(concurrency, len(by_ip[ip]))))]
    if lanes:
        with ThreadPoolExecutor(max_workers=min(_MAX_WORKERS, len(lanes)), thread_name_prefix="dialog") as pool:
            for future in [pool.submit(lane, ip) for ip in lanes]:
                future.result()
    return tuple(r for r in results if r is not None)


def unaddressed(endpoint: Endpoint) -> DialogResult:
    """The result of an endpoint whose name gave no address: its checks say why they cannot verify."""
    why = f" ({'; '.join(endpoint.lookup_errors)})" if endpoint.lookup_errors else ""
    return without_dialog(endpoint, "-", "error", f"no IP address is known for {endpoint.host}{why}")


def without_dialog(endpoint: Endpoint, ip: str, outcome: str, reason: str | None) -> DialogResult:
    """The result of a dialog that did not take place, with why."""
    return DialogResult(
        host=endpoint.host,
        ip=ip,
        port=endpoint.port,
        proto=endpoint.proto,
        tls_mode=endpoint.tls,
        source=endpoint.source,
        outcome=outcome,
        reason=reason,
    )


def _default_helo() -> str:
    name = socket.getfqdn()
    return name if "." in name and not name.startswith("localhost") else "auditor.localdomain"


def run_dialog(
    endpoint: Endpoint,
    ip: str,
    *,
    deadline: float,
    helo: str,
    ordinal: int = 1,
    step_timeout: float = STEP_TIMEOUT,
) -> DialogResult:
    """One dialog with one IP; every exception becomes an outcome with a reason."""
    started = time.monotonic()
    rec = Rec()
    transcript: list[str] = []
    outcome, reason = "ok", None
    dialog_deadline = min(deadline, started + DIALOG_TIMEOUT)
    if dialog_deadline <= started:
        outcome, reason = "skipped", "overall deadline reached before this dialog started"
    elif endpoint.proto not in _PROTOS:
        outcome, reason = "error", f"no dialog for protocol {endpoint.proto!r}"
    else:
        try:
            if endpoint.proto == "https":
                rec.http = http_dialog(endpoint.host, ip, endpoint.port, step_timeout, dialog_deadline, transcript)
            else:
                _talk(endpoint, ip, rec, transcript, dialog_deadline, helo, step_timeout)
        except DialogError as exc:
            outcome, reason = exc.outcome, exc.reason
        except ConnectionRefusedError:
            outcome, reason = "refused", f"connection to {ip}:{endpoint.port} refused"
        except ConnectionResetError:
            outcome, reason = "throttled", "connection reset by the server"
        except TimeoutError:
            outcome, reason = "timeout", f"no answer within {step_timeout:g} s"
        except OSError as exc:
            outcome, reason = "error", f"network error: {clip(str(exc))}"
        except Exception as exc:  # errors as values: a bug here must not sink the audit
            last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f" at {last.filename.rsplit('/', 1)[-1]}:{last.lineno}" if last else ""
            outcome, reason = "error", f"dialog crashed: {exc!r}{where}"
    if outcome == "throttled" and ordinal > 1:
        reason = f"{reason} (throttled after {ordinal - 1} earlier connections to {ip})"
    return replace(
        without_dialog(endpoint, ip, outcome, reason),
        connection_index=ordinal,
        banner=rec.banner,
        plain_caps=rec.plain_caps,
        starttls_offered=rec.starttls_offered,
        probes=tuple(rec.probes),
        starttls=rec.starttls,
        tls=rec.tls,
        tls_caps=rec.tls_caps,
        http=rec.http,
        transcript=tuple(transcript),
        elapsed_ms=int((time.monotonic() - started) * 1000),
    )


def _talk(
    endpoint: Endpoint,
    ip: str,
    rec: Rec,
    transcript: list[str],
    deadline: float,
    helo: str,
    step_timeout: float,
) -> None:
    conn = Conn(ip, endpoint.port, step_timeout=step_timeout, deadline=deadline)
    conn.transcript = transcript
    try:
        proto, host = endpoint.proto, endpoint.host
        if endpoint.tls == "implicit" or proto in ("submissions", "imaps", "pop3s"):
            implicit_tls_dialog(conn, rec, host=host, proto=proto, helo=helo)
        elif proto in ("smtp", "submission"):
            smtp_dialog(conn, rec, host=host, helo=helo, submission=proto == "submission")
        elif proto == "imap":
            imap_dialog(conn, rec, host=host)
        elif proto == "pop3":
            pop3_dialog(conn, rec, host=host)
    finally:
        conn.close()
