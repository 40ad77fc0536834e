"""JUnit XML: a test suite per check, a test case per finding (CI dashboards read it).

Strings from servers may hold characters XML 1.0 cannot carry at all (NUL, most C0
controls); ElementTree escapes markup but not those, so they are replaced first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from auditor.models import Finding, Report, Status
from auditor.printable import printable

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """Control characters removed (CI logs print these strings), then what XML cannot carry."""
    return _NOT_XML.sub("\ufffd", printable(text))


def render_junit(report: Report) -> str:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        groups[finding.check_id].append(finding)
    root = ET.Element("testsuites", name=_clean(f"auditor {report.target}"), tests=str(len(report.findings)))
    totals = {"failures": 0, "errors": 0, "skipped": 0}
    for check_id, findings in sorted(groups.items()):
        counts = {
            "failures": sum(f.status == Status.FAIL for f in findings),
            "errors": sum(f.status == Status.ERROR for f in findings),
            "skipped": sum(f.status in (Status.SKIPPED, Status.WAIVED) for f in findings),
        }
        for key in totals:
            totals[key] += counts[key]
        attributes = {"name": _clean(check_id), "tests": str(len(findings))}
        attributes |= {k: str(v) for k, v in counts.items()}
        attributes["timestamp"] = report.started
        suite = ET.SubElement(root, "testsuite", attributes)
        for finding in findings:
            case = ET.SubElement(suite, "testcase", classname=_clean(check_id), name=_clean(finding.subject))
            message = _clean(finding.detail)
            body = _clean(
                "\n".join(
                    f"{o.label}: {o.value}" + (f" ({o.location})" if o.location else "") for o in finding.observations
                )
            )
            if finding.status == Status.FAIL:
                node = ET.SubElement(case, "failure", message=message, type=finding.severity.value)
                node.text = _clean(
                    f"{body}\n\nRemediation: {finding.remediation}\nClauses: {', '.join(finding.clauses)}"
                )
            elif finding.status == Status.ERROR:
                ET.SubElement(case, "error", message=message, type="not-verifiable").text = body
            elif finding.status in (Status.SKIPPED, Status.WAIVED):
                ET.SubElement(case, "skipped", message=_clean(finding.waiver or message))
            elif finding.status == Status.WARN:
                ET.SubElement(case, "system-out").text = _clean(f"WARNING ({finding.severity.value}): {message}")
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
