"""Process exit codes: one table, documented in the README, used only by ``cli.main``."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # audit complete; nothing failed at or above --fail-on
    FINDINGS = 1  # at least one failed finding at or above --fail-on
    USAGE = 2  # bad command line, or an input file (claims, mapping, bundle, config) is unreadable/malformed
    NOT_RUN = 3  # the audit could not run: the target domain does not resolve, or no input could be collected
    INCOMPLETE = 4  # audit complete, nothing failed at --fail-on, but some checks could not verify (error findings)
    INTERNAL = 5  # a bug in auditor itself (the message says where); nothing was judged
    INTERRUPTED = 130  # stopped by Ctrl-C / SIGINT; reports already written stay intact
