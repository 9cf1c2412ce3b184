"""The committed protocol results are what they claim to be: every trained network trained, every
tuned scale inside its grid (``book/results/<preset>/``, the rows' ``fitted`` column)."""

import json
from pathlib import Path

import pandas as pd
import pytest

RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
FOLDERS = [RESULTS / p for p in ("book", "paper") if (RESULTS / p).is_dir()]


def _rows(method: str) -> pd.DataFrame:
    files = [f for folder in FOLDERS for f in sorted(folder.glob(f"*__{method}__*.csv"))]
    if not files:
        pytest.skip(f"no committed {method} results")
    df = pd.concat([pd.read_csv(f, dtype={"fitted": str}) for f in files], ignore_index=True)
    missing = df["fitted"].isna()
    assert not missing.any(), (f"{method} rows without the 'fitted' record (rerun them): "
                               f"{sorted(set(df.loc[missing, 'setting']))}")
    return df.assign(fitted=df["fitted"].map(json.loads))


def _all_rows() -> pd.DataFrame:
    """Every committed protocol row, of every method (skips where there are none)."""
    files = [f for folder in FOLDERS for f in sorted(folder.glob("*.csv"))]
    if not files:
        pytest.skip("no committed protocol results")
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def _cell(row: pd.Series) -> str:
    return f"{row.setting} {row.method} {row.activation} {row.preset} trial {row.trial}"


def test_every_committed_network_trained_from_its_start():
    """NN's kept iterate is not its initialisation (best step > 0), and training brought its
    loss to well below the start's (a network that reports its starting point is not a
    trained baseline)."""
    df = _rows("nn")
    kept_start = [_cell(r) for _, r in df.iterrows() if r.fitted["fit_best_step"] == 0]
    assert not kept_start, f"NN kept its initial network: {kept_start}"
    barely = [_cell(r) for _, r in df.iterrows()
              if not r.fitted["fit_train_loss_best"] < 0.5 * r.fitted["fit_train_loss_start"]]
    assert not barely, f"NN's training loss did not halve: {barely}"


def test_no_committed_varpro_cell_is_its_random_start():
    """In no cell did VarPro keep its initial draw (best step 0) on every trial: such a cell is
    the random-feature model of those draws under another name. Some trials may keep it: on
    some draws (CCPP, where the tuned random features are as good as any method here) no
    descent step validates better; chapter 06 lists them."""
    df = _rows("varpro")
    kept = df.assign(kept=[r.fitted["fit_best_step"] == 0 for _, r in df.iterrows()])
    per_cell = kept.groupby(["setting", "activation", "preset"])["kept"].agg(["sum", "size"])
    at_start = per_cell[per_cell["sum"] == per_cell["size"]]
    assert at_start.empty, f"VarPro cells that kept their random start on every trial:\n{at_start}"


@pytest.mark.parametrize("method", ["rff", "sparse-rf"])
def test_no_selected_scale_sits_on_an_edge_of_its_grid(method):
    """A σ chosen at an end of its grid may be an under-tuned baseline: the grid must grow."""
    df = _rows(method)
    at_edge = [f"{_cell(r)}: sigma {r.fitted['sigma']:.3g} of [{r.fitted['sigma_grid'][0]:.3g}, "
               f"{r.fitted['sigma_grid'][1]:.3g}]" for _, r in df.iterrows()
               if not r.fitted["sigma_grid"][0] < r.fitted["sigma"] < r.fitted["sigma_grid"][1]]
    assert not at_edge, f"selected scales at an edge of their grid: {at_edge}"


def test_every_protocol_row_ran_on_committed_code():
    """A row's ``commit`` reproduces it only if the library's code was that commit's: no
    row of the protocol tables (``book/``, ``paper/``), and no λ selection, may come from a
    working tree with uncommitted changes under ``gft/``."""
    df = _all_rows()
    dirty = df[df["dirty"].astype(str) != "False"]
    cells = sorted(set(dirty["setting"] + " " + dirty["method"] + " " + dirty["activation"] + " " + dirty["preset"]))
    assert not cells, f"rows from a dirty tree (rerun these cells): {cells}"
    selections = [f.name for folder in FOLDERS for f in sorted(folder.glob("*.selection.json"))
                  if json.loads(f.read_text()).get("dirty") is not False]
    assert not selections, f"λ selections from a dirty tree: {selections}"


