"""Chat-shaped rows: Assay's own JSONL, OpenAI `messages`, ShareGPT `conversations`, prompt/response pairs.

Each function turns one row into one `Record` or raises `Invalid` naming the line and field.
Rules shared by the foreign chat formats: when the conversation ends with an assistant turn, that turn
becomes the record's one completion (its tool calls kept in the completion's metadata); top-level keys the
format does not use are kept in `metadata`.
"""

from __future__ import annotations

from typing import Any

from assay.domain.records import CodeTask, Completion, Message, Record
from assay.formats.checks import (
    Options,
    Where,
    as_dict,
    as_list,
    as_str,
    check_role,
    opt_str,
    parse_message,
    req_str,
    require,
    source_id,
    stable_order,
)

OPENAI_ROLES = {"developer": "system", "function": "tool"}
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "system": "system",
    "tool": "tool",
    "function": "tool",
    "observation": "tool",
}
CODE_FIELDS = ("language", "entry_point", "visible_tests", "hidden_tests", "reference_solution")


def _extra_metadata(row: dict[str, Any], used: set[str], where: Where) -> dict[str, Any]:
    meta = dict(as_dict(row["metadata"], where, "metadata")) if row.get("metadata") is not None else {}
    for k, v in row.items():
        if k not in used and k != "metadata":
            meta.setdefault(k, v)
    return meta


def _split_last_assistant(messages: list[Message], model: str) -> tuple[list[Message], list[Completion]]:
    if not messages or messages[-1].role != "assistant":
        return messages, []
    last = messages[-1]
    meta: dict[str, Any] = {"tool_calls": last.tool_calls} if last.tool_calls else {}
    return messages[:-1], [Completion(text=last.content, model=model, metadata=meta)]


def _completion(value: Any, where: Where, path: str) -> Completion:
    if isinstance(value, str):
        return Completion(text=value)
    c = as_dict(value, where, path)
    meta = c.get("metadata")
    return Completion(
        text=req_str(c, "text", where, f"{path}.text"),
        model=opt_str(c, "model", where, f"{path}.model"),
        metadata=dict(as_dict(meta, where, f"{path}.metadata")) if meta is not None else {},
    )


def _prompt_messages(
    row: dict[str, Any], where: Where, aliases: dict[str, str] | None = None
) -> list[Message]:
    """`messages` (a list) or `prompt` (a string, or a list of messages), plus an optional `system` string."""
    if row.get("messages") is not None:
        raw = as_list(row["messages"], where, "messages")
        return [parse_message(m, where, f"messages[{i}]", aliases) for i, m in enumerate(raw)]
    prompt = require(row, "prompt", where, "prompt", 'each record needs "messages" or "prompt"')
    if isinstance(prompt, list):
        messages = [parse_message(m, where, f"prompt[{i}]", aliases) for i, m in enumerate(prompt)]
    else:
        messages = [Message(role="user", content=as_str(prompt, where, "prompt"))]
    system = opt_str(row, "system", where)
    return ([Message(role="system", content=system)] if system else []) + messages


