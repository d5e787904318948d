"""Reading an uploaded recipient file (CSV or XLSX) as rows, streaming. (Being built: the signatures
below are the contract the run's routes and worker call.)"""
from __future__ import annotations

from typing import Any, NamedTuple

# The reasons a whole file is refused (validation.error.code in the API).
PROBLEMS = ("empty_file", "encoding", "binary", "too_many_rows", "too_large", "missing_column", "no_header")


class FileProblem(Exception):
    """The whole file is refused: `code` one of PROBLEMS, `message` plain English for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class FileShape(NamedTuple):
    format: str                 # "csv" | "xlsx"
    encoding: str | None        # "utf-8" | "utf-8-sig" | "cp1252"; None for xlsx
    delimiter: str | None       # ";" | "," | "\t"; None for xlsx
    columns: list[str]
    preview: list[list[str]]    # the first rows (at most 5), as text


def head(s3: Any, bucket: str, key: str, filename: str) -> FileShape:
    """The shape of the uploaded object at `key` from its first rows; raises FileProblem."""
    raise NotImplementedError
