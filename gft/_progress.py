"""Progress bars: tqdm's notebook-aware bar when one is shown, a silent one otherwise.

``tqdm.auto`` is imported only when a bar is shown, so that a run with ``progress=False``
prints nothing. In a notebook without ipywidgets that import warns ("IProgress not found")
and falls back to a text bar, which is fine for us: the warning is silenced there, and only
there.
"""

from __future__ import annotations

import warnings
from typing import Any

from tqdm.std import tqdm as _silent_tqdm

__all__ = ["progress_bar"]


def progress_bar(iterable: Any = None, *, disable: bool = False, **kwargs: Any):
    """``tqdm(iterable, **kwargs)``, from ``tqdm.auto`` unless ``disable``."""
    if disable:
        return _silent_tqdm(iterable, disable=True, **kwargs)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)
