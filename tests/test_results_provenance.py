"""Every committed results row carries its provenance (command, preset, seed, commit, machine, date, wall time)."""

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from gft.experiments import COLUMNS

RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
PROVENANCE = ["command", "preset", "seed", "commit", "dirty", "host", "torch", "device", "wall_seconds", "date"]
FILES = sorted(p for p in RESULTS.rglob("*.csv") if ".locks" not in p.parts)


def test_results_columns_include_provenance():
    assert set(PROVENANCE) <= set(COLUMNS)


@pytest.mark.skipif(not FILES, reason="no committed results files yet")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(RESULTS)))
def test_every_committed_row_has_complete_provenance(path):
    df = pd.read_csv(path)
    assert len(df) > 0, f"{path} is empty"
    missing_cols = [c for c in PROVENANCE if c not in df.columns]
    assert not missing_cols, f"{path} lacks columns {missing_cols}"
    for col in PROVENANCE:
        blank = df[col].isna() | (df[col].astype(str).str.strip() == "")
        assert not blank.any(), f"{path}: column {col!r} blank in rows {list(df.index[blank])}"
    assert (df["commit"].astype(str).str.fullmatch(r"[0-9a-f]{40}")).all(), f"{path}: commit is not a git hash"
    assert (df["wall_seconds"] > 0).all()
    assert pd.to_datetime(df["date"], utc=True).notna().all()
    # the folder a file lives in names its preset: book/results/<preset>/...
    folder_preset = path.relative_to(RESULTS).parts[0]
    if folder_preset in ("smoke", "book", "paper"):
        assert (df["preset"] == folder_preset).all(), f"{path}: rows of another preset than its folder"


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(RESULTS), *args], capture_output=True, text=True)


@pytest.mark.skipif(not FILES, reason="no committed results files yet")
def test_every_recorded_commit_is_in_this_repository_history():
    """A row's commit must name a commit this repository has (not a placeholder, a rebased-away
    commit or another checkout's HEAD), so that the code behind a number can be checked out."""
    if _git("rev-parse", "--is-inside-work-tree").returncode != 0:
        pytest.skip("not a git checkout")
    if _git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        pytest.skip("a shallow clone lacks the older commits")
    commits = set()
    for path in FILES:
        df = pd.read_csv(path)
        if "commit" in df:
            commits |= set(df["commit"].dropna().astype(str))
    unknown = sorted(c for c in commits if _git("cat-file", "-e", f"{c}^{{commit}}").returncode != 0)
    assert not unknown, f"results name commits this repository does not have: {unknown}"
