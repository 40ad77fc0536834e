"""Economical TLS collector on sslyze's connection layer (``collector.collect_tls``; the method is in ``scan``).

What it finds is :mod:`auditor.evidence.tls`.
"""
