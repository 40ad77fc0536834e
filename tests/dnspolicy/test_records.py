"""MTA-STS, TLS-RPT and DMARC records read as the RFCs tell senders and receivers to."""

from __future__ import annotations

import pytest

from auditor.dnspolicy import parse_dmarc, parse_sts_policy, parse_sts_record, parse_tlsrpt
from auditor.messages import render
from auditor.models import Message


def en(problems: tuple[Message, ...]) -> list[str]:
    return [render(p, "en") for p in problems]


@pytest.mark.parametrize(
    ("records", "usable"),
    [
        (("v=STSv1; id=20261101T000000;",), True),
        (("v=STSv1;id=abc",), True),
        (("v=STSv1; id=abc; ext_1=v.x",), True),  # extension fields are allowed (§3.1)
        (("v=STSv12; id=abc;",), False),  # not exactly v=STSv1
        ((" v=STSv1; id=abc;",), False),  # leading space: does not begin with v=STSv1
        (("v=stsv1; id=abc;",), False),  # %s"v=STSv1": case-sensitive
        (("v=STSv1; id=abc;", "v=STSv1; id=def;"), False),  # two records: no policy
        (("v=STSv1; id=abc;", "unrelated"), True),  # others are discarded
        (("v=STSv1;",), False),  # id is required
        (("v=STSv1; id=toolong_with_underscore",), False),
        (("v=STSv1; id = abc",), False),  # no spaces around '=' in this grammar
    ],
)
def test_mta_sts_record(records: tuple[str, ...], usable: bool) -> None:
    record = parse_sts_record(records)
    assert record.usable is usable, record
    if not usable:
        assert any("RFC 8461 §3.1" in p for p in en(record.problems))


def test_mta_sts_policy_duplicate_mode_is_ambiguous() -> None:
    policy = parse_sts_policy("version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 86400\n")
    assert any("mode given again" in p for p in en(policy.problems))
    assert (
        parse_sts_policy("version: STSv1\nmode: enforce\nmx: a.example\nmx: b.example\nmax_age: 86400\nx: y\n").problems
        == ()
    )


@pytest.mark.parametrize(
    ("records", "usable", "rua"),
    [
        (("v=TLSRPTv1; rua=mailto:tls@example.org",), True, ("mailto:tls@example.org",)),
        (("v=TLSRPTv1; rua=mailto:a@example.org,https://r.example.org/v1",), True, 2),
        (("v=TLSRPTv1; rua=not_a_valid_uri",), False, ()),
        (("v=TLSRPTv1; rua=mailto:a@example.org", "v=TLSRPTv1; rua=mailto:b@example.org"), False, ()),
        (("v=TLSRPTv10; rua=mailto:a@example.org",), False, ()),
        (("v=TLSRPTv1",), False, ()),
        (("v=TLSRPTv1; rua=mailto:a@example.org,bogus",), True, ("mailto:a@example.org",)),
    ],
)
def test_tlsrpt(records: tuple[str, ...], usable: bool, rua: tuple[str, ...] | int) -> None:
    record = parse_tlsrpt(records)
    assert record.usable is usable, record
    assert len(record.rua) == rua if isinstance(rua, int) else record.rua == rua
    if not usable:
        assert any("RFC 8460 §3" in p or "senders" in p for p in en(record.problems))


@pytest.mark.parametrize(
    ("records", "status", "policy"),
    [
        (("v=DMARC1; p=reject",), "valid", "reject"),
        (("v=DMARC1 ; p = quarantine",), "valid", "quarantine"),  # §6.4: *WSP around '=' and ';'
        (("V=DMARC1;p=ReJect",), "valid", "reject"),
        ((" v=DMARC1; p=reject",), "absent", None),  # leading space: not a DMARC record
        (("v=dmarc1; p=reject",), "absent", None),  # DMARC1 is case-sensitive (%x44 %x4d ...)
        (("v=DMARC10; p=reject",), "absent", None),
        (("v=DMARC1; p=reject", "v=DMARC1; p=none"), "multiple", None),
        (("v=DMARC1; p=reject; p=none",), "invalid", None),  # duplicate p, no rua: no DMARC
        (("v=DMARC1; p=reject; p=none; rua=mailto:d@example.org",), "downgraded", "none"),
        (("v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.org",), "downgraded", "none"),  # §6.6.3 step 6
        (("v=DMARC1; p=reject; sp=bogus",), "invalid", None),
        (("v=DMARC1; rua=mailto:d@example.org",), "downgraded", "none"),
    ],
)
def test_dmarc_selection_and_policy(records: tuple[str, ...], status: str, policy: str | None) -> None:
    record = parse_dmarc(records)
    assert record.status == status, record
    assert record.policy_for(own_domain=True) == policy


@pytest.mark.parametrize("pct", ["150", "abc", "-1"])
def test_dmarc_bad_pct_is_ignored_and_said_so(pct: str) -> None:
    record = parse_dmarc((f"v=DMARC1; p=reject; pct={pct}",))
    assert record.status == "valid" and record.pct == 100
    assert any("pct" in n and "§6.3" in n for n in en(record.notes))


def test_dmarcbis_tags_recognised_and_subdomain_policies() -> None:
    record = parse_dmarc(("v=DMARC1; p=reject; sp=quarantine; np=none; psd=n; t=y",))
    assert (record.status, record.notes, record.testing) == ("valid", (), True)
    assert record.policy_for(own_domain=False) == "quarantine"
    assert record.policy_for(own_domain=False, nonexistent=True) == "none"
    assert parse_dmarc(("v=DMARC1; p=reject; np=maybe",)).notes
