"""Tests of the book: one ``-W -n`` build from the committed notebooks, and what its pages hold."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

yaml = pytest.importorskip("yaml")
toc_parsing = pytest.importorskip("sphinx_external_toc.parsing")

REPO = Path(__file__).resolve().parents[1]
REPOSITORY = "gft-book/gft"


def public_namespaces() -> list[str]:
    """``gft``, its public subpackages and ``gft.plotting``: the namespaces whose ``__all__`` the API page covers."""
    import gft

    subpackages = [f"gft.{info.name}" for info in pkgutil.iter_modules(gft.__path__)
                   if info.ispkg and not info.name.startswith("_")]
    return ["gft", *subpackages, "gft.plotting"]


def toc_documents() -> list[str]:
    return list(toc_parsing.parse_toc_yaml(REPO / "_toc.yml").keys())


NOTEBOOK_PAGES = [doc for doc in toc_documents() if (REPO / f"{doc}.ipynb").exists()]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """The built book: ``$GFT_BOOK_HTML`` when set (``make test`` points it at the build that
    executed the chapters), else one build from the committed notebooks, without executing them."""
    if os.environ.get("GFT_BOOK_HTML"):
        html = Path(os.environ["GFT_BOOK_HTML"])
        if not (html / "index.html").exists():
            pytest.fail(f"GFT_BOOK_HTML={html} holds no built book: run `make book` first")
        # a build older than a chapter it shows would test the old pages
        stale = [doc for doc in NOTEBOOK_PAGES if (html / f"{doc}.html").exists()
                 and (html / f"{doc}.html").stat().st_mtime < (REPO / f"{doc}.ipynb").stat().st_mtime]
        if stale:
            pytest.fail(f"GFT_BOOK_HTML={html} is older than {stale}: run `make book` again")
        done = subprocess.CompletedProcess(args=["make book"], returncode=0, stdout="", stderr="")
        return done, html
    out = tmp_path_factory.mktemp("book")
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    # paths of local extensions are relative to the config file: anchor them in the repository
    extensions = config.get("sphinx", {}).get("local_extensions") or {}
    config["sphinx"]["local_extensions"] = {name: str(REPO / path) for name, path in extensions.items()}
    config_path = out / "_config.yml"
    config_path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(REPO), "--config",
               str(config_path), "--path-output", str(out), "-W", "-n", "--keep-going"]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    return result, out / "_build" / "html"


def page(html: Path, doc: str) -> str:
    return (html / f"{doc}.html").read_text(encoding="utf-8")


def test_book_builds_without_warnings(build):
    result, html = build
    log = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"jupyter-book build -W -n failed:\n{log}"
    assert (html / "index.html").exists()


def test_every_toc_page_is_built(build):
    _, html = build
    missing = [doc for doc in toc_documents() if not (html / f"{doc}.html").exists()]
    assert not missing, f"pages of _toc.yml without HTML: {missing}"


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_notebook_page_has_no_error_output(build, doc):
    text = page(build[1], doc)
    assert "output_error" not in text and "Traceback" not in text


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_notebook_figures_are_rendered(build, doc):
    notebook = nbformat.read(REPO / f"{doc}.ipynb", as_version=4)
    n_figures = sum("image/png" in out.get("data", {}) for cell in notebook.cells
                    if cell.cell_type == "code" for out in cell.outputs)
    if n_figures == 0:
        pytest.skip(f"{doc}.ipynb has no figure outputs")
    assert page(build[1], doc).count("<img") >= n_figures


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_colab_button_opens_this_notebook(build, doc):
    link = f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/{doc}.ipynb"
    assert link in page(build[1], doc)


def test_repository_is_named_in_config_and_pyproject_alike():
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    url = f"https://github.com/{REPOSITORY}"
    assert config["repository"]["url"] == url == pyproject["project"]["urls"]["Repository"]


def test_citations_resolve_to_the_bibliography(build):
    _, html = build
    assert "Generative Feature Training of Thin 2-Layer Networks" in page(html, "book/bibliography")
    assert "bibliography.html#id" in page(html, "book/intro")  # {cite:p} became a link


def test_api_page_documents_every_public_name(build):
    from sphinx.util.inventory import InventoryFile

    _, html = build
    with open(html / "objects.inv", "rb") as stream:
        inventory = InventoryFile.load(stream, "", os.path.join)
    documented = {name.rpartition(".")[2] for kind, entries in inventory.items()
                  if kind.startswith("py:") for name in entries if name.startswith("gft")}
    missing = []
    for package in public_namespaces():
        module = importlib.import_module(package)
        missing += [f"{package}.{name}" for name in module.__all__ if name not in documented]
    assert not missing, f"public names missing from book/api.md: {missing}"


def test_no_source_file_compiles_with_a_warning():
    """An invalid escape in a docstring (``"\\l"`` for a LaTeX ``\\lambda``) compiles with a
    ``SyntaxWarning`` today and is an error in a later Python: every tracked ``.py`` file
    must compile with warnings raised as errors (docstrings with LaTeX are raw strings)."""
    import warnings

    root = Path(__file__).resolve().parents[1]
    files = [root / f for f in subprocess.run(["git", "ls-files", "*.py"], cwd=root, capture_output=True,
                                               text=True, check=True).stdout.split()]
    if not files:
        pytest.skip("not a git checkout")
    bad = []
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                compile(path.read_text(), str(path), "exec")
            except (SyntaxError, SyntaxWarning, DeprecationWarning) as error:
                bad.append(f"{path.relative_to(root)}: {error}")
    assert not bad, bad


def test_troubleshooting_page_opens_with_its_scripts_header():
    """The page is written by ``benchmarks/troubleshooting_table.py``: prose edited on the page
    alone would be undone by the next run of the script (read from its source, not run: the
    script calls gft for every row)."""
    import ast

    script = ast.parse((REPO / "benchmarks" / "troubleshooting_table.py").read_text())
    header = next(ast.literal_eval(node.value) for node in script.body if isinstance(node, ast.Assign)
                  and any(getattr(target, "id", None) == "HEADER" for target in node.targets))
    page_text = (REPO / "book" / "troubleshooting.md").read_text()
    assert page_text.startswith(header), "book/troubleshooting.md's text above the table differs from the script's HEADER"
    assert page_text.count("\n| ") > 10  # the table's rows follow
