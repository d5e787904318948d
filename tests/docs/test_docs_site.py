"""The documentation: the site builds with `mkdocs build --strict` (a broken link, a bad anchor or a page missing
from the nav fails it), the README stays a short front page whose links work on GitHub, every docs/ page is in
the nav, and no page but the changelog tells history."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from local.docs_site import INCLUDED, rewrite_links, site_target, source_of

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
README_MAX_LINES = 250
CHANGELOG = "changelog.md"

# Phrasing that tells what Kirim was rather than what it is. History belongs in docs/changelog.md.
HISTORY = [
    r"\bwas \d",                                   # "was 1.51x", "was 101 ms"
    r"\(was\b",                                    # "(was 5)"
    r"\bbefore the shards\b",
    r"\bbefore this change\b",
    r"\bthe previous design\b",
    r"\bthe old design\b",
    r"\bwhat Kirim used\b",
    r"\bused to (?:be|have|take|cost|send|read|write|hold|use)\b",
    r"\bno longer\b",
    r"\bany ?more\b",
    r"\bformerly\b",
    r"\bin the past\b",
    r"\buntil a migration exists\b",
    r"\b(?:is|are) now\b",
    r"\bnow (?:uses|has|reads|writes|carries|takes|costs)\b",
    r"\bfrom [\d.,]+\s*(?:x|ms|s|MB|MiB|KB|CPU-s)? to [\d.,]+",   # "from 1.51x to 1.21x"
    r"\d[\d.,]*\s*(?:x|ms|s|MB|MiB|KB)?\s*(?:->|→)\s*\d",         # "316 -> 99 ms"
    r"\bdulunya\b",                                # Indonesian: "formerly"
]


def _nav_pages(nav) -> list[str]:
    pages = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += _nav_pages(value) if isinstance(value, list) else [value]
    return pages


def _config() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def _page_text(page: str) -> str:
    """What a nav page shows: its docs/ file, or the repository file it stands for (local/docs_site.py)."""
    return (ROOT / source_of(page)).read_text(encoding="utf-8")


def _outside_code(markdown: str) -> str:
    return re.sub(r"^[ \t]*(```|~~~).*?^[ \t]*\1", "", markdown, flags=re.S | re.M)


def test_the_site_builds_strictly(tmp_path):
    # Given the docs as they are, when MkDocs builds them with --strict (every warning an error),
    # then it succeeds and writes every page.
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    for page in _nav_pages(_config()["nav"]):
        html = "index.html" if page == "index.md" else f"{page.removesuffix('.md')}/index.html"
        assert (tmp_path / "site" / html).is_file(), html


def test_the_readme_is_a_short_front_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_every_nav_page_exists_and_every_docs_page_is_in_the_nav():
    pages = _nav_pages(_config()["nav"])
    assert len(pages) == len(set(pages)), "a page is listed twice"
    assert [p for p in pages if not (DOCS / p).is_file()] == []
    assert sorted(p.name for p in DOCS.glob("*.md")) == sorted(pages)


def test_the_site_is_built_offline():
    # The CI machine reaches PyPI, npm and Debian only: no Google Fonts, no plugin that fetches.
    config = _config()
    assert config["theme"]["font"] is False
    assert config["plugins"] == ["search"]


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md") if p.name != CHANGELOG))
def test_no_page_but_the_changelog_tells_history(page):
    text = _outside_code(_page_text(page))
    found = [(pattern, line.strip()) for line in text.splitlines() for pattern in HISTORY
             if re.search(pattern, line, re.IGNORECASE)]
    assert found == [], f"{source_of(page)} tells history (docs/changelog.md is its place): {found}"


def test_the_history_phrases_would_catch_what_the_changelog_says():
    # The list is not empty words: the changelog's own history trips it.
    text = (DOCS / CHANGELOG).read_text(encoding="utf-8")
    assert sum(bool(re.search(p, text, re.IGNORECASE)) for p in HISTORY) >= 3


def _github_slug(heading: str) -> str:
    text = re.sub(r"[`*_\[\]()]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_github_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.*)$", _outside_code(path.read_text()), re.M)}


def test_the_readmes_relative_links_resolve():
    # On GitHub the README is read first: every relative link (and image) must reach a file, and a
    # link into a Markdown page must name one of its headings.
    text = _outside_code(README.read_text(encoding="utf-8"))
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    relative = [link for link in links if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", link)]
    assert relative, "the README links to no page"
    for link in relative:
        path, _, anchor = link.partition("#")
        target = ROOT / path
        assert target.exists(), f"README.md links to {path}, which does not exist"
        if anchor and target.suffix == ".md":
            assert anchor in _anchors(target), f"README.md links to {link}: no such heading"


def test_links_between_the_repository_and_the_site_point_at_the_same_page():
    assert INCLUDED == {"index.md": "README.md", "infrastructure.md": "infra/README.md"}
    assert site_target("README.md", "docs/channel-api.md#errors") == "channel-api.md#errors"
    assert site_target("README.md", "infra/README.md") == "infrastructure.md"
    assert site_target("README.md", "docs/screenshots/overview-1280.png") == "screenshots/overview-1280.png"
    assert site_target("docs/operating.md", "../infra/README.md#iam") == "infrastructure.md#iam"
    assert site_target("docs/getting-started.md", "../README.md#a-five-minute-tour") == "index.md#a-five-minute-tour"
    assert site_target("infra/README.md", "../docs/operating.md") == "operating.md"
    assert site_target("docs/console.md", "https://example.com/x.md") is None
    in_code = "```\n[b](docs/y.md)\n```\n"
    assert rewrite_links("README.md", "[a](docs/x.md)\n" + in_code) == "[a](x.md)\n" + in_code
