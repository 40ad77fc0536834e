"""Privacy statement → claims: read what the operator promised (German and English).

``load_statement`` reads a file or https URL, ``extract_claims`` turns the text into a
:class:`auditor.evidence.claims.ClaimSet`, ``write_claims_yaml``/``read_claims_yaml`` keep a reviewed claims file.
"""

from auditor.claims.claimsfile import ClaimsFileError, read_claims_yaml, write_claims_yaml
from auditor.claims.extract import extract_claims
from auditor.claims.reader import StatementError, StatementText, load_statement, statement_from_bytes

__all__ = [
    "ClaimsFileError",
    "StatementError",
    "StatementText",
    "extract_claims",
    "load_statement",
    "read_claims_yaml",
    "statement_from_bytes",
    "write_claims_yaml",
]
