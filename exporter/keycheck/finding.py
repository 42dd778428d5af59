"""The exception that ends one question's check with a finding.

Raised deep inside building a value (a bad given, an undefined key) and caught per choice
or per question, so one bad choice does not hide the verdicts on the others.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic


class _Finding(Exception):
    """A diagnostic that ends the check of one question."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
