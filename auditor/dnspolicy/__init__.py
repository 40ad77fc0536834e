"""Parsers and evaluators for the mail domain's DNS policies: MTA-STS, TLS-RPT, DMARC, SPF.

Pure functions of record text (and, for SPF, of recorded DNS answers): the collector
gathers the answers once, the checks grade them, a saved bundle re-grades offline.
"""

from auditor.dnspolicy.dmarc import DmarcRecord, parse_dmarc
from auditor.dnspolicy.mta_sts import StsPolicy, StsRecord, mx_matches, parse_sts_policy, parse_sts_record
from auditor.dnspolicy.tlsrpt import TlsRptRecord, parse_tlsrpt

__all__ = [
    "DmarcRecord",
    "StsPolicy",
    "StsRecord",
    "TlsRptRecord",
    "mx_matches",
    "parse_dmarc",
    "parse_sts_policy",
    "parse_sts_record",
    "parse_tlsrpt",
]
