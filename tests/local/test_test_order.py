"""How `make test` schedules the suite: long files first (tests/conftest.py's LONGEST_FIRST, kept in that
order by --no-loadscope-reorder), the cases marked slow left to `make test-long`."""
from __future__ import annotations

import re

from tests.conftest import LONGEST_FIRST, ROOT


def _recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text()
    found = re.search(rf"^{re.escape(target)}:.*\n\t(.+)$", makefile, re.M)
    assert found, f"no {target} target"
    return found.group(1)


def test_every_file_named_longest_first_exists_once():
    # A renamed or deleted file would silently fall back to the end of the queue.
    assert [p for p in LONGEST_FIRST if not (ROOT / p).is_file()] == []
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)


def test_make_test_keeps_the_order_and_leaves_the_slow_cases_to_make_test_long():
    test, long = _recipe("test"), _recipe("test-long")
    for recipe in (test, long):
        assert "--dist loadfile" in recipe and "--no-loadscope-reorder" in recipe, recipe
        # A dead worker ends the run, named: replaced, pytest-xdist 3.8 can wait forever under loadfile.
        assert "--max-worker-restart=0" in recipe, recipe
    assert '-m "not slow"' in test and "-m slow" in long


def test_every_slow_case_says_why_in_its_test_s_docstring():
    # A slow case must name the kept case that proves the same (docstring of its test function).
    for path in (ROOT / "tests").rglob("test_*.py"):
        text = path.read_text()
        for found in re.finditer(r"marks=pytest\.mark\.slow", text):
            function = text[found.end():].split("\ndef ", 1)[1]
            body = function.split('"""')
            assert len(body) > 2 and "make test" in body[1], f"{path.name}: a slow case without its reason"
