"""A chapter run with a bad papermill parameter stops with the library's clear message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
papermill = pytest.importorskip("papermill")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_unknown_preset_parameter_names_the_valid_presets(tmp_path, monkeypatch):
    root = str(NOTEBOOKS.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    with pytest.raises(papermill.PapermillExecutionError, match=r"Unknown preset 'fast'. Must be one of \['smoke', 'book', 'paper'\]"):
        papermill.execute_notebook(
            jupytext.read(NOTEBOOKS / "01_quickstart.py"), str(tmp_path / "out.ipynb"),
            parameters=dict(preset="fast"), kernel_name="python3", cwd=str(NOTEBOOKS),
            progress_bar=False,
        )