#: The first day whose trained rows must name their engine: the rows of 2026-11-25 predate the
#: column (the results README says which they are).
ENGINE_COLUMN_SINCE = "2026-11-26"


def test_every_trained_row_names_its_engine():
    """A row of a method that trains iteratively (GFT, GFT-r, the network, VarPro) records the
    engine that trained it, ``fused`` or ``autograd`` (per phase where they differ); the
    closed-form methods (RFF, sparse RF) record none. Only rows older than the column lack it."""
    df = _all_rows()
    trains = df["method"].isin(["gft", "gft-r", "nn", "varpro"])
    engine = df["engine"].fillna("")
    named = engine.str.fullmatch(r"(fused|autograd)|generator: (fused|autograd), refine: (fused|autograd)")
    unnamed = df[trains & ~named & (df["date"] >= ENGINE_COLUMN_SINCE)]
    assert unnamed.empty, f"trained rows without their engine: {sorted(set(unnamed.apply(_cell, axis=1)))}"
    closed_form = df[~trains & (engine != "")]
    assert closed_form.empty, f"closed-form rows naming an engine: {sorted(set(closed_form.apply(_cell, axis=1)))}"


def test_the_results_readme_shows_the_committed_progress():
    """The progress tables of ``book/results/README.md`` are those the committed ``paper`` folder
    gives (the README is updated with the results, not from memory)."""
    from gft.experiments.plan import status_markdown

    readme = (RESULTS / "README.md").read_text()
    begin, end = "<!-- progress: begin -->\n", "<!-- progress: end -->"
    shown = readme[readme.index(begin) + len(begin):readme.index(end)]
    expected = status_markdown(RESULTS / "plan.txt", RESULTS / "paper", RESULTS / "book")
    assert shown == expected, (
        "book/results/README.md's progress tables differ from book/results/paper; replace them with "
        "the first two tables of `python -m gft sweep --plan book/results/plan.txt --out "
        "book/results/paper --status --reference book/results/book`:\n" + expected)


def test_committed_run_summaries_are_readable_and_their_cells_unfinished():
    """A ``<cell>.partial-run.pt.json`` (the summary of a run still training, committed so that
    the progress tables count it) must be readable, hold at least one phase, and belong to a
    cell whose trials are not all written (a finished run removes it)."""
    from gft._checkpoint import read_summary
    from gft.experiments.plan import plan_progress

    summaries = sorted((RESULTS / "paper").glob("*.partial-run.pt.json"))
    if not summaries:
        pytest.skip("no run training")
    progress = plan_progress(RESULTS / "plan.txt", RESULTS / "paper")
    status = {"__".join(r[:4]): r[4] for r in progress[["setting", "method", "activation", "preset", "status"]]
              .itertuples(index=False)}
    for f in summaries:
        summary = read_summary(f)
        assert summary is not None and summary["phases"], f"{f.name}: unreadable or empty"
        assert all(p["step"] >= 0 and p["seconds"] >= 0 for p in summary["phases"].values()), f.name
        stem = f.name.removesuffix(".partial-run.pt.json")
        assert status.get(stem) == "partial", f"{f.name}: its cell is {status.get(stem, 'not in the plan')}"


def test_committed_partial_selections_are_clean_and_unfinished():
    """A ``<cell>.partial-selection.json`` is committed while its selection runs, so that a fresh
    checkout resumes it: it must not sit beside its cell's finished record (the rerun would
    ignore it and the status would count the cell twice), and each kept fit, which becomes part
    of the selection, must come from a clean tree and be one of the λ it compares, once."""
    partial = [f for folder in FOLDERS for f in sorted(folder.glob("*.partial-selection.json"))]
    if not partial:
        pytest.skip("no selection running")
    for f in partial:
        stem = f.name.removesuffix(".partial-selection.json")
        assert not (f.parent / f"{stem}.selection.json").exists(), f"{f.name}: its selection has ended; remove it"
        record = json.loads(f.read_text())
        lambdas = [e["lambda"] for e in record["entries"]]
        assert len(set(lambdas)) == len(lambdas) and set(lambdas) <= set(record["lambdas"]), f.name
        assert all(e.get("dirty") is False for e in record["entries"]), f"{f.name}: a fit from a dirty tree"
