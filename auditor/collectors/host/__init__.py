"""The host collector: everything read from one host root (``/``, an unpacked snapshot).

``collect`` runs it all once per run and returns :class:`auditor.evidence.host.HostEvidence`.
Its rooms: ``root`` (safe root-relative file access) and ``secrets`` (redaction);
``config`` and ``readers/`` (what the software's configuration files say, with file:line);
``logs/`` (which files each log family goes to, and the oldest entry still on disk);
``db/`` (the user databases the configuration names, and what they store).
"""
