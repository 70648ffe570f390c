"""Check a project's settings as the browser editor writes them: YAML text → a `ProjectSpec`, or errors that
name the line and the field.

`check_text(text)` never raises for bad input: it returns a `Checked` with `errors` (each with a 1-based
`line` in `text` when one can be found, the dotted `field`, and a message saying what to do) and, when there
are none, the `spec`. Untrusted input is bounded: at most `MAX_CHARS` characters, `MAX_NODES` YAML nodes
after expanding aliases (a "billion laughs" document is refused before it is built), no recursive aliases,
at most `MAX_BRACKETS` '['/'{' and `MAX_INDENT` columns of indentation (PyYAML's scanner is quadratic in
nesting depth), at most `MAX_QUESTIONS` questions.

Beyond `ProjectSpec.from_dict`, this checks each question's options for its kind (a rating needs
dimensions, labels need choices, …) and the project settings the product reads (`gold`, `review`,
`authoring`, the trainer-page switches); settings keys nobody reads are warnings, not errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from assay.domain.projects import NAME_RE, ProjectSpec
from assay.domain.questions import QuestionKind
from assay.errors import Invalid
from assay.services.annotation.review import ReviewPolicy
from assay.services.authoring.views import parse_settings
from assay.services.code.limits import check_ceiling
from assay.services.quality.gold import GoldPolicy

MAX_CHARS = 200_000
MAX_NODES = 20_000
MAX_QUESTIONS = 50
MAX_BRACKETS = 400  # '[' and '{' characters: a sound bound on flow nesting (PyYAML scans nesting in quadratic time)
MAX_INDENT = 120  # leading spaces, '-' and '?' of a line: a bound on block nesting
TOP_KEYS = ("name", "title", "annotators_per_record", "lease_minutes", "guidelines", "questions", "settings")
QUESTION_KEYS = ("name", "kind", "title", "help", "required", "options")
SWITCHES = ("show_suggestions", "show_models", "edit_after_submit")
KNOWN_SETTINGS = (*SWITCHES, "idle_seconds", "gold", "review", "authoring", "sft_gold_question", "code_cpu_ceiling")
QUESTION_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True)
class SpecError:
    """One problem: `line` (1-based, in the YAML text; None when no line fits), `field` (dotted path such as
    `questions[2].options.dimensions`, "" for the whole document) and `message`."""

    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else ""
        what = ", ".join(x for x in (where, self.field) if x)
        return f"{what}: {self.message}" if what else self.message


@dataclass(frozen=True)
class Checked:
    """The result of a check: `data` (the parsed mapping, None when the YAML did not parse), `spec` (None
    unless `errors` is empty) and `warnings` (never block saving)."""

    data: dict[str, Any] | None
    spec: ProjectSpec | None
    errors: tuple[SpecError, ...] = ()
    warnings: tuple[SpecError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and self.spec is not None

    def message(self) -> str:
        """All errors in one sentence each (for an `Invalid`)."""
        return "; ".join(str(e) for e in self.errors)


@dataclass
class _Ctx:
    root: yaml.Node | None
    errors: list[SpecError] = field(default_factory=list)
    warnings: list[SpecError] = field(default_factory=list)

    def err(self, path: list[str | int], message: str, *, warn: bool = False) -> None:
        e = SpecError(line_of(self.root, path), dotted(path), message)
        (self.warnings if warn else self.errors).append(e)


def dotted(path: list[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def line_of(root: yaml.Node | None, path: list[str | int]) -> int | None:
    """The 1-based line of the node at `path` (a mapping key's own line for a key), or of its nearest
    existing parent; None without a document."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for p in path:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(p, str):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == p:
                    line, nxt = k.start_mark.line + 1, v
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(p, int) and 0 <= p < len(node.value):
            nxt = node.value[p]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def _expanded_size(node: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded (memoised, so linear in the text).
    Raises Invalid for a recursive alias or a document over MAX_NODES."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(n: yaml.Node) -> int:
        key = id(n)
        if key in memo:
            return memo[key]
        if key in active:
            raise Invalid("the YAML refers to itself (a recursive alias); write the values out")
        active.add(key)
        total = 1
        if isinstance(n, yaml.SequenceNode):
            total += sum(size(c) for c in n.value)
        elif isinstance(n, yaml.MappingNode):
            _refuse_repeated_keys(n)
            total += sum(size(k) + size(v) for k, v in n.value)
        active.discard(key)
        if total > MAX_NODES:
            raise Invalid(f"the YAML expands to more than {MAX_NODES:,} values (aliases included); "
                          "project settings are much smaller — remove the repeated aliases")
        memo[key] = total
        return total

    return size(node)


def _refuse_repeated_keys(mapping: yaml.MappingNode) -> None:
    """Refuse a key written twice in one mapping: YAML loaders silently keep the last one, so a second
    `settings:` block would drop every setting of the first without a word. Raises Invalid naming the line."""
    seen: dict[str, int] = {}
    for k, _v in mapping.value:
        if not isinstance(k, yaml.ScalarNode) or k.value == "<<":
            continue
        line = k.start_mark.line + 1
        if k.value in seen:
            raise Invalid(f"'{k.value}' is written twice in the same block (first on line {seen[k.value]}); "
                          "the second would silently replace the first — merge them into one",
                          details={"line": line})
        seen[k.value] = line


def _guard_nesting(text: str) -> None:
    """Refuse text that could nest deeper than a project file ever needs, before PyYAML reads it: its scanner
    takes time quadratic in the nesting depth (5,000 '[' cost 11 s). Counting every '[' and '{' (quoted or
    not) bounds the flow depth whatever the quoting; a line's leading spaces and '-'/'?' bound the block
    depth. Raises Invalid naming the line."""
    opened = 0
    for n, line in enumerate(text.split("\n"), 1):
        if len(line) - len(line.lstrip(" -?")) > MAX_INDENT:
            raise Invalid(f"indented more than {MAX_INDENT} columns; project settings need only a few "
                          "levels", details={"line": n})
        opened += line.count("[") + line.count("{")
        if opened > MAX_BRACKETS:
            raise Invalid(f"more than {MAX_BRACKETS} '[' and '{{' in the settings; write long lists in "
                          "block style (one '- item' per line)", details={"line": n})


def parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """(node tree, data) of one YAML document, bounded as the module says. Raises Invalid with the line."""
    if len(text) > MAX_CHARS:
        raise Invalid(f"the settings are {len(text):,} characters long; at most {MAX_CHARS:,} are accepted "
                      "(move long guidelines into a shorter summary or a linked document)")
    _guard_nesting(text)
    try:
        loader = yaml.SafeLoader(text)  # its reader refuses control characters here, before any parsing
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, max(0, e.position)) + 1
        raise Invalid(f"not valid YAML: character {e.character:#06x} is not allowed (control "
                      "characters cannot appear in YAML)", details={"line": line}) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _expanded_size(node)
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"column {mark.column + 1}: " if mark else ""
        what = " ".join(x for x in (e.context, e.problem) if x)
        raise Invalid(f"{where}not valid YAML: {what}", details={"line": mark.line + 1 if mark else None})
    except yaml.YAMLError as e:
        raise Invalid(f"not valid YAML: {e}")
    except RecursionError:
        raise Invalid("the YAML is nested too deeply to read; project settings need only a few levels")
    finally:
        loader.dispose()


def check_text(text: str) -> Checked:
    """Parse and check the editor's YAML (see the module doc). Never raises for bad input."""
    try:
        root, data = parse_yaml(text)
    except Invalid as e:
        return Checked(None, None, (SpecError(e.details.get("line"), "", e.message),))
    return check_data(data, root)


def check_data(data: Any, root: yaml.Node | None = None) -> Checked:
    """Check a parsed settings mapping; `root` (its YAML nodes) lets errors name lines."""
    c = _Ctx(root)
    if not isinstance(data, dict):
        c.err([], "the settings must be a mapping with at least name and questions, e.g. `name: my-project`")
        return Checked(None, None, tuple(c.errors))
    try:  # what is stored is JSON: numeric keys become text (as they will be in the database)
        data = json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError):
        c.err(_first_bad_json(data, []) or [], "only text, numbers, true/false, lists and mappings are allowed "
                                               "here (quote dates, no binary values, no .nan or .inf)")
        return Checked(None, None, tuple(c.errors))
    for key in data:
        if key not in TOP_KEYS:
            c.err([str(key)], f"unknown field {key!r}; the fields are {', '.join(TOP_KEYS)}")
    _check_top(c, data)
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        c.err(["questions"], "questions must be a non-empty list (- name: …, kind: …)")
    elif len(questions) > MAX_QUESTIONS:
        c.err(["questions"], f"{len(questions)} questions; a project asks at most {MAX_QUESTIONS}")
    else:
        _check_questions(c, questions)
    settings = data.get("settings")
    if settings is not None:
        _check_settings(c, settings)
    spec = None
    if not c.errors:
        try:
            spec = ProjectSpec.from_dict(data)
        except (Invalid, TypeError, ValueError) as e:
            c.err([], e.message if isinstance(e, Invalid) else str(e))
    return Checked(data, spec if not c.errors else None, tuple(c.errors), tuple(c.warnings))


