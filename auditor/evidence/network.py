"""Network evidence: DNS answers, discovered endpoints, HTTPS fetches, MTA-STS/TLS-RPT/SPF/DMARC and DANE lookups.

Filled by the discovery, DNS and HTTPS collectors (``auditor.collectors``); read by the
``mail_dns``, ``dane`` and transport checks. Plain frozen values, so the bundle
round-trips through JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.models import Message


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """One DNS lookup: the records in presentation format, or why there are none.

    ``status``: ok | nxdomain | nodata | servfail | timeout | refused | error.
    ``dnssec``: our own validation from the trust anchors (never the resolver's AD bit):
    secure | insecure (provably unsigned) | bogus | indeterminate (could not validate,
    ``dnssec_reason`` says why) | unknown (not validated: the name's security does not
    matter to any check).
    """

    name: str
    rdtype: str
    status: str
    records: tuple[str, ...] = ()
    ttl: int | None = None
    error: str | Message | None = None
    dnssec: str = "unknown"
    dnssec_reason: str | Message = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True, slots=True)
class MxHost:
    name: str
    preference: int
    addresses: tuple[str, ...] = ()
    lookup_errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A network service to probe. ``tls``: ``starttls`` | ``implicit`` | ``none``.
    ``source``: how it was discovered (mx | srv | user | autoconfig | autodiscover |
    statement | mta-sts-site | name); ``via`` the URL, record or quote that named it.
    ``lookup_errors``: why its name gave no (or not every) address."""

    host: str
    port: int
    proto: str
    tls: str
    source: str
    addresses: tuple[str, ...] = ()
    lookup_errors: tuple[str, ...] = ()
    via: str = ""


@dataclass(frozen=True, slots=True)
class Discovery:
    """Where the mail domain's services are, per DNS (and the user's ``--service``)."""

    domain: str
    resolver: str | None
    mx: DnsAnswer
    mx_hosts: tuple[MxHost, ...] = ()
    null_mx: bool = False
    implicit_mx: bool = False
    srv: tuple[DnsAnswer, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    fatal: str | Message | None = None
    #: Client-side discovery: the autoconfig/autodiscover and webmail-name fetches, so a
    #: reader sees why an endpoint was (or was not) found there.
    client_config: tuple[HttpFetch, ...] = ()


@dataclass(frozen=True, slots=True)
class HttpFetch:
    """One HTTPS GET with certificate validation; body bounded, never a redirect.

    ``error_kind``: connect | timeout | dns | cert-expired | cert-untrusted |
    cert-hostname | cert | tls | http-status | redirect | too-large | content-type.
    """

    url: str
    ok: bool
    http_status: int | None = None
    content_type: str | None = None
    body: str | None = None
    error_kind: str | None = None
    error: str | None = None
    peer_address: str | None = None
    redirect_to: str | None = None


@dataclass(frozen=True, slots=True)
class PreviousPolicy:
    """What the previous run saw of the MTA-STS policy (from the state directory)."""

    policy_id: str | None
    body_sha256: str | None
    seen_at: str | None


@dataclass(frozen=True, slots=True)
class MailDns:
    """The DNS side of a mail domain: MTA-STS, TLS-RPT, SPF, DMARC.

    ``spf_record`` is the domain's whole TXT set (selection is the check's, RFC 7208 §4.5);
    ``spf_lookups`` every further answer the evaluation of include/redirect/a/mx/exists/ptr
    needed (RFC 7208 §4.6.4), so the check re-evaluates offline. ``dmarc_org_*``: the
    organizational domain (public suffix list) and its ``_dmarc`` answer, looked up when
    the domain has no DMARC record of its own (RFC 7489 §6.6.3). ``dmarc_report_auth``:
    ``<domain>._report._dmarc.<host>`` for each report destination outside the domain's
    organization (RFC 7489 §7.1); destinations inside it need no authorization.
    """

    mta_sts_record: DnsAnswer
    tlsrpt_record: DnsAnswer
    spf_record: DnsAnswer
    dmarc_record: DnsAnswer
    mta_sts_policy: HttpFetch | None = None
    previous_policy: PreviousPolicy | None = None
    spf_lookups: tuple[DnsAnswer, ...] = ()
    dmarc_org_domain: str | None = None
    dmarc_org_record: DnsAnswer | None = None
    dmarc_report_auth: tuple[DnsAnswer, ...] = ()


@dataclass(frozen=True, slots=True)
class DaneLookup:
    """TLSA records of one MX (RFC 7672 §2.2: ``_25._tcp.<mx>``) and how far DNS vouches for them.

    ``dnssec``: secure (signatures verified up to the trust anchor, or AD from a
    validating resolver) | insecure | bogus (signatures present but wrong) | indeterminate.
    """

    mx_host: str
    name: str
    answer: DnsAnswer
    dnssec: str
    validation: str | Message = ""
