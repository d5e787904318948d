"""What a recipient file may be, and the one error for a file refused whole."""
from __future__ import annotations

MAX_BYTES = 100 * 1024 * 1024
MAX_ROWS = 1_000_000          # data rows, the header not counted
MAX_ROW_CHARS = 64 * 1024     # one row, all its cells (and all its lines, in a CSV)
MAX_COLUMNS = 1000
PREVIEW_ROWS = 5

# The reasons a whole file is refused (validation.error.code in the API).
PROBLEMS = ("empty_file", "encoding", "binary", "too_many_rows", "too_large", "missing_column", "no_header")


class FileProblem(Exception):
    """The whole file is refused: `code` one of PROBLEMS, `message` plain English for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message
