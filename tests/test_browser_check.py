"""The browser check's page inspection, on DOM snippets (the browser itself runs in `make test`)."""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("browser_check", Path(__file__).with_name("browser_check.py"))
browser_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browser_check)

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake bytes").decode()


def dom(body: str) -> str:
    return f"<html><head><script>var Warning = 1;</script></head><body>{body}</body></html>"


def test_a_clean_page_passes(tmp_path):
    (tmp_path / "fig.png").write_bytes(b"\x89PNG")
    page = tmp_path / "page.html"
    body = ('<p>Text <span class="math notranslate"><mjx-container><mjx-math>x</mjx-math>'
            f'</mjx-container></span></p><img src="fig.png"><img src="{PNG}">')
    assert browser_check.check_page(dom(body), page) == []  # "Warning" inside a script is not text


def test_untypeset_maths_missing_images_and_tracebacks_are_reported(tmp_path):
    page = tmp_path / "page.html"
    body = ('<div class="math notranslate nohighlight">\\[ x^2 \\]</div>'
            '<span class="math"><mjx-container>y</mjx-container></span>'
            '<img src="missing.png"><img src="data:image/png;base64,">'
            '<img src="https://cdn.example.org/a.png">'
            '<pre>Traceback (most recent call last):</pre>'
            '<div class="cell_output docutils container"><pre>UserWarning: careful</pre></div>')
    problems = browser_check.check_page(dom(body), page)
    assert any("1 of 2 maths elements" in p for p in problems)
    assert any("missing image missing.png" in p for p in problems)
    assert any("empty data URI" in p for p in problems)
    assert any("remote image" in p for p in problems)
    assert any("'Traceback'" in p for p in problems)
    assert any("'UserWarning'" in p for p in problems)


def test_a_warning_in_an_output_is_reported_and_one_in_prose_is_not(tmp_path):
    output = '<div class="cell_output"><div><pre>TqdmWarning: IProgress not found</pre></div></div>'
    problems = browser_check.check_page(dom(output), tmp_path / "p.html")
    assert len(problems) == 1 and "TqdmWarning" in problems[0]
    prose = "<p>ridge_solve warns with <code>RidgeSolveWarning</code> when it retries.</p>"
    assert browser_check.check_page(dom(prose), tmp_path / "p.html") == []


def test_pages_skip_the_generated_indexes(tmp_path):
    for name in ("index.html", "genindex.html", "search.html", "notebooks/a.html", "_static/x.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<html></html>")
    assert [p.relative_to(tmp_path).as_posix() for p in browser_check.pages(tmp_path)] == [
        "index.html", "notebooks/a.html"]
