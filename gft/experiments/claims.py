"""A chapter's claims: each checked where it is computed, all reported in one table.

A chapter states a claim in its prose, computes the number that decides it, and checks it
with :meth:`Claims.check`. At a preset that asserts its claims (every preset but
``"smoke"``, whose 40 generator steps barely train) a claim that fails raises at once, with the
measured value and the threshold in the message. At ``"smoke"`` the claim is still
computed and recorded, marked as not asserted, so nothing is skipped silently. The chapter
ends with :meth:`Claims.table`: claim, measured value, threshold, margin, held.

Typical use (:func:`start_chapter` also seeds every random generator)::

    claims = start_chapter(preset, seed)
    claims.check("GFT-r beats RFF tenfold (test MSE)", mse["GFT-r"], "<", mse["RFF"] / 10)
    ...
    claims.table()      # last cell of the chapter
"""

from __future__ import annotations

import math
import operator
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch

from .report import _show_styled_tables_as_text

__all__ = ["Claims", "ClaimFailed", "UNASSERTED_PRESETS", "start_chapter"]

#: Presets at which claims are computed and reported but not asserted (untrained models).
UNASSERTED_PRESETS = frozenset({"smoke"})

_RELATIONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


class ClaimFailed(AssertionError):
    """A chapter's claim did not hold at a preset that asserts it."""


@dataclass(frozen=True)
class _Claim:
    claim: str
    measured: float
    relation: str
    threshold: float
    held: bool


def _margin(measured: float, relation: str, threshold: float) -> float:
    """How far inside its threshold a measured value is, as a factor (> 1 held, < 1 failed).

    ``threshold / measured`` for ``<``/``<=`` and ``measured / threshold`` for ``>``/``>=``,
    defined when both are positive; NaN otherwise (a count against zero, a difference).
    """
    if not (measured > 0 and threshold > 0):
        return math.nan
    return threshold / measured if relation in ("<", "<=") else measured / threshold


class Claims:
    """The claims of one chapter run.

    Parameters
    ----------
    preset : str
        The chapter's preset. Claims are asserted unless it is in
        :data:`UNASSERTED_PRESETS`.
    asserted : bool, optional
        Whether a failing claim raises; by default every preset but those in
        :data:`UNASSERTED_PRESETS`. ``False`` serves studies that want every run to finish.
    record : str or path-like, optional
        A CSV file to which :meth:`table` appends the claims (with ``preset`` and ``label``),
        so that runs over several seeds can be compared (``benchmarks/claim_margins.py``).
    label : str, optional
        What identifies this run in ``record``, e.g. ``"01_quickstart seed=3"``.
    """

    def __init__(self, preset: str, *, asserted: bool | None = None,
                 record: str | os.PathLike | None = None, label: str = ""):
        self.preset = preset
        self.asserted = preset not in UNASSERTED_PRESETS if asserted is None else bool(asserted)
        self.record = record
        self.label = label
        self._claims: list[_Claim] = []

    def check(self, claim: str, measured: float, relation: str, threshold: float) -> None:
        """Record ``measured relation threshold`` under the sentence ``claim``; raise if it fails.

        Parameters
        ----------
        claim : str
            The claim as the prose states it, e.g. ``"GFT-r beats RFF tenfold"``.
        measured : float
            The number the chapter computed.
        relation : {"<", "<=", ">", ">="}
            How ``measured`` must compare with ``threshold`` for the claim to hold.
        threshold : float
            The bound (margins measured over several seeds are built into it by the chapter).

        Nothing is returned, so that a cell ending with a check prints nothing; whether the
        claim held is in :meth:`frame`.

        Raises
        ------
        ClaimFailed
            If the claim does not hold (or ``measured`` is NaN) and the preset asserts claims.
        """
        if relation not in _RELATIONS:
            raise ValueError(f"relation must be one of {sorted(_RELATIONS)}, got {relation!r}")
        measured, threshold = float(measured), float(threshold)
        if math.isnan(threshold):
            raise ValueError(f"the threshold of {claim!r} is NaN")
        held = bool(_RELATIONS[relation](measured, threshold))  # False for a NaN measurement
        self._claims.append(_Claim(claim, measured, relation, threshold, held))
        if self.asserted and not held:
            raise ClaimFailed(f"claim {claim!r} failed at preset {self.preset!r}: measured "
                              f"{measured:.4g}, needs {relation} {threshold:.4g}")

    def __len__(self) -> int:
        return len(self._claims)

    @property
    def all_held(self) -> bool:
        """Whether every recorded claim held."""
        return all(c.held for c in self._claims)

    def frame(self) -> pd.DataFrame:
        """The claims as a DataFrame: claim, measured, relation, threshold, margin, held."""
        rows = [dict(claim=c.claim, measured=c.measured, relation=c.relation,
                     threshold=c.threshold, margin=_margin(c.measured, c.relation, c.threshold),
                     held=c.held) for c in self._claims]
        return pd.DataFrame(rows, columns=["claim", "measured", "relation", "threshold",
                                           "margin", "held"])

    def table(self):
        """The claims as a styled table (3 significant digits) for the chapter's last cell.

        The caption says whether this run asserted them. Returns a pandas ``Styler``, which
        a notebook renders as HTML. With ``record`` set, the claims are also appended there.
        """
        df = self.frame()
        if self.record is not None:
            path = Path(self.record)
            df.assign(preset=self.preset, label=self.label).to_csv(
                path, mode="a", header=not path.exists(), index=False)
        df["held"] = df["held"].map({True: "yes", False: "no"})
        if self.asserted:
            status = "asserted"
        elif self.preset in UNASSERTED_PRESETS:
            status = f"computed but not asserted (the {self.preset!r} preset checks that the page runs)"
        else:
            status = "computed but not asserted"
        caption = f"The chapter's claims at preset {self.preset!r}, {status}"
        return (df.style.format({"measured": "{:.3g}", "threshold": "{:.3g}", "margin": "{:.3g}"},
                                na_rep="–", escape="html")
                .hide(axis="index").set_caption(caption))


def start_chapter(preset: str, seed: int, assert_claims: bool = True,
                  claims_file: str | os.PathLike | None = None) -> Claims:
    """Seed Python's, NumPy's and torch's generators with ``seed``; return the chapter's :class:`Claims`.

    The first cell after a chapter's ``parameters`` cell, whose values it takes:
    ``assert_claims=False`` reports the claims without asserting them (studies over seeds),
    ``claims_file`` is where :meth:`Claims.table` appends them. In a notebook it also gives
    styled tables a plain-text form (the table as displayed) in place of a repr with a
    memory address, so that re-executing a chapter leaves its unchanged tables unchanged.
    """
    _show_styled_tables_as_text()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return Claims(preset, asserted=None if assert_claims else False, record=claims_file)
