"""Evidence types of the protocol-dialog collector (``Evidence.dialogs``).

Frozen dataclasses of plain values so the bundle round-trips through JSON and the
``starttls`` checks stay pure functions of recorded facts. Server text in here is
untrusted and already bounded by the collector (see ``dialogs_io``).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.evidence.outcomes import ErrorKind

# DialogResult.outcome values. Everything but "ok" means the dialog did not run to
# its end; checks turn those into ``error`` findings with ``reason``:
#   ok; refused (TCP connection refused); timeout (a step or the overall deadline expired);
#   throttled (421, reset, greylisting 450/451, "too many connections"); rejected (554
#   banner, IMAP BYE, POP3 -ERR); garbage (not the protocol, or over our size bounds);
#   closed (closed mid-dialog); tls-failed (the handshake failed); plaintext (the peer
#   answered in plaintext where TLS was expected); error (anything else,
#   with the reason); skipped (the overall deadline came before the dialog started).

# Probe.verdict values: what the server did with a bogus credential or a command sent
# before TLS. "processed" means it evaluated the credential (the password crossed the
# wire in plaintext); "refused" means it demanded TLS first.
VERDICT_REFUSED = "refused"
VERDICT_PROCESSED = "processed"
VERDICT_ACCEPTED = "accepted"
VERDICT_UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class TlsSession:
    """What one TLS handshake of a dialogue negotiated (the certificate is the TLS collector's)."""

    version: str
    cipher: str


@dataclass(frozen=True, slots=True)
class Probe:
    """One command sent before TLS to learn whether the server enforces TLS.

    ``name``: ``auth`` (SMTP AUTH, bogus credential), ``mail-from`` (SMTP MAIL FROM on
    submission), ``login`` (IMAP LOGIN, bogus), ``user``/``pass`` (POP3, bogus).
    ``command`` is what was sent with any credential replaced by ``<bogus>``.
    """

    name: str
    command: str
    verdict: str
    reply: str


@dataclass(frozen=True, slots=True)
class HttpProbe:
    """Webmail transport: does plain HTTP redirect to HTTPS, does HTTPS send HSTS?

    ``http_error``/``https_error`` say why a side gave no status (may quote the server);
    ``http_error_kind``/``https_error_kind`` say what kind of failure it was, for checks.
    """

    http_status: int | None = None
    http_location: str | None = None
    redirects_to_https: bool | None = None
    http_error: str | None = None
    https_status: int | None = None
    hsts: str | None = None
    https_error: str | None = None
    http_error_kind: ErrorKind | None = None
    https_error_kind: ErrorKind | None = None


@dataclass(frozen=True, slots=True)
class DialogResult:
    """One bounded protocol dialog with one IP of one endpoint.

    ``starttls``: ``ok`` | ``not-offered`` | ``refused`` | ``closed`` | ``tls-failed`` |
    ``timeout``; ``None`` when not attempted (implicit TLS, HTTPS, or the dialog ended
    earlier). ``connection_index`` is the ordinal of this connection among all the
    dialog connections made to ``ip`` in this run ("throttled after N connections").
    """

    host: str
    ip: str
    port: int
    proto: str
    tls_mode: str
    source: str
    outcome: str
    reason: str | None = None
    connection_index: int = 0
    banner: str | None = None
    plain_caps: tuple[str, ...] = ()
    starttls_offered: bool | None = None
    probes: tuple[Probe, ...] = ()
    starttls: str | None = None
    tls: TlsSession | None = None
    tls_caps: tuple[str, ...] = ()
    http: HttpProbe | None = None
    transcript: tuple[str, ...] = ()
    elapsed_ms: int = 0

    @property
    def subject(self) -> str:
        """``host[ip]:port``, the subject the checks report on."""
        return f"{self.host}[{self.ip}]:{self.port}"

    def probe(self, name: str) -> Probe | None:
        return next((p for p in self.probes if p.name == name), None)
