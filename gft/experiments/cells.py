"""Table cells (setting or data set, method, activation, preset, N), their validation and their data."""

from __future__ import annotations

import itertools
import numbers
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from ..datasets import SETTINGS, UCI_DATASETS, load_setting, load_uci, setting_names, uci_names
from ..datasets.uci import uci_dataset_name
from ..datasets.synthetic import ID_TO_SETTING
from ..features import ACTIVATIONS
from ..presets import PRESET_NAMES
from .methods import get_method

__all__ = ["Cell", "validate_cell", "make_cells", "canonical_setting", "load_cell_data"]


def canonical_setting(name: str | int) -> tuple[str, str]:
    """``(registry name, kind)`` of a synthetic setting (name or id 0..11) or a UCI data set.

    ``kind`` is ``"synthetic"`` or ``"uci"``; ``ValueError`` lists the valid names.
    """
    if isinstance(name, numbers.Integral) and not isinstance(name, bool) and int(name) in ID_TO_SETTING:
        return ID_TO_SETTING[int(name)].name, "synthetic"
    if isinstance(name, str):
        if name in SETTINGS:
            return name, "synthetic"
        key = uci_dataset_name(name)
        if key in UCI_DATASETS:
            return key, "uci"
    raise ValueError(
        f"Unknown setting or dataset {name!r}. Must be one of the settings {setting_names()} "
        f"or the datasets {uci_names()}"
    )


@dataclass(frozen=True)
class Cell:
    """One cell of a results table: the protocol run for one method on one problem.

    Parameters
    ----------
    setting : str
        A synthetic setting (:func:`gft.datasets.setting_names`) or a UCI data set
        (:func:`gft.datasets.uci_names`).
    method : str
        A key of :data:`gft.experiments.METHODS`.
    activation : str
        A key of :data:`gft.features.ACTIVATIONS`.
    preset : str
        ``"smoke"``, ``"book"`` or ``"paper"``: the estimator's budget.
    n_features : int or None
        ``N``; ``None`` keeps the estimator's default (100).
    """

    setting: str
    method: str
    activation: str = "fourier"
    preset: str = "book"
    n_features: int | None = None

    @property
    def kind(self) -> str:
        """``"synthetic"`` or ``"uci"``."""
        return canonical_setting(self.setting)[1]

    @property
    def stem(self) -> str:
        """The file name stem of the cell's results, ``setting__method__activation__preset[__N<n>]``."""
        parts = [self.setting, self.method, self.activation, self.preset]
        if self.n_features is not None:
            parts.append(f"N{self.n_features}")
        return "__".join(parts)

    @property
    def label(self) -> str:
        """A short human-readable name for progress lines."""
        n = "" if self.n_features is None else f" N={self.n_features}"
        return f"{self.setting} {self.method} {self.activation} {self.preset}{n}"


def validate_cell(cell: Cell | Sequence) -> Cell:
    """Check every field of ``cell`` and return it with canonical names.

    A tuple is read as ``Cell(*cell)``. Raises ``ValueError`` naming the bad field and
    listing the valid values.
    """
    if not isinstance(cell, Cell):
        if isinstance(cell, str) or not isinstance(cell, Sequence) or not 2 <= len(cell) <= 5:
            raise ValueError(
                "a cell must be a Cell or a tuple (setting, method[, activation[, preset[, "
                f"n_features]]]), got {cell!r}"
            )
        cell = Cell(*cell)
    setting, _ = canonical_setting(cell.setting)
    get_method(cell.method)
    if cell.activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {cell.activation!r}. Must be one of {list(ACTIVATIONS)}")
    if cell.preset not in PRESET_NAMES:
        raise ValueError(f"Unknown preset {cell.preset!r}. Must be one of {list(PRESET_NAMES)}")
    n = cell.n_features
    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
        raise ValueError(f"n_features must be a positive integer or None, got {n!r}")
    return Cell(setting, cell.method, cell.activation, cell.preset, None if n is None else int(n))


def make_cells(
    settings: Iterable[str],
    methods: Iterable[str],
    activations: Iterable[str] = ("fourier",),
    presets: Iterable[str] = ("book",),
    n_features: Iterable[int | None] = (None,),
) -> list[Cell]:
    """All combinations, validated, in the order settings x methods x activations x presets x N.

    ``settings`` may mix synthetic settings and UCI data sets; ``"all"`` in it stands for
    every synthetic setting, ``"all-uci"`` for every data set.
    """
    names: list[str] = []
    for s in settings:
        names += setting_names() if s == "all" else uci_names() if s == "all-uci" else [s]
    combos = itertools.product(names, methods, activations, presets, n_features)
    cells = [validate_cell(Cell(*c)) for c in combos]
    if not cells:
        raise ValueError("no cells: give at least one setting and one method")
    return list(dict.fromkeys(cells))  # drop repeats, keep order


def load_cell_data(
    setting: str, seed: int, data_dir: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train (M, d), y_train (M,), X_test (M', d), y_test (M',)`` of one data draw.

    Synthetic: :func:`gft.datasets.load_setting` (new samples for each seed); UCI:
    :func:`gft.datasets.load_uci` (new shuffle and noise columns for each seed, except
    ``galaxy``: one fixed split for every seed).
    """
    name, kind = canonical_setting(setting)
    if kind == "synthetic":
        return load_setting(name, seed=seed)
    return load_uci(name, data_dir=data_dir, seed=seed)
