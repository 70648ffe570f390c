"""A version's ancestry as a laid-out graph (for a server-rendered SVG) and diffs between versions.

`lineage_graph(db, ref)` places each ancestor in a column by its distance from `ref` (the version itself
on the right, its parents left of it, …) and spreads each column vertically; edges run parent → child.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assay.datasets import VersionDiff, diff_versions
from assay.services.explorer.browse import store_of
from assay.store.db import Db

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 210, 58, 70, 24, 10


@dataclass
class LineageNode:
    ref: str
    rows: int
    made_by: str
    depth: int
    x: int = 0
    y: int = 0


@dataclass
class LineageGraph:
    """Nodes with box positions (top-left x, y; NODE_W × NODE_H), edges (parent ref, child ref) with
    line end points, and the picture's size."""

    ref: str
    nodes: list[LineageNode] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    width: int = 0
    height: int = 0
    node_w: int = NODE_W
    node_h: int = NODE_H

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "width": self.width, "height": self.height, "node_w": self.node_w,
                "node_h": self.node_h, "nodes": [n.__dict__ for n in self.nodes], "edges": self.edges}


def _made_by(pipeline: dict[str, Any] | None, steps: list[dict[str, Any]]) -> str:
    if steps:
        return ", ".join(str(s.get("id") or s.get("step")) for s in steps)[:40]
    if not pipeline:
        return ""
    for k in ("pulled_from_project", "source", "path", "generated"):
        if k in pipeline:
            return f"{k.replace('_', ' ')}: {pipeline[k]}"[:40]
    return next(iter(pipeline), "")[:40]


def lineage_graph(db: Db, ref: str, visible: Callable[[str], bool] | None = None) -> LineageGraph:
    """The ancestry of `ref` laid out for drawing; with `visible` (dataset name → may the caller see it),
    ancestors in datasets the caller may not see are left out. Raises NotFound for an unknown version."""
    store = store_of(db)
    ms = store.lineage(ref)
    start = ms[0]
    if visible is not None:
        ms = [start, *(m for m in ms[1:] if visible(m.dataset))]
    depth = {start.ref: 0}
    for m in ms:  # breadth-first order: parents come after their children
        for p in m.parents:
            depth.setdefault(p, depth[m.ref] + 1)
    by_ref = {m.ref: m for m in ms}
    g = LineageGraph(ref=start.ref)
    max_d = max(depth[m.ref] for m in ms)
    columns: dict[int, list[LineageNode]] = {}
    for m in ms:
        d = depth[m.ref]
        node = LineageNode(m.ref, m.row_count, _made_by(m.pipeline, m.steps), d)
        columns.setdefault(d, []).append(node)
        g.nodes.append(node)
    tallest = max(len(c) for c in columns.values())
    g.width = PAD * 2 + (max_d + 1) * NODE_W + max_d * GAP_X
    g.height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y
    for d, nodes in columns.items():
        top = PAD + (g.height - 2 * PAD - (len(nodes) * NODE_H + (len(nodes) - 1) * GAP_Y)) // 2
        for i, n in enumerate(nodes):
            n.x = PAD + (max_d - d) * (NODE_W + GAP_X)
            n.y = top + i * (NODE_H + GAP_Y)
    pos = {n.ref: n for n in g.nodes}
    for m in ms:
        for p in m.parents:
            if p in pos and p in by_ref:
                a, b = pos[p], pos[m.ref]
                g.edges.append({"parent": p, "child": m.ref, "x1": a.x + NODE_W, "y1": a.y + NODE_H // 2,
                                "x2": b.x, "y2": b.y + NODE_H // 2})
    return g


def version_diff(db: Db, a: str, b: str, examples: int = 5) -> VersionDiff:
    """Records added, removed and changed from version `a` to `b` (document fields), with examples."""
    return diff_versions(store_of(db), a, b, examples=examples)
