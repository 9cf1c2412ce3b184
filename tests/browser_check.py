"""Load every page of the built book in headless Chromium, offline, and check what a reader sees.

For each HTML page of the build (the search, index and report pages aside) Chromium renders
the page from disk with every network request refused, runs its scripts (MathJax among
them) and dumps the resulting DOM. A page fails when

- a maths element (Sphinx's ``math`` spans and blocks) was not typeset by MathJax, i.e. it
  holds no ``mjx-container`` - MathJax must come from the build, not from a CDN;
- an image's source is missing or empty (a file under the build, or a ``data:`` URI);
- its visible text says "Traceback", or the output of a notebook cell says "...Warning" (an
  error, or a warning left in an output; the API and troubleshooting pages name warning
  classes on purpose).

Usage (``make test`` runs it after ``make book``)::

    python tests/browser_check.py _build/html

Exits 0 when every page passes, 1 when one fails, and 0 with a message saying the check was
skipped when no Chromium is installed (``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import argparse
import base64
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
SKIPPED_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
# Refuse every request that leaves the disk: a page must render from the build alone.
OFFLINE = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           "--host-resolver-rules=MAP * ~NOTFOUND"]
TRACEBACK = re.compile(r"\b(Traceback)\b")
WARNING = re.compile(r"\b(\w*Warning)\b")  # UserWarning, TqdmWarning, ... too


class _Page(HTMLParser):
    """Collects maths elements (typeset or not), image sources and visible text of a DOM dump."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.math: list[bool] = []      # per maths element: typeset by MathJax?
        self.images: list[str] = []
        self.text: list[str] = []
        self.output_text: list[str] = []  # inside notebook cell outputs
        self._stack: list[tuple[str, int | None, bool]] = []  # (tag, math index or None, output?)
        self._hidden = 0                # depth inside script/style/noscript/template
        self._output = 0                # depth inside cell_output containers

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "img":
            self.images.append(attrs.get("src") or "")
            return
        if tag in ("br", "hr", "meta", "link", "input", "source", "wbr"):
            return
        index = None
        if "math" in classes and tag in ("span", "div"):
            self.math.append(False)
            index = len(self.math) - 1
        if tag == "mjx-container":
            for _, open_index, _ in reversed(self._stack):
                if open_index is not None:
                    self.math[open_index] = True
                    break
        if tag in ("script", "style", "noscript", "template"):
            self._hidden += 1
        output = "cell_output" in classes
        self._output += output
        self._stack.append((tag, index, output))

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, _, output = self._stack.pop()
            if open_tag in ("script", "style", "noscript", "template"):
                self._hidden -= 1
            self._output -= output
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)
            if self._output:
                self.output_text.append(data)


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def pages(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.html")
                  if p.name not in SKIPPED_PAGES
                  and not {"_static", "_sources", "reports", "_modules"} & set(p.relative_to(root).parts))


def render(browser: str, page: Path, budget_ms: int = 20000) -> str:
    """The DOM of ``page`` after its scripts ran (``budget_ms`` of virtual time), offline."""
    command = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-dev-shm-usage", "--allow-file-access-from-files", *OFFLINE,
               f"--virtual-time-budget={budget_ms}", "--dump-dom", page.resolve().as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or "<html" not in result.stdout:
        raise RuntimeError(f"{browser} failed on {page} (exit {result.returncode}): {result.stderr[-500:]}")
    return result.stdout


def image_problem(src: str, page: Path) -> str | None:
    """Why the image ``src`` of ``page`` would not show, or None."""
    if src.startswith("data:"):
        header, _, payload = src.partition(",")
        try:
            data = base64.b64decode(payload) if header.endswith(";base64") else payload.encode()
        except ValueError:
            return f"undecodable data URI {src[:40]}..."
        return None if data else "empty data URI"
    parts = urlsplit(src)
    if parts.scheme in ("http", "https"):
        return f"remote image {src} (the book must render offline)"
    if parts.scheme not in ("", "file"):
        return f"image with scheme {parts.scheme!r}: {src}"
    target = (page.parent / unquote(parts.path)).resolve() if parts.scheme == "" else Path(unquote(parts.path))
    if not target.is_file() or target.stat().st_size == 0:
        return f"missing image {src}"
    return None


def check_page(dom: str, page: Path) -> list[str]:
    """The problems a reader would see on ``page``, given its rendered DOM."""
    parsed = _Page()
    parsed.feed(dom)
    problems = []
    untypeset = parsed.math.count(False)
    if untypeset:
        problems.append(f"{untypeset} of {len(parsed.math)} maths elements not typeset by MathJax")
    problems += [p for src in parsed.images if (p := image_problem(src, page))]
    for pattern, text, where in ((TRACEBACK, " ".join(parsed.text), "the page text"),
                                 (WARNING, " ".join(parsed.output_text), "a cell output")):
        for match in pattern.finditer(text):
            context = text[max(0, match.start() - 60): match.end() + 60].replace("\n", " ")
            problems.append(f"{match.group(1)!r} in {where}: ...{context}...")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the build's HTML folder, e.g. _build/html")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("browser check skipped: no Chromium installed (Debian: apt-get install chromium)")
        return 0
    found = pages(args.html)
    if not found:
        print(f"no built pages under {args.html}: run `make book` first")
        return 1
    failed = 0
    for page in found:
        problems = check_page(render(browser, page), page)
        name = page.relative_to(args.html)
        if problems:
            failed += 1
            print(f"FAIL {name}:")
            for problem in problems[:10]:
                print(f"    {problem}")
        else:
            print(f"ok   {name}")
    print(f"{len(found) - failed} of {len(found)} pages pass in {Path(browser).name}, offline")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
