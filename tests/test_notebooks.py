"""Tests of the chapters: script and notebook in sync, one ``parameters`` cell, a ``smoke`` run."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

jupytext = pytest.importorskip("jupytext")
papermill = pytest.importorskip("papermill")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SCRIPTS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
IDS = [script.stem for script in SCRIPTS]


def cell_sources(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(cell type, source) of the code and markdown cells, trailing whitespace removed."""
    return [(cell.cell_type, cell.source.rstrip()) for cell in notebook.cells
            if cell.cell_type in ("code", "markdown")]


def pair_differences(script: Path, notebook: Path) -> list[str]:
    """Where ``script`` (jupytext percent) and ``notebook`` (.ipynb) disagree; [] when in sync."""
    from_script = cell_sources(jupytext.read(script))
    from_notebook = cell_sources(nbformat.read(notebook, as_version=4))
    problems = []
    if len(from_script) != len(from_notebook):
        problems.append(f"{len(from_script)} cells in {script.name}, {len(from_notebook)} in {notebook.name}")
    for i, (a, b) in enumerate(zip(from_script, from_notebook)):
        if a != b:
            problems.append(f"cell {i} differs: {a[0]} {a[1][:60]!r}... vs {b[0]} {b[1][:60]!r}...")
    return problems


def committed(script: Path) -> nbformat.NotebookNode:
    """The committed notebook paired with ``script``; a clear failure when it is missing."""
    path = script.with_suffix(".ipynb")
    if not path.exists():
        pytest.fail(f"{path.name} is missing: run `jupytext --to ipynb {script}` and execute it")
    return nbformat.read(path, as_version=4)


def output_texts(notebook: nbformat.NotebookNode):
    """``(cell index, kind, text)`` of every text output: streams and ``text/*`` data."""
    for i, cell in enumerate(notebook.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                yield i, f"stream {out.name}", out.text
            for kind, text in out.get("data", {}).items():
                if kind.startswith("text/"):
                    yield i, kind, text if isinstance(text, str) else "".join(text)


#: What a committed output must not show a reader: a repr's memory address, a path of the
#: machine that executed it, a warning.
UNCLEAN_OUTPUT = {
    "memory address": re.compile(r"\bat 0x[0-9a-fA-F]+"),
    "absolute path": re.compile(r"(?<![\w.])(/home/|/tmp/|/root/|/work/|/Users/|[A-Z]:\\)|site-packages"),
    "warning": re.compile(r"\b[A-Z]\w*Warning\b"),
}


def unclean_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """``"cell i, kind: what (excerpt)"`` for each output that matches :data:`UNCLEAN_OUTPUT`."""
    found = []
    for i, kind, text in output_texts(notebook):
        for what, pattern in UNCLEAN_OUTPUT.items():
            match = pattern.search(text)
            if match:
                found.append(f"cell {i}, {kind}: {what} ({text[max(0, match.start() - 40):match.end() + 20]!r})")
    return found


def parameters_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if "parameters" in cell.get("metadata", {}).get("tags", [])]


def test_there_are_chapters():
    assert len(SCRIPTS) >= 3, f"expected the chapter scripts notebooks/NN_*.py, found {SCRIPTS}"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_script_and_notebook_are_in_sync(script):
    notebook = script.with_suffix(".ipynb")
    assert notebook.exists(), (
        f"{notebook.name} is missing: run `jupytext --to ipynb --update {script}` (or `make notebooks`)"
    )
    problems = pair_differences(script, notebook)
    assert not problems, (
        f"{script.name} and {notebook.name} have drifted apart ({'; '.join(problems[:3])}). Edit the "
        f".py, then `jupytext --to ipynb --update {script}` and re-execute (`make notebooks`)."
    )


