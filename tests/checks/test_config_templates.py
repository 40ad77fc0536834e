"""config.templates and the other host checks on templated settings: one finding per file, no grade."""

from __future__ import annotations

import auditor.checks.config_templates as templates_checks
import auditor.checks.config_transport as transport_checks
import auditor.checks.hashing as hashing_checks

from auditor.evidence.host import DovecotTransport, PostfixService, TemplateFile
from auditor.evidence.settings import Setting
from auditor.metadata import packaged_metadata
from auditor.models import Status
from auditor.registry import checks_in_module
from auditor.runner import evaluate
from tests.checks import host_factory as hf

MODULES = (templates_checks, transport_checks, hashing_checks)
CHECKS = [c for m in MODULES for c in checks_in_module(m, packaged_metadata())]
MAIN = "/etc/postfix/main.cf"
TPL = TemplateFile(MAIN, ("jinja-go",), 3, 7, ((10, 14),))


def test_each_template_file_is_one_skipped_finding_and_its_values_are_not_graded() -> None:
    level = Setting("smtpd_tls_security_level", "{{ level }}", MAIN, 7, unrendered=True)
    svc = PostfixService("submission", "submission", 587, "/etc/postfix/master.cf", 17, (level,))
    scheme = Setting("default_pass_scheme", "{{ scheme }}", "/etc/dovecot/dovecot-sql.conf.ext", 3, unrendered=True)
    dovecot = DovecotTransport((Setting("ssl", "no", "/etc/dovecot/dovecot.conf", 12, unrendered=True),))
    host = hf.host(templates=(TPL,), postfix=(svc,), dovecot=dovecot, pass_schemes=(scheme,))
    findings = evaluate(CHECKS, hf.evidence(host, hf.claims()))
    [tpl] = [f for f in findings if f.check_id == "config.templates"]
    assert (tpl.status, tpl.subject) == (Status.SKIPPED, MAIN) and "jinja-go" in tpl.detail
    assert not [f for f in findings if f.status in (Status.FAIL, Status.PASS)]
    transport = [f for f in findings if f.check_id == "config.transport"]
    assert {f.status for f in transport} == {Status.SKIPPED} and len(transport) == 2
    assert all("unrendered template" in f.detail for f in transport)


def test_no_template_no_file_finding() -> None:
    findings = evaluate(CHECKS, hf.evidence(hf.host(), hf.claims()))
    [only] = [f for f in findings if f.check_id == "config.templates"]
    assert only.status == Status.SKIPPED and not only.subject.startswith("/")  # the runner's "nothing to examine"
