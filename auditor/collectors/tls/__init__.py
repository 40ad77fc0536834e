"""Economical TLS collector on sslyze's connection layer (see ``scan`` for the method).

Only the evidence types are imported eagerly: ``auditor.evidence`` imports them, and the
collector itself imports ``auditor.evidence``; ``collect_tls`` is loaded on first use.
"""

from __future__ import annotations

from typing import Any

from auditor.collectors.tls.model import (
    VERSIONS,
    AcceptedSuite,
    CertificateObservation,
    CertInfo,
    KeyShare,
    Negotiated,
    TlsScan,
    VulnResult,
)

__all__ = [
    "VERSIONS",
    "AcceptedSuite",
    "CertInfo",
    "CertificateObservation",
    "KeyShare",
    "Negotiated",
    "TlsScan",
    "VulnResult",
    "collect_tls",
    "system_trust_store",
    "targets_of",
]

_LAZY = ("collect_tls", "system_trust_store", "targets_of")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from auditor.collectors.tls import collector

        return getattr(collector, name)
    raise AttributeError(name)
