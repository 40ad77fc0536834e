"""The probe phase: keys from discovery, units by host and address, assembly in a scan's order."""

from __future__ import annotations

from dataclasses import replace

from auditor.collectors.endpoints import (
    UNIT_RESULTS,
    EndpointEvidence,
    ServiceKey,
    assemble,
    key_of,
    service_keys,
    units_of,
)
from auditor.evidence import Evidence, Target
from auditor.evidence.dialogs import DialogResult
from auditor.evidence.network import Discovery, DnsAnswer, Endpoint
from auditor.evidence.tls import TlsScan

MX = Endpoint("mx.example.net", 25, "smtp", "starttls", "mx", ("192.0.2.25", "2001:db8::25"))
IMAPS = Endpoint("mx.example.net", 993, "imaps", "implicit", "srv", ("192.0.2.25",))
GONE = Endpoint("gone.example.org", 587, "submission", "starttls", "srv", (), ("gone.example.org does not exist",))


def _evidence(*endpoints: Endpoint) -> Evidence:
    discovery = Discovery("example.org", "system", DnsAnswer("example.org", "MX", "ok"), endpoints=endpoints)
    return Evidence("1", "2026-12-05T00:00:00+00:00", Target("example.org"), True, discovery=discovery)


def _result(key: ServiceKey) -> EndpointEvidence:
    dialog = DialogResult(key.host, key.ip, key.port, key.proto, key.tls, "probe", "ok", banner="220 hi")
    scan = TlsScan(key.host, key.ip, key.port, key.proto, key.tls, connections=7)
    return EndpointEvidence(key, dialog, scan)


def test_keys_cover_every_address_and_units_group_by_host_and_address() -> None:
    keys = service_keys(_evidence(MX, IMAPS, GONE))
    assert [k.text for k in keys] == [
        "mx.example.net|192.0.2.25|25|smtp|starttls",
        "mx.example.net|2001:db8::25|25|smtp|starttls",
        "mx.example.net|192.0.2.25|993|imaps|implicit",
    ]
    units = units_of(keys)
    assert [(u.host, u.ip, [k.port for k in u.keys]) for u in units] == [
        ("mx.example.net", "192.0.2.25", [25, 993]),
        ("mx.example.net", "2001:db8::25", [25]),
    ]
    # The same keys in another order (another domain) make the same unit ids.
    assert {u.unit_id for u in units_of(reversed(keys))} == {u.unit_id for u in units}


def test_assemble_labels_shared_results_with_the_domains_own_source() -> None:
    evidence = _evidence(MX, IMAPS, GONE)
    results = {k: _result(k) for k in service_keys(evidence)}
    done = assemble(evidence, results)
    assert [(d.subject, d.source, d.outcome) for d in done.dialogs] == [
        ("mx.example.net[192.0.2.25]:25", "mx", "ok"),
        ("mx.example.net[2001:db8::25]:25", "mx", "ok"),
        ("mx.example.net[192.0.2.25]:993", "srv", "ok"),
        ("gone.example.org[-]:587", "srv", "error"),
    ]
    assert "gone.example.org does not exist" in (done.dialogs[-1].reason or "")
    assert [s.subject for s in done.tls] == [
        "mx.example.net[192.0.2.25]:25",
        "mx.example.net[2001:db8::25]:25",
        "mx.example.net[192.0.2.25]:993",
    ]
    # A domain that saw the same service as "user" gets it labelled so.
    user = assemble(_evidence(replace(MX, source="user")), results)
    assert {d.source for d in user.dialogs} == {"user"}


def test_a_missing_result_is_an_error_never_a_silent_gap() -> None:
    evidence = _evidence(MX)
    done = assemble(evidence, {})
    assert all(d.outcome == "error" for d in done.dialogs)
    assert all(s.errors and s.incomplete == ("all",) for s in done.tls)


def test_results_round_trip_through_json() -> None:
    results = tuple(_result(key_of(MX, ip)) for ip in MX.addresses)
    assert UNIT_RESULTS.validate_json(UNIT_RESULTS.dump_json(results)) == results