def _int(c: _Ctx, data: dict[str, Any], key: str, lo: int, hi: int) -> None:
    if key not in data:
        return
    v = data[key]
    if isinstance(v, bool) or not isinstance(v, int):
        c.err([key], f"{key} must be a whole number between {lo} and {hi}, not {v!r}")
    elif not lo <= v <= hi:
        c.err([key], f"{key} must be between {lo} and {hi}, not {v}")


def _check_top(c: _Ctx, data: dict[str, Any]) -> None:
    name = data.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        c.err(["name"], "name (the slug used by the CLI and in file names) must be lowercase letters, digits, "
                        "'-' or '_', starting with a letter or digit, at most 120 characters")
    for key, limit in (("title", 200), ("guidelines", 100_000)):
        v = data.get(key)
        if v is not None and not isinstance(v, str):
            c.err([key], f"{key} must be text")
        elif isinstance(v, str) and len(v) > limit:
            c.err([key], f"{key} is {len(v):,} characters; at most {limit:,}")
    _int(c, data, "annotators_per_record", 1, 50)
    _int(c, data, "lease_minutes", 1, 7 * 24 * 60)


def _check_questions(c: _Ctx, questions: list[Any]) -> None:
    seen: dict[str, int] = {}
    for i, q in enumerate(questions):
        at: list[str | int] = ["questions", i]
        if not isinstance(q, dict):
            c.err(at, "each question must be a mapping with at least name and kind")
            continue
        for key in q:
            if key not in QUESTION_KEYS:
                c.err([*at, str(key)], f"unknown question field {key!r}; the fields are {', '.join(QUESTION_KEYS)}")
        name = q.get("name")
        if not isinstance(name, str) or not QUESTION_NAME_RE.match(name):
            c.err([*at, "name"], "a question needs a name of letters, digits and underscores (at most 64)")
        elif name in seen:
            c.err([*at, "name"], f"question name {name!r} is used twice (also questions[{seen[name]}])")
        else:
            seen[name] = i
        kind = q.get("kind")
        kinds = [k.value for k in QuestionKind]
        if kind not in kinds:
            c.err([*at, "kind"], f"kind {kind!r} is not a question kind; use one of {', '.join(kinds)}")
        for key in ("title", "help"):
            if q.get(key) is not None and not isinstance(q.get(key), str):
                c.err([*at, key], f"{key} must be text")
        if "required" in q and not isinstance(q["required"], bool):
            c.err([*at, "required"], "required must be true or false")
        options = q.get("options")
        if options is None:
            options = {}
        if not isinstance(options, dict):
            c.err([*at, "options"], "options must be a mapping, e.g. {choices: [a, b]}")
        elif kind in kinds:
            _check_options(c, [*at, "options"], QuestionKind(kind), options)


