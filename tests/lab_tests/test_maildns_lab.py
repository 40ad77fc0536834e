"""Issue 17's record cases end to end: ``auditor scan --resolver`` against lab zones.

Each domain of ``tests/lab/zones/*/..-maildns.zone`` carries one SPF, DMARC, MTA-STS or
TLS-RPT record defect (or a correct record a naive reader gets wrong); the scan must grade
it as the RFC says, naming the section and what receivers or senders do with the record.
The lab is required: missing servers fail, they never skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import by_check, lab_scan

pytestmark = pytest.mark.lab

CASES = [
    # domain, check, status, words in the detail
    ("spf10.lab.test", "spf.record", "fail", "begin with exactly 'v=spf1'"),
    ("spfnotspf.lab.test", "spf.record", "pass", "fails unlisted senders"),  # v=spf10 beside it is not SPF
    ("spfsyntax.lab.test", "spf.record", "fail", "permerror (RFC 7208 §4.6)"),
    ("spfredirect.lab.test", "spf.record", "pass", "fails unlisted senders"),  # -all reached through redirect=
    ("spflookups.lab.test", "spf.record", "fail", "permerror (RFC 7208 §4.6.4)"),
    ("spfvoid.lab.test", "spf.record", "fail", "Void lookup limit"),
    ("spfbroad.lab.test", "spf.record", "fail", "like +all"),
    ("spfptr.lab.test", "spf.record", "warn", "SHOULD NOT be used (RFC 7208 §5.5)"),
    ("dmarcspace.lab.test", "dmarc.policy", "pass", "p=reject"),
    ("dmarclead.lab.test", "dmarc.policy", "fail", "apply no DMARC policy"),
    ("dmarcver.lab.test", "dmarc.policy", "fail", "exactly v=DMARC1"),
    ("dmarcdup.lab.test", "dmarc.policy", "fail", "p= is given 2 times"),
    ("dmarcsp.lab.test", "dmarc.policy", "fail", "as if the record said p=none"),
    ("dmarcpct.lab.test", "dmarc.policy", "warn", "pct='150'"),
    ("dmarclower.lab.test", "dmarc.policy", "fail", "exactly v=DMARC1"),  # DMARC1 is case-sensitive
    ("dmarcspnone.lab.test", "dmarc.policy", "warn", "sp=none: mail from subdomains is only monitored"),
    ("shop.plain.test", "dmarc.policy", "pass", "inherited from the organizational domain plain.test"),
    ("dmarcext.lab.test", "dmarc.reporting", "fail", "RFC 7489 §7.1"),
    ("dmarcauth.lab.test", "dmarc.reporting", "pass", "mailto:dmarc@reports.plain.test"),
    ("stsver.lab.test", "mta-sts.record", "fail", "no MTA-STS policy (RFC 8461 §3.1)"),
    ("stslead.lab.test", "mta-sts.record", "fail", "no TXT record begins with v=STSv1"),
    ("rptbaduri.lab.test", "tls-rpt.record", "fail", "not_a_valid_uri"),
    ("rpttwo.lab.test", "tls-rpt.record", "fail", "2 records begin with v=TLSRPTv1"),
    ("rptver.lab.test", "tls-rpt.record", "fail", "does not implement TLS-RPT"),
]


@pytest.mark.parametrize(("domain", "check_id", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_record_graded_as_the_rfc_says(
    lab, tmp_path: Path, domain: str, check_id: str, status: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    _, report = lab_scan(lab, domain, tmp_path)
    [finding] = by_check(report)[check_id]
    assert finding["status"] == status and words in finding["detail"], finding


def test_invalid_mta_sts_record_means_no_policy_is_fetched(lab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, report = lab_scan(lab, "stsver.lab.test", tmp_path)
    [policy] = by_check(report)["mta-sts.policy"]
    assert policy["status"] == "skipped" and "no policy" in policy["detail"]
