"""Host configuration readers: what a mail server's own config files say, with file:line.

Entry points: :func:`read_host` (all readers), :class:`HostRoot` (safe root-relative file
access), and the per-software readers in :mod:`auditor.host.readers`.
"""

from auditor.host.host import HostConfig, read_host
from auditor.host.model import Setting, SourceRef
from auditor.host.root import HostRoot

__all__ = ["HostConfig", "HostRoot", "Setting", "SourceRef", "read_host"]
