"""User databases: which ones the host's configuration names (``databases``), and what each stores (``inventory``).

Connections are read-only and bounded; the values (:mod:`auditor.evidence.stored`) hold column
names, data categories and per-scheme hash counts, never a row, a hash or a password.
"""
