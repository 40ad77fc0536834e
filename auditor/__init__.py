"""auditor: privacy-compliance audit scanner for mail services."""

__version__ = "0.1.0"
