"""Progress bars: tqdm's notebook-aware bar when one is shown, a silent one otherwise.

``tqdm.auto`` is imported only when a bar is shown: importing it in a notebook without
ipywidgets warns, and a run with ``progress=False`` should print nothing.
"""

from __future__ import annotations

from typing import Any

from tqdm.std import tqdm as _silent_tqdm

__all__ = ["progress_bar"]


def progress_bar(iterable: Any = None, *, disable: bool = False, **kwargs: Any):
    """``tqdm(iterable, **kwargs)``, from ``tqdm.auto`` unless ``disable``."""
    if disable:
        return _silent_tqdm(iterable, disable=True, **kwargs)
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)