def test_pair_check_detects_drift(tmp_path):
    script = SCRIPTS[0]
    shutil.copy(script, tmp_path / script.name)
    notebook = committed(script)
    copy = tmp_path / script.with_suffix(".ipynb").name
    nbformat.write(notebook, copy)
    assert pair_differences(tmp_path / script.name, copy) == []
    code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    code.source += "\nx = 1  # an edit made in the notebook only"
    nbformat.write(notebook, copy)
    assert any("differs" in p for p in pair_differences(tmp_path / script.name, copy))
    notebook.cells.append(nbformat.v4.new_markdown_cell("A cell added to the notebook only."))
    nbformat.write(notebook, copy)
    assert any("cells in" in p for p in pair_differences(tmp_path / script.name, copy))


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_one_parameters_cell_with_a_preset(script):
    for notebook in (jupytext.read(script), committed(script)):
        cells = parameters_cells(notebook)
        assert len(cells) == 1, f"{script.name}: {len(cells)} cells tagged 'parameters', need exactly 1"
        assert 'preset = os.environ.get("GFT_PRESET", "book")' in cells[0].source
        for name in ("seed", "assert_claims", "claims_file"):
            assert f"\n{name} = " in cells[0].source, f"{script.name}: no parameter {name!r}"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_papermill_reads_every_parameter(script):
    """``papermill --help-notebook`` lists every parameter: its parser skips (with a warning) a
    line it cannot read, e.g. one whose comment holds an ``=``."""
    import ast

    from papermill.translators import PythonTranslator

    cell = parameters_cells(jupytext.read(script))[0]
    assigned = {target.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)}
    read = {parameter.name for parameter in PythonTranslator.inspect(cell)}
    assert assigned <= read, f"{script.name}: papermill cannot read {sorted(assigned - read)}"


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_claims_are_checked_at_every_preset_and_tabled_at_the_end(script):
    """No claim hides behind the smoke preset; the seeded set-up makes the claims; the last cell tables them."""
    notebook = jupytext.read(script)
    cells = code_cells(notebook)
    gated = [line for cell in cells for line in cell.source.splitlines()
             if line.lstrip().startswith("if ") and "smoke" in line]
    assert not gated, f"{script.name}: blocks gated on the smoke preset: {gated}"
    parameters = next(i for i, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", []))
    set_up = cells[parameters + 1].source
    assert "claims = start_chapter(preset, seed, assert_claims, claims_file)" in set_up, (
        f"{script.name}: the cell after the parameters seeds with `seed` and creates `claims`")
    assert cells[-1].source.strip() == "claims.table()", f"{script.name}: the last code cell is not claims.table()"
    assert "claims.check(" in "".join(cell.source for cell in cells), f"{script.name} checks no claim"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_colab_set_up(script):
    notebook = committed(script)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert '"google.colab" in sys.modules' in first.source
    assert "git+https://github.com/gft-book/gft" in first.source
    assert "hide-input" in first.metadata.get("tags", []), "the set-up cell is hidden in the book"
    assert notebook.metadata.get("accelerator") == "GPU"
    assert notebook.metadata.get("colab", {}).get("gpuType") == "T4"
    assert notebook.metadata.kernelspec.name == "python3"
    device_lines = [cell.source for cell in notebook.cells if 'torch.cuda.is_available()' in cell.source]
    assert device_lines, "the chapter picks its device with torch.cuda.is_available()"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_committed_notebook_is_executed_without_errors(script):
    notebook = committed(script)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert any(cell.outputs for cell in code), f"{script.stem}.ipynb carries no outputs: run `make notebooks`"
    errors = [out for cell in code for out in cell.outputs if out.output_type == "error"]
    assert not errors, f"{script.stem}.ipynb has error outputs: {errors[0].get('ename')}"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_committed_outputs_show_no_addresses_paths_or_warnings(script):
    found = unclean_outputs(committed(script))
    assert not found, f"{script.stem}.ipynb: " + "; ".join(found[:3])


def test_unclean_output_check_finds_what_it_looks_for():
    def notebook(*outputs):
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=list(outputs))])

    styler_repr = nbformat.v4.new_output("execute_result", {"text/plain": "<pandas.io.formats.style.Styler at 0x7f3a2c>"})
    path = nbformat.v4.new_output("stream", name="stdout", text="wrote /tmp/gft/results.csv")
    warning = nbformat.v4.new_output("stream", name="stderr", text="foo.py:3: UserWarning: bar")
    clean = nbformat.v4.new_output("stream", name="stdout", text="test MSE 1.2e-05 (N/M = 0.2, book/results/x.csv)")
    assert [len(unclean_outputs(notebook(out))) for out in (styler_repr, path, warning, clean)] == [1, 1, 1, 0]


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_smoke_run_with_papermill(script, tmp_path, monkeypatch):
    monkeypatch.setenv("GFT_PRESET", "smoke")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    # the chapters find the UCI files through $GFT_DATA_DIR, inherited from this process
    out = tmp_path / f"{script.stem}.ipynb"
    papermill.execute_notebook(
        jupytext.read(script), str(out), parameters=dict(preset="smoke"), kernel_name="python3",
        cwd=str(NOTEBOOKS), progress_bar=False, execution_timeout=600,
    )
    executed = nbformat.read(out, as_version=4)
    injected = [cell for cell in executed.cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert len(injected) == 1 and "preset = \"smoke\"" in injected[0].source
    addresses = [f"cell {i}: {text[:60]!r}" for i, _, text in output_texts(executed)
                 if UNCLEAN_OUTPUT["memory address"].search(text)]
    assert not addresses, f"a repr with a memory address in the outputs (styled tables: start_chapter): {addresses[:2]}"


def committed_claims(notebook: nbformat.NotebookNode) -> dict[str, tuple[str, str]]:
    """The claims in the committed claims table (the last cell's plain-text output), each with
    its relation and threshold as printed: a row is the claim, then measured, relation,
    threshold (three significant digits), margin and held."""
    last = code_cells(notebook)[-1]
    text = next(out.data["text/plain"] for out in last.outputs if "text/plain" in out.get("data", {}))
    lines = text.splitlines()
    assert lines[0].startswith("The chapter's claims at preset") and lines[1].split()[0] == "claim", text[:200]
    rows = [line.rsplit(maxsplit=5) for line in lines[2:] if line.strip()]
    return {row[0].strip(): (row[2], row[3]) for row in rows}


MARGINS = REPO / "book" / "results" / "claims" / "margins.csv"


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_every_committed_claim_has_margins_over_five_seeds(script):
    """The intro says the thresholds come from runs over five seeds (`make margins`): every claim
    the committed page tables has rows in ``margins.csv`` for five seeds, with the page's
    relation and threshold, and held on each."""
    import pandas as pd

    margins = pd.read_csv(MARGINS)
    ours = margins[margins["chapter"] == script.stem]
    runs = ours.groupby("claim")["seed"].nunique()
    held = ours.groupby("claim")["held"].all()
    claims = committed_claims(committed(script))
    assert claims, f"{script.stem}.ipynb tables no claim"
    missing = [c for c in claims if runs.get(c, 0) < 5]
    assert not missing, (f"{script.stem}: {len(missing)} claims without five seeds in {MARGINS.name} "
                         f"(run `make margins`): {missing[:3]}")
    # the page ran at its parameters' seed; at that seed the bound is the page's (some bounds
    # depend on the draw, e.g. a rounding bound scaled by a condition number)
    page_seed = int(re.search(r"^seed = (\d+)", parameters_cells(jupytext.read(script))[0].source, re.M)[1])
    at_page_seed = ours[ours["seed"] == page_seed].set_index("claim")
    other_bound = [c for c, bound in claims.items() if c not in at_page_seed.index
                   or (at_page_seed.loc[c, "relation"], f"{at_page_seed.loc[c, 'threshold']:.3g}") != bound]
    assert not other_bound, (f"{script.stem}: claims whose relation or threshold in {MARGINS.name} is not "
                             f"the page's (run `make margins`): {other_bound[:3]}")
    failed = [c for c in claims if not held[c]]
    assert not failed, f"{script.stem}: claims that failed on some seed of {MARGINS.name}: {failed[:3]}"


PAPER_PRESET = REPO / "book" / "results" / "claims" / "paper-preset.csv"

#: Claims a page checks at every preset but ``paper``: findings of its reduced live budget that
#: the paper budget does not share (the page prints their values there and says why).
BELOW_PAPER_ONLY = {
    "06_uci_benchmarks": {
        "(1) without TV, GFT-r is no better than RFF (ratio GFT-r / RFF)",
        "(2) TV cuts the noise-to-real weight ratio (that ratio without TV / with TV)",
    },
}


def test_paper_preset_record_is_of_the_pages_claims():
    """``paper-preset.csv`` records chapters run at the paper preset (the intro cites it): for each
    chapter there, the claims are those of its committed page, none missing and none stale (a
    renamed claim), but for those it checks only below the paper preset, and every one held.
    Thresholds may differ: some depend on the preset."""
    import pandas as pd

    record = pd.read_csv(PAPER_PRESET)
    assert set(record["preset"]) == {"paper"}, sorted(set(record["preset"]))
    for stem, rows in record.groupby("chapter"):
        page = set(committed_claims(committed(NOTEBOOKS / f"{stem}.py")))
        below_paper = BELOW_PAPER_ONLY.get(stem, set())
        assert below_paper <= page, f"{stem}: BELOW_PAPER_ONLY names claims not on the page: {sorted(below_paper - page)}"
        recorded = set(rows["claim"])
        assert recorded == page - below_paper, (
            f"{stem}: not on the page {sorted(recorded - page)[:2]}, not recorded "
            f"{sorted(page - below_paper - recorded)[:2]} (rerun it at the paper preset)")
        assert rows["held"].all(), f"{stem}: failed at the paper preset: {rows.loc[~rows['held'], 'claim'].tolist()[:3]}"
