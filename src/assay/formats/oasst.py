"""OpenAssistant conversation trees (one tree per line: `{"message_tree_id", "prompt": {message, "replies"}}`).

`from_oasst_tree` yields one record per ranked sibling group: the assistant replies to one prompter message
that carry a `rank` (0 = best), at least two of them. The conversation is the path from the root to that
parent; the completions are the siblings in an order shuffled deterministically by record id (the parent's
message id); each completion's metadata keeps its `rank`, `message_id` and `synthetic` flag; record
metadata `ranking` lists completion indexes best first. Deleted messages (and the replies under them) are
skipped and counted (`oasst_deleted_skipped`, `oasst_under_deleted_skipped`); unranked siblings of ranked
replies are counted as `oasst_unranked_skipped`.

`best_path_record` follows the best reply at every step (rank 0 among assistant replies; the first
non-deleted prompter reply) for SFT: the last assistant turn is the completion.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assay.domain.records import Completion, Message, Record
from assay.formats.checks import (
    Options,
    Where,
    as_dict,
    as_list,
    check_role,
    describe,
    req_str,
    require,
    stable_order,
)

ROLES = {"prompter": "user", "assistant": "assistant"}
Node = tuple[dict[str, Any], str]  # a message and its field path, for errors


def _message(node: dict[str, Any], where: Where, path: str) -> Message:
    role = check_role(require(node, "role", where, f"{path}.role"), where, f"{path}.role", ROLES)
    return Message(role=role, content=req_str(node, "text", where, f"{path}.text"))


def _replies(node: dict[str, Any], where: Where, path: str) -> list[Node]:
    raw = node.get("replies") or []
    return [
        (as_dict(r, where, f"{path}.replies[{i}]"), f"{path}.replies[{i}]")
        for i, r in enumerate(as_list(raw, where, f"{path}.replies"))
    ]


def _size(node: dict[str, Any]) -> int:
    return 1 + sum(_size(r) for r in node.get("replies") or [] if isinstance(r, dict))


def _live(children: list[Node], opts: Options) -> list[Node]:
    live = []
    for child, path in children:
        if child.get("deleted"):
            opts.stats.add("oasst_deleted_skipped")
            opts.stats.add("oasst_under_deleted_skipped", _size(child) - 1)
        else:
            live.append((child, path))
    return live


def _rank(child: dict[str, Any], where: Where, path: str) -> int | None:
    rank = child.get("rank")
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int)):
        raise where.invalid(f"expected a whole-number rank, got {describe(rank)}", f"{path}.rank")
    return rank


def _tree_root(row: dict[str, Any], where: Where) -> Node:
    root = as_dict(require(row, "prompt", where, "prompt", "an OpenAssistant tree line"), where, "prompt")
    return root, "prompt"


def from_oasst_tree(where: Where, row: dict[str, Any], opts: Options) -> Iterator[Record]:
    """Records for every ranked sibling group in one tree (depth first)."""
    tree_id = str(row.get("message_tree_id", ""))
    root, root_path = _tree_root(row, where)
    if root.get("deleted"):
        opts.stats.add("oasst_deleted_skipped")
        opts.stats.add("oasst_under_deleted_skipped", _size(root) - 1)
        return
    stack: list[tuple[dict[str, Any], str, list[Message]]] = [(root, root_path, [])]
    while stack:
        node, path, before = stack.pop()
        conversation = before + [_message(node, where, path)]
        children = _live(_replies(node, where, path), opts)
        ranked = [
            (c, p) for c, p in children if c.get("role") == "assistant" and _rank(c, where, p) is not None
        ]
        unranked = [c for c, p in children if c.get("role") == "assistant" and c.get("rank") is None]
        if len(ranked) >= 2:
            if unranked:
                opts.stats.add("oasst_unranked_skipped", len(unranked))
            yield _group_record(where, tree_id, node, conversation, ranked)
        stack.extend((c, p, conversation) for c, p in reversed(children))


def _group_record(
    where: Where, tree_id: str, parent: dict[str, Any], conversation: list[Message], ranked: list[Node]
) -> Record:
    rid = str(parent.get("message_id") or f"{tree_id}:{len(conversation)}")
    order = stable_order(rid, len(ranked))
    completions = []
    for i in order:
        child, path = ranked[i]
        completions.append(
            Completion(
                text=req_str(child, "text", where, f"{path}.text"),
                model=str(child.get("model_name") or "oasst-human"),
                metadata={
                    "rank": child["rank"],
                    "message_id": child.get("message_id"),
                    "synthetic": bool(child.get("synthetic")),
                },
            )
        )
    ranking = sorted(range(len(completions)), key=lambda j: completions[j].metadata["rank"])
    metadata = {
        "ranking": ranking,
        "oasst_tree_id": tree_id,
        "oasst_parent_id": parent.get("message_id"),
        "lang": parent.get("lang"),
    }
    return Record(
        external_id=rid,
        messages=conversation,
        completions=completions,
        metadata=metadata,
        source=where.source,
    )


def best_path_record(where: Where, row: dict[str, Any], opts: Options) -> Record | None:
    """The best path of one tree as an SFT record, or None when the tree has no live assistant reply."""
    node, path = _tree_root(row, where)
    if node.get("deleted"):
        return None
    messages = [_message(node, where, path)]
    while True:
        children = _live(_replies(node, where, path), opts)
        if not children:
            break
        ranks = [(_rank(c, where, p), i) for i, (c, p) in enumerate(children)]
        _, best = min((r if r is not None else 1 << 30, i) for r, i in ranks)
        node, path = children[best]
        messages.append(_message(node, where, path))
    while messages and messages[-1].role != "assistant":
        messages.pop()
    if not messages:
        return None
    tree_id = str(row.get("message_tree_id", ""))
    last = messages.pop()
    return Record(
        external_id=f"{tree_id}:best",
        messages=messages,
        completions=[Completion(text=last.content, model="oasst-human")],
        metadata={"oasst_tree_id": tree_id, "oasst_best_path": True},
        source=where.source,
    )
