"""MkDocs hooks for the documentation site (mkdocs.yml `hooks:`).

Two pages of the site live outside docs/, where GitHub readers expect them: the README is the site's home
page (docs/index.md) and infra/README.md is its Infrastructure page (docs/infrastructure.md). Those two
docs/ files only point at the real ones; here the real text takes their place when the site is built.

Every page may link to those two files the way GitHub resolves links (`../README.md`, `../infra/README.md`),
and the two files link into docs/ the same way (`docs/channel-api.md`, `../docs/operating.md`): each such
link is rewritten to the page it means on the site, so one Markdown source works on GitHub and in the
site, and `mkdocs build --strict` still checks every link.
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# docs/ page -> the repository file it shows
INCLUDED = {"index.md": "README.md", "infrastructure.md": "infra/README.md"}
SHOWN_AS = {source: page for page, source in INCLUDED.items()}
LINK = re.compile(r"(\]\()([^)\s]+)")
FENCE = re.compile(r"^([ \t]*(?:```|~~~))", re.MULTILINE)


def source_of(page: str) -> str:
    """The repository path whose text the docs/ page `page` shows."""
    return INCLUDED.get(page, f"docs/{page}")


def site_target(source: str, target: str) -> str | None:
    """Where a link written in the repository file `source` points on the site, relative to that file's
    page; None for links this hook leaves alone (URLs, anchors, absolute paths)."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return None
    path, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    if resolved in SHOWN_AS:
        page = SHOWN_AS[resolved]
    elif resolved.startswith("docs/"):
        page = resolved[len("docs/"):]
    else:
        return None  # outside the site: mkdocs reports it
    here = posixpath.dirname(SHOWN_AS.get(source, source[len("docs/"):]))
    relative = posixpath.relpath(page, here or ".")
    return relative + ("#" + anchor if anchor else "")


def rewrite_links(source: str, markdown: str) -> str:
    """`markdown` (the text of `source`) with its links pointing at site pages; code blocks are left alone."""
    parts = FENCE.split(markdown)
    out, in_code = [], False
    for part in parts:
        if part.strip() in ("```", "~~~") and FENCE.fullmatch(part):
            in_code = not in_code
            out.append(part)
            continue
        out.append(part if in_code else LINK.sub(
            lambda m: m.group(1) + (site_target(source, m.group(2)) or m.group(2)), part))
    return "".join(out)


def on_page_markdown(markdown, page, config, files):  # noqa: ARG001 - MkDocs' hook signature
    source = source_of(page.file.src_uri)
    if page.file.src_uri in INCLUDED:
        markdown = (ROOT / source).read_text(encoding="utf-8")
    return rewrite_links(source, markdown)
