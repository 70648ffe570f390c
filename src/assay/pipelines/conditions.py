"""Record conditions: one small filter language shared by the dataset explorer and the `filter` step.

A condition is `<field><op><value>`; a list of conditions means all of them (AND). It compiles to one DuckDB
SQL boolean expression over the record columns, so the explorer (over its cached copy of a version) and a
pipeline's `filter: {match: [...]}` (over a batch) select exactly the same records.

Operators: `=` (equals; `a,b` means any of them), `!=` (none of them), `<` `<=` `>` `>=` (numbers),
`~` / `!~` (contains / does not contain, case-insensitive), `?` / `!?` written after the field (is set /
is not set: not null, not empty).

Fields:

| field | what |
|---|---|
| `id`, `source` | document columns |
| `text` | every message and completion text (use `~`) |
| `model` | any completion's model (list field: `=` is "any of") |
| `chars`, `prompt_chars`, `response_chars` | character counts: all text, last user message, first completion (else last assistant message) |
| `turns`, `n_completions` | number of messages, of completions |
| `meta.<key>` | a metadata value as text (`json_extract_string`) |
| `judged`, `judgments` | has pulled judgments (true/false), how many |
| `agreement` | share of judgments whose decisions (choices, labels, verdicts, orders, scores) equal the most common one; unset below two judgments |
| `label`, `choice` | any judgment's label (`labels` answers) / pairwise choice (list fields) |
| any other column | e.g. `language__lang`, `pii__count`, `pii__kinds`, `near_dedup__near_dup_cluster` (attribute columns; a list column such as `pii__kinds` is a list field) |

`compile_conditions(conds, columns)` returns the SQL; `materialized` lets a caller that precomputed a derived
field (the explorer's cache) use its column instead of the expression: the definition stays the same.
Values are always SQL string literals (quotes doubled) or parsed numbers; field names are checked against
the known fields and the given columns, so a condition can never inject SQL.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from assay.errors import Invalid

OPS = ("!=", "<=", ">=", "!~", "=", "<", ">", "~")
FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$|^meta\.[A-Za-z0-9_\-]+$")

_MSG_TEXT = "list_transform(messages, lambda m: coalesce(m.content, ''))"
_COMP_TEXT = "list_transform(completions, lambda c: coalesce(c.text, ''))"
_DECISIONS = ("list_transform(coalesce(json_extract(metadata, '$.judgments[*].answers'), []), lambda a: concat_ws("
              "'|', json_extract(a, '$.*.choice')::VARCHAR, json_extract(a, '$.*.labels')::VARCHAR, "
              "json_extract(a, '$.*.verdicts')::VARCHAR, json_extract(a, '$.*.order')::VARCHAR, "
              "json_extract(a, '$.*.scores')::VARCHAR))")

#: Derived fields: name -> (DuckDB expression over the document columns, kind).
DERIVED: dict[str, tuple[str, str]] = {
    "text": (f"array_to_string(list_concat({_MSG_TEXT}, {_COMP_TEXT}), chr(10))", "text"),
    "model": ("list_transform(completions, lambda c: c.model)", "list"),
    "chars": (f"coalesce(list_sum(list_transform(list_concat({_MSG_TEXT}, {_COMP_TEXT}), lambda t: length(t))), 0)",
              "number"),
    "prompt_chars": ("length(coalesce(list_filter(messages, lambda m: m.role = 'user')[-1].content, ''))", "number"),
    "response_chars": (("length(coalesce(completions[1].text, "
                        "list_filter(messages, lambda m: m.role = 'assistant')[-1].content, ''))"), "number"),
    "turns": ("coalesce(len(messages), 0)", "number"),
    "n_completions": ("coalesce(len(completions), 0)", "number"),
    "judgments": ("coalesce(json_array_length(metadata, '$.judgments'), 0)", "number"),
    "judged": ("coalesce(json_array_length(metadata, '$.judgments'), 0) > 0", "bool"),
    "agreement": ((f"CASE WHEN len({_DECISIONS}) >= 2 THEN len(list_filter({_DECISIONS}, lambda y: y = "
                   f"list_aggregate({_DECISIONS}, 'mode'))) / len({_DECISIONS}) END"), "number"),
    "label": ("coalesce(json_extract_string(metadata, '$.judgments[*].answers.*.labels[*]'), [])", "list"),
    "choice": ("coalesce(json_extract_string(metadata, '$.judgments[*].answers.*.choice'), [])", "list"),
}


@dataclass(frozen=True)
class Condition:
    """One test: `field op value` (`op` is one of OPS, `set` or `unset`)."""

    field: str
    op: str
    value: str = ""

    def __str__(self) -> str:
        if self.op in ("set", "unset"):
            return f"{self.field}{'?' if self.op == 'set' else '!?'}"
        return f"{self.field}{self.op}{self.value}"


def parse_condition(text: str) -> Condition:
    """Parse `field op value` (e.g. `language__lang=en,de`, `chars<2000`, `text~refund`, `near_dedup__near_dup_cluster?`).
    Raises Invalid naming the problem."""
    s = text.strip()
    unset = s.endswith("!?")
    name = (s[:-2] if unset else s[:-1]).strip()
    if s.endswith("?") and FIELD_RE.match(name):  # `field?` / `field!?`; `text~?` is a search for "?"
        return Condition(name, "unset" if unset else "set")
    best: tuple[int, str] | None = None
    for op in OPS:
        i = s.find(op)
        if i > 0 and (best is None or i < best[0] or (i == best[0] and len(op) > len(best[1]))):
            best = (i, op)
    if best is None:
        raise Invalid(f"condition {text!r}: write FIELD OP VALUE with OP one of {' '.join(OPS)}, "
                      f"or FIELD? / FIELD!? (e.g. language__lang=en or chars<2000)")
    i, op = best
    return _checked(Condition(s[:i].strip(), op, s[i + len(op):].strip()))


def _checked(c: Condition) -> Condition:
    if not FIELD_RE.match(c.field):
        raise Invalid(f"condition {str(c)!r}: {c.field!r} is not a field name")
    if c.op in ("<", "<=", ">", ">="):
        _number(c)
    return c


def parse_conditions(texts: Iterable[str]) -> list[Condition]:
    """Parse every non-blank condition text."""
    return [parse_condition(t) for t in texts if t and t.strip()]


def _number(c: Condition) -> str:
    try:
        return repr(float(c.value))
    except ValueError:
        raise Invalid(f"condition {str(c)!r}: {c.value!r} is not a number") from None


def _lit(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def field_expr(name: str, columns: Collection[str], materialized: Mapping[str, str] | None = None,
               list_columns: Collection[str] = ()) -> tuple[str, str]:
    """(SQL expression, kind) of a field; kind is text, number, bool, list or column. A column named in
    `list_columns` (a list-typed attribute such as `pii__kinds`) is of kind list. Raises Invalid for an
    unknown field, listing the known ones."""
    if materialized and name in materialized:
        return materialized[name], DERIVED[name][1] if name in DERIVED else "column"
    if name in DERIVED:
        return DERIVED[name]
    if name.startswith("meta."):
        return f"json_extract_string(metadata, {_lit('$.' + chr(34) + name[5:] + chr(34))})", "text"
    if name in columns:
        return f'"{name}"', "list" if name in list_columns else "column"
    known = sorted(set(DERIVED) | {c for c in columns if c not in ("messages", "completions", "code")})
    raise Invalid(f"unknown field {name!r}; use meta.<key> or one of: {', '.join(known)}")


def condition_sql(c: Condition, columns: Collection[str], materialized: Mapping[str, str] | None = None,
                  list_columns: Collection[str] = ()) -> str:
    """The SQL boolean expression of one condition (NULL-safe: a missing value never matches `=`, `<`, `~`).
    On a list field `=` means "holds any of", `?` "has at least one item"."""
    expr, kind = field_expr(c.field, columns, materialized, list_columns)
    values = [v.strip() for v in c.value.split(",")] if c.op in ("=", "!=") else [c.value]
    if kind == "list":
        if c.op in ("set", "unset"):
            return f"({'' if c.op == 'set' else 'NOT '}coalesce(len({expr}), 0) > 0)"
        if c.op in ("=", "!="):
            arr = "[" + ", ".join(_lit(v) for v in values) + "]::VARCHAR[]"
            test = f"coalesce(list_has_any({expr}::VARCHAR[], {arr}), false)"
            return test if c.op == "=" else f"(NOT {test})"
        if c.op in ("~", "!~"):
            test = f"coalesce(list_bool_or(list_transform({expr}, lambda v: contains(lower(v), {_lit(c.value.lower())}))), false)"
            return test if c.op == "~" else f"(NOT {test})"
        raise Invalid(f"condition {str(c)!r}: {c.field} is a list; use =, !=, ~, !~, ? or !?")
    if kind == "bool" and c.op in ("=", "!="):
        truth = values[0].lower() in ("1", "true", "yes", "y", "t")
        if values[0].lower() not in ("1", "0", "true", "false", "yes", "no", "y", "n", "t", "f"):
            raise Invalid(f"condition {str(c)!r}: {c.field} is true or false")
        return f"(coalesce({expr}, false) = {'true' if truth == (c.op == '=') else 'false'})"
    if c.op == "set":
        return f"({expr} IS NOT NULL AND CAST({expr} AS VARCHAR) <> '')"
    if c.op == "unset":
        return f"({expr} IS NULL OR CAST({expr} AS VARCHAR) = '')"
    if c.op in ("<", "<=", ">", ">="):
        return f"coalesce(TRY_CAST({expr} AS DOUBLE) {c.op} {_number(c)}, false)"
    if c.op in ("~", "!~"):
        test = f"coalesce(contains(lower(CAST({expr} AS VARCHAR)), {_lit(c.value.lower())}), false)"
        return test if c.op == "~" else f"(NOT {test})"
    if kind == "number":
        nums = [_number(Condition(c.field, c.op, v)) for v in values]
        test = f"coalesce(CAST({expr} AS DOUBLE) IN ({', '.join(nums)}), false)"
    else:
        test = f"coalesce(CAST({expr} AS VARCHAR) IN ({', '.join(_lit(v) for v in values)}), false)"
    return test if c.op == "=" else f"(NOT {test})"


def compile_conditions(conds: Iterable[Condition | str], columns: Collection[str],
                       materialized: Mapping[str, str] | None = None, list_columns: Collection[str] = ()) -> str:
    """One SQL boolean expression that is true when every condition holds (`true` for none).
    `list_columns`: the list-typed columns among `columns` (see `list_columns_of`)."""
    parsed = [c if isinstance(c, Condition) else parse_condition(c) for c in conds]
    if not parsed:
        return "true"
    return " AND ".join(f"({condition_sql(c, columns, materialized, list_columns)})" for c in parsed)


def list_columns_of(types: Mapping[str, str]) -> list[str]:
    """The names of list-typed columns, from column name -> Arrow type text (`str(pa.list_(pa.string()))`
    is `list<item: string>`), as a schema or a version manifest gives them."""
    return [n for n, t in types.items() if t.startswith(("list<", "large_list<", "fixed_size_list<"))]
