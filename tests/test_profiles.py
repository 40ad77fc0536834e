"""Grading profiles: every packaged table loads, names its source, and rates as documented."""

from __future__ import annotations

import pytest

from auditor.profiles import (
    CLASSES,
    ProfileError,
    available_profiles,
    load_profile,
    parse_profile,
    rate,
    rate_key,
)


def test_packaged_profiles_load_and_name_their_source() -> None:
    assert set(available_profiles()) == {"bsi-tr-02102-2", "mozilla-intermediate", "mozilla-modern", "ncsc-nl"}
    for name in available_profiles():
        profile = load_profile(name)
        assert profile.id == name
        assert profile.source.document and profile.source.version and profile.source.date
    assert load_profile("bsi-tr-02102-2").source.version == "2025-01"
    assert load_profile("ncsc-nl").source.version == "2025-05"
    assert load_profile("mozilla-intermediate").source.version == "5.8"


def test_bsi_modes_differ_only_on_expired_items() -> None:
    transitional = load_profile("bsi-tr-02102-2")
    strict = load_profile("bsi-tr-02102-2:strict")
    assert transitional.mode == "transitional" and strict.mode == "strict"
    sig = "sha256WithRSAEncryption"
    assert rate(transitional, "signatures", sig, year=2025).cls == "recommended"
    assert rate(transitional, "signatures", sig, year=2026).cls == "phase-out"
    assert rate(strict, "signatures", sig, year=2026).cls == "insufficient"
    # Open-ended ("2031+") entries never expire.
    assert rate(strict, "suites", "TLS_AES_128_GCM_SHA256", year=2040).cls == "recommended"
    # DHE suites are recommended only until 2029.
    assert rate(transitional, "suites", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", year=2029).cls == "recommended"
    assert rate(transitional, "suites", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", year=2030).cls == "phase-out"


def test_exact_names_patterns_and_default() -> None:
    bsi = load_profile("bsi-tr-02102-2")
    assert rate(bsi, "suites", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256").cls == "acceptable"  # pattern
    assert rate(bsi, "suites", "TLS_RSA_WITH_AES_128_CBC_SHA").cls == "insufficient"  # default
    assert rate(bsi, "suites", "TLS_RSA_WITH_AES_128_CBC_SHA").note == "not listed in the profile"
    assert rate(bsi, "protocols", "TLSv1.0").cls == "insufficient"
    assert rate(bsi, "groups", "brainpoolP256r1").cls == "recommended"
    ncsc = load_profile("ncsc-nl")
    assert rate(ncsc, "suites", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256").cls == "phase-out"
    assert rate(ncsc, "suites", "TLS_AES_256_GCM_SHA384").cls == "recommended"
    with pytest.raises(ValueError, match="unknown kind"):
        rate(bsi, "ciphers", "x")


def test_key_sizes() -> None:
    assert rate_key("bsi-tr-02102-2", "RSA", 4096, year=2026).cls == "recommended"
    assert rate_key("bsi-tr-02102-2", "RSA", 2048, year=2026).cls == "phase-out"
    assert rate_key("bsi-tr-02102-2:strict", "RSA", 2048, year=2026).cls == "insufficient"
    assert rate_key("bsi-tr-02102-2", "DH", 1024, year=2026).cls == "insufficient"
    assert rate_key("mozilla-intermediate", "RSA", 2048).cls == "recommended"
    assert rate_key("ncsc-nl", "RSA", 2048).cls == "phase-out"
    assert rate_key("ncsc-nl", "ECDH", 253).cls == "recommended"
    assert rate_key("bsi-tr-02102-2", "GOST", 256).cls == "insufficient"


def test_every_packaged_class_is_known() -> None:
    for name in available_profiles():
        profile = load_profile(name)
        assert profile.default_class in CLASSES
        for rows in profile.tables.values():
            assert all(entry.cls in CLASSES for _, entry in rows)


GOOD = """\
id: t
title: T
source: {document: D, version: "1", date: "2026-01-01"}
default_class: insufficient
protocols:
  TLSv1.3: {class: recommended}
"""


def test_validation_names_file_key_and_line() -> None:
    assert parse_profile(GOOD, "t.yaml").id == "t"
    bad = GOOD.replace("{class: recommended}", "{class: great}")
    with pytest.raises(ProfileError, match=r"t\.yaml:6: protocols\.TLSv1\.3: .*class must be one of"):
        parse_profile(bad, "t.yaml")
    with pytest.raises(ProfileError, match="source needs document, version and date"):
        parse_profile(GOOD.replace('version: "1", ', ""), "t.yaml")
    with pytest.raises(ProfileError, match="unknown keys"):
        parse_profile(GOOD.replace("{class: recommended}", "{class: recommended, colour: red}"), "t.yaml")
    with pytest.raises(ProfileError, match="unknown TLS profile"):
        load_profile("nope")
    with pytest.raises(ProfileError, match="unknown mode"):
        load_profile("bsi-tr-02102-2:lenient")
