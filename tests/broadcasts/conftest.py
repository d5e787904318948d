from tests.broadcasts.helpers import file_side  # noqa: F401 - every broadcast test reads files the same way