def from_assay(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """Assay's own shape: `{"id", "messages" | "prompt", "completions", "metadata", "code"}` (what
    `Record.to_dict` writes). Completions may be plain strings. A `source` field in the row is kept as
    `metadata["upstream_source"]`."""
    messages = _prompt_messages(row, where)
    raw = row.get("completions")
    completions = (
        []
        if raw is None
        else [
            _completion(c, where, f"completions[{i}]")
            for i, c in enumerate(as_list(raw, where, "completions"))
        ]
    )
    meta = row.get("metadata")
    metadata = dict(as_dict(meta, where, "metadata")) if meta is not None else {}
    if row.get("source"):
        metadata.setdefault("upstream_source", row["source"])
    code = None
    if row.get("code") is not None:
        c = as_dict(row["code"], where, "code")
        code = CodeTask(
            problem=req_str(c, "problem", where, "code.problem"),
            **{k: opt_str(c, k, where, f"code.{k}") for k in CODE_FIELDS if c.get(k) is not None},
        )
    return Record(
        external_id=source_id(row, "id", where),
        messages=messages,
        completions=completions,
        metadata=metadata,
        code=code,
        source=where.source,
    )


def from_openai(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """OpenAI chat: `{"messages": [{"role", "content", "tool_calls"?, "tool_call_id"?}], "model"?}`.
    `tool_call_id`s of tool turns are kept in `metadata["tool_call_ids"]` (message index → id)."""
    raw = as_list(require(row, "messages", where), where, "messages")
    messages = [parse_message(m, where, f"messages[{i}]", OPENAI_ROLES) for i, m in enumerate(raw)]
    call_ids = {str(i): m["tool_call_id"] for i, m in enumerate(raw) if m.get("tool_call_id")}
    messages, completions = _split_last_assistant(messages, opt_str(row, "model", where))
    metadata = _extra_metadata(row, {"messages", "model", "id"}, where)
    if call_ids:
        metadata["tool_call_ids"] = call_ids
    return Record(
        external_id=source_id(row, "id", where),
        messages=messages,
        completions=completions,
        metadata=metadata,
        source=where.source,
    )


def from_sharegpt(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """ShareGPT: `{"conversations": [{"from": "human" | "gpt" | "system" | …, "value"}]}`; an optional
    top-level `system` string becomes the first message."""
    raw = as_list(require(row, "conversations", where), where, "conversations")
    messages = []
    system = opt_str(row, "system", where)
    if system:
        messages.append(Message(role="system", content=system))
    for i, turn in enumerate(raw):
        t = as_dict(turn, where, f"conversations[{i}]")
        role = check_role(
            require(t, "from", where, f"conversations[{i}].from"),
            where,
            f"conversations[{i}].from",
            SHAREGPT_ROLES,
        )
        messages.append(Message(role=role, content=req_str(t, "value", where, f"conversations[{i}].value")))
    messages, completions = _split_last_assistant(messages, opt_str(row, "model", where))
    return Record(
        external_id=source_id(row, "id", where),
        messages=messages,
        completions=completions,
        metadata=_extra_metadata(row, {"conversations", "system", "model", "id"}, where),
        source=where.source,
    )


def _answer_text(value: Any, where: Where, path: str) -> str:
    """A response given as a string, or as a message list whose last turn is the assistant's answer."""
    if isinstance(value, list):
        if not value:
            raise where.invalid("expected a non-empty list of messages", path)
        last = parse_message(value[-1], where, f"{path}[{len(value) - 1}]", OPENAI_ROLES)
        if last.role != "assistant":
            raise where.invalid(
                f"the last message must be the assistant's answer, got role {last.role!r}",
                f"{path}[{len(value) - 1}].role",
            )
        return last.content
    return as_str(value, where, path)


PROMPT_ALIASES = ("question", "instruction")
RESPONSE_ALIASES = ("answer", "output")


def _with_aliases(row: dict[str, Any]) -> dict[str, Any]:
    """GSM8K-style `question`/`answer` and Alpaca-style `instruction`(+`input`)/`output` rows, read as
    `prompt`/`response` (the original keys are not repeated in metadata)."""
    out = dict(row)
    if out.get("prompt") is None:
        if isinstance(out.get("question"), str):
            out["prompt"] = out.pop("question")
        elif isinstance(out.get("instruction"), str):
            extra = out.pop("input", None)
            out["prompt"] = out.pop("instruction") + (f"\n\n{extra}" if isinstance(extra, str) and extra else "")
    if all(out.get(k) is None for k in ("response", "completion", "chosen", "rejected")):
        for k in RESPONSE_ALIASES:
            if isinstance(out.get(k), str):
                out["response"] = out.pop(k)
                break
    return out


def from_prompt_response(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """`prompt` (+ `system`) with either one answer (`response` or `completion`) or a preference pair
    (`chosen` + `rejected`). A pair's order is shuffled deterministically by record id and the source's
    preference kept only in `metadata["source_chosen"]` (the chosen completion's index). When `prompt` is
    absent and `chosen` is a message list, the turns before its last message are the conversation.
    GSM8K (`question`/`answer`) and Alpaca (`instruction`/`input`/`output`) rows are read the same way."""
    row = _with_aliases(row)
    if row.get("prompt") is None and isinstance(row.get("chosen"), list) and len(row["chosen"]) > 1:
        prefix = as_list(row["chosen"], where, "chosen")[:-1]
        messages = [parse_message(m, where, f"chosen[{i}]", OPENAI_ROLES) for i, m in enumerate(prefix)]
    else:
        messages = _prompt_messages(row, where, OPENAI_ROLES)
    rid = source_id(row, "id", where)
    used = {
        "prompt",
        "system",
        "id",
        "response",
        "completion",
        "chosen",
        "rejected",
        "model",
        "chosen_model",
        "rejected_model",
    }
    metadata = _extra_metadata(row, used, where)
    if row.get("chosen") is not None or row.get("rejected") is not None:
        pair = [
            Completion(
                text=_answer_text(require(row, "chosen", where), where, "chosen"),
                model=opt_str(row, "chosen_model", where),
            ),
            Completion(
                text=_answer_text(require(row, "rejected", where), where, "rejected"),
                model=opt_str(row, "rejected_model", where),
            ),
        ]
        order = stable_order(rid, 2)
        completions = [pair[i] for i in order]
        metadata["source_chosen"] = order.index(0)
    else:
        key = "response" if row.get("response") is not None else "completion"
        text = _answer_text(
            require(
                row, key, where, "response", 'give "response" or "completion", or "chosen" and "rejected"'
            ),
            where,
            key,
        )
        completions = [Completion(text=text, model=opt_str(row, "model", where))]
    return Record(
        external_id=rid, messages=messages, completions=completions, metadata=metadata, source=where.source
    )
