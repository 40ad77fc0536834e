"""Built-in check families, one module each (registered as auditor.checks entry points)."""