def _names(c: _Ctx, at: list[str | int], raw: Any, what: str, *, required: bool) -> None:
    if raw is None and not required:
        return
    if not isinstance(raw, list) or (required and not raw):
        c.err(at, f"{what} must be a {'non-empty ' if required else ''}list of names, e.g. [helpful, harmful]")
        return
    for j, v in enumerate(raw):
        if not isinstance(v, str) or not v.strip() or len(v) > 80:
            c.err([*at, j], f"each of {what} must be a short name (text, at most 80 characters)")
            return
    if len(set(raw)) != len(raw):
        c.err(at, f"{what} repeat a name")


def _check_options(c: _Ctx, at: list[str | int], kind: QuestionKind, o: dict[str, Any]) -> None:
    def flag(key: str) -> None:
        if key in o and not isinstance(o[key], bool):
            c.err([*at, key], f"{key} must be true or false")

    def number(key: str, lo: int, hi: int) -> None:
        v = o.get(key)
        if key in o and (isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi):
            c.err([*at, key], f"{key} must be a whole number between {lo} and {hi}")

    if kind is QuestionKind.rating:
        dims = o.get("dimensions")
        if not isinstance(dims, list) or not dims:
            c.err([*at, "dimensions"], "a rating needs dimensions: a list of {name, min, max}, e.g. "
                                       "[{name: helpfulness, min: 1, max: 5}]")
            return
        names = []
        for j, d in enumerate(dims):
            if not isinstance(d, dict) or not isinstance(d.get("name"), str) or not d["name"].strip():
                c.err([*at, "dimensions", j], "each dimension needs a name (and optionally min, max, labels)")
                continue
            names.append(d["name"])
            lo, hi = d.get("min", 1), d.get("max", 5)
            if any(isinstance(x, bool) or not isinstance(x, int) for x in (lo, hi)) or not lo < hi \
                    or hi - lo > 10:
                c.err([*at, "dimensions", j], "min and max must be whole numbers with min < max, at most 10 apart")
            if "labels" in d and not isinstance(d["labels"], dict):
                c.err([*at, "dimensions", j, "labels"], "labels must map a score to its name, e.g. {1: poor}")
        if len(set(names)) != len(names):
            c.err([*at, "dimensions"], "dimension names repeat")
    elif kind is QuestionKind.labels:
        _names(c, [*at, "choices"], o.get("choices"), "choices", required=True)
        flag("multi")
        flag("per_completion")
    elif kind is QuestionKind.spans:
        _names(c, [*at, "labels"], o.get("labels"), "labels", required=False)
    elif kind is QuestionKind.text:
        number("min_length", 0, 100_000)
        number("rows", 1, 60)
        number("prefill_from", 0, 9)
        if o.get("prefill", "none") not in ("none", "completion"):
            c.err([*at, "prefill"], "prefill must be 'none' or 'completion' (a gold answer starting from a response)")
        flag("gold")
    elif kind is QuestionKind.pairwise:
        number("a", 0, 9)
        number("b", 0, 9)


