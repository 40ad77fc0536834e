"""A DNS source serving a test suite's zone data, for the SPF evaluator (no network).

Implements the conventions of the RFC 7208 test suite's ``zonedata`` (the suite's
README in the pyspf sdist): records per name as ``{TYPE: value}``; ``TIMEOUT`` as a
bare entry (every type of the name times out, unless a record of the asked type came
before it) or as a value (that type times out); an ``SPF`` record doubles as TXT when
the name has no TXT record; ``TXT: NONE`` publishes nothing; names below ``error.``
time out; names not listed do not exist. CNAMEs are chased as a resolver would.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from auditor.dnspolicy.spf import DnsSource
from auditor.evidence.network import DnsAnswer

MAX_CNAME = 10


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _present(rdtype: str, value: Any) -> str:
    if rdtype == "MX" and isinstance(value, list):
        preference, host = value
        return f"{preference} {host}"
    if rdtype in ("TXT", "SPF"):
        return _text(value)
    if rdtype == "AAAA":
        return str(ipaddress.ip_address(value))
    return str(value)


def zone_source(zonedata: dict[str, list[Any]]) -> DnsSource:
    zone = {name.lower().rstrip("."): entries for name, entries in zonedata.items()}

    def lookup(name: str, rdtype: str, depth: int = 0) -> DnsAnswer:
        key = name.lower().rstrip(".")
        if key not in zone:
            if key.startswith("error.") or ".error." in key:
                return DnsAnswer(name, rdtype, "timeout", error="zone data: timeout")
            return DnsAnswer(name, rdtype, "nxdomain")
        entries = zone[key]
        has_txt = any(isinstance(e, dict) and "TXT" in e for e in entries)
        records: list[str] = []
        cname: str | None = None
        for entry in entries:
            if entry == "TIMEOUT":
                if records:
                    break
                return DnsAnswer(name, rdtype, "timeout", error="zone data: TIMEOUT")
            if not isinstance(entry, dict):
                continue
            for found, value in entry.items():
                as_type = "TXT" if found == "SPF" and not has_txt and rdtype == "TXT" else found
                if found == "CNAME":
                    cname = str(value)
                if as_type != rdtype:
                    continue
                if value == "TIMEOUT":
                    return DnsAnswer(name, rdtype, "timeout", error="zone data: TIMEOUT")
                if value in ("NONE", ["NONE"]):
                    continue
                records.append(_present(rdtype, value))
        if records:
            return DnsAnswer(name, rdtype, "ok", records=tuple(records))
        if cname is not None and rdtype != "CNAME" and depth < MAX_CNAME:
            chased = lookup(cname, rdtype, depth + 1)
            return DnsAnswer(name, rdtype, chased.status, chased.records, error=chased.error)
        return DnsAnswer(name, rdtype, "nodata")

    return lookup
