#!/usr/bin/python3
"""Checks the relative links of Markdown pages, and the #anchors they name.

Usage: check_links.py PAGE.md...

A link is [text](target) outside fenced code; targets with a scheme
(https:, mailto:) are not checked. A target must name a file or directory
that exists, relative to the page; an #anchor must be the anchor GitHub
derives from a heading of the target page: the heading's text lower-cased,
every character other than a letter, digit, mark, '-', '_' or space dropped,
spaces made '-', and a repeated anchor suffixed -1, -2, ... Prints one line
per broken link, `page:line: ...`, then a count; exits 1 if any is broken.
"""

import os
import re
import sys
import unicodedata

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def slug(heading):
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    kept = (c for c in text
            if c in "-_ " or unicodedata.category(c)[0] in "LNM")
    return "".join(kept).replace(" ", "-")


def outside_code(path):
    """Yields (line number, line) for the lines outside fenced code."""
    fenced = False
    with open(path, encoding="utf-8") as page:
        for number, line in enumerate(page, 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced:
                yield number, line


_anchors = {}


def anchors(path):
    if path not in _anchors:
        found, seen = set(), {}
        for _, line in outside_code(path):
            match = HEADING.match(line)
            if match:
                base = slug(match.group(2))
                count = seen.get(base, 0)
                seen[base] = count + 1
                found.add(base if count == 0 else f"{base}-{count}")
        _anchors[path] = found
    return _anchors[path]


def broken_links(page):
    for number, line in outside_code(page):
        for match in LINK.finditer(line):
            target = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue
            path, _, anchor = target.partition("#")
            full = (os.path.normpath(os.path.join(os.path.dirname(page), path))
                    if path else page)
            if not os.path.exists(full):
                yield f"{page}:{number}: {target}: no such file"
            elif anchor and not full.endswith(".md"):
                yield f"{page}:{number}: {target}: an anchor on a non-Markdown file"
            elif anchor and anchor not in anchors(full):
                yield f"{page}:{number}: {target}: no heading gives #{anchor}"


def main(pages):
    broken = [problem for page in pages for problem in broken_links(page)]
    for problem in broken:
        print(problem)
    print(f"{len(pages)} pages checked, {len(broken)} broken links")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