def _first_bad_json(value: Any, path: list[str | int]) -> list[str | int] | None:
    """The path of the first value that is not plain JSON (dates, sets, non-text keys), else None."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                return [*path, str(k)]
            bad = _first_bad_json(v, [*path, k if isinstance(k, str) else str(k)])
            if bad is not None:
                return bad
        return None
    if isinstance(value, list):
        for j, v in enumerate(value):
            bad = _first_bad_json(v, [*path, j])
            if bad is not None:
                return bad
        return None
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return path
    return None


def _check_settings(c: _Ctx, settings: Any) -> None:
    at: list[str | int] = ["settings"]
    if not isinstance(settings, dict):
        c.err(at, "settings must be a mapping (gold, review, authoring, show_suggestions, …)")
        return
    for key in settings:
        if key not in KNOWN_SETTINGS:
            c.err([*at, key], f"no part of Assay reads the setting {key!r} (known: {', '.join(KNOWN_SETTINGS)}); "
                              "it is kept but does nothing", warn=True)
    for key in SWITCHES:
        if key in settings and not isinstance(settings[key], bool):
            c.err([*at, key], f"{key} must be true or false")
    idle = settings.get("idle_seconds")
    if "idle_seconds" in settings and (isinstance(idle, bool) or not isinstance(idle, int) or not 10 <= idle <= 3600):
        c.err([*at, "idle_seconds"], "idle_seconds must be a whole number of seconds between 10 and 3600")
    if "code_cpu_ceiling" in settings:
        try:
            check_ceiling(settings["code_cpu_ceiling"])
        except Invalid as e:
            c.err([*at, "code_cpu_ceiling"], e.message)
    for key, read in (("gold", GoldPolicy.of), ("review", ReviewPolicy.of)):
        if settings.get(key) is None:
            continue
        if not isinstance(settings[key], dict):
            c.err([*at, key], f"{key} must be a mapping")
            continue
        try:
            read({key: settings[key]})
        except Invalid as e:
            c.err([*at, key], e.message)
        except (TypeError, ValueError):
            c.err([*at, key], f"the {key} settings must be numbers or names as docs/concepts.md shows")
    if settings.get("authoring") is not None:
        try:
            parse_settings(settings["authoring"])
        except Invalid as e:
            sub = e.details.get("field")
            c.err([*at, "authoring", *([sub] if isinstance(sub, str) else [])], e.message)
        except (TypeError, ValueError, AttributeError):
            c.err([*at, "authoring"], "authoring must be a mapping with mode and endpoints")
