"""Sphinx extension of the book: resolve a cross-reference to a ``gft`` object documented under another path.

The package re-exports names (``gft.ridge_solve`` is ``gft.ridge.ridge_solve``) and its
docstrings refer to both spellings; the API page documents each object once. When Sphinx
cannot resolve a Python reference, this handler imports the target (as written, or relative
to the current module and class) and links it to the page where that same object is
documented; a bare name is also looked up in the parent packages of the current module
(``RFFRegressor`` from ``gft.baselines.varpro`` is ``gft.baselines.RFFRegressor``). A target that is not a documented ``gft`` object stays unresolved, so nitpicky
builds (``-n``) still report real broken references.
"""

from __future__ import annotations

import importlib
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.nodes import make_refnode

_MISSING = object()


def _lookup(path: str) -> Any:
    """The object at the dotted ``path`` (longest importable module prefix, then attributes)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, _MISSING)
            if obj is _MISSING:
                return _MISSING
        return getattr(obj, "__func__", obj)  # bound classmethods are new objects each time
    return _MISSING


def _documented(app: Sphinx, env: BuildEnvironment) -> dict[int, tuple[str, str, str]]:
    """``id(object) -> (full name, document, anchor)`` of every documented ``gft`` object."""
    table = getattr(app, "_gft_xref_table", None)
    if table is None:
        table = {}
        for name, entry in env.get_domain("py").objects.items():
            if entry.aliased or not name.startswith("gft"):
                continue
            obj = _lookup(name)
            if obj is not _MISSING and not isinstance(obj, (str, int, float, bool, type(None))):
                table.setdefault(id(obj), (name, entry.docname, entry.node_id))
        app._gft_xref_table = table
    return table


def resolve_reexport(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.Element
) -> nodes.reference | None:
    """``missing-reference`` handler: link ``node`` to where its ``gft`` object is documented."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "").lstrip(".~")
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module and cls:
        candidates.append(f"{module}.{cls}.{target}")
    while module:  # the current module, then its parent packages (which re-export names)
        candidates.append(f"{module}.{target}")
        module = module.rpartition(".")[0]
    table = _documented(app, env)
    for path in candidates:
        if not path.startswith("gft"):
            continue
        obj = _lookup(path)
        hit = None if obj is _MISSING else table.get(id(obj))
        if hit is not None:
            name, docname, anchor = hit
            return make_refnode(app.builder, node["refdoc"], docname, anchor, contnode, name)
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("missing-reference", resolve_reexport)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": False}
