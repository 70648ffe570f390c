"""Token-level mutants for C-family languages (JavaScript, TypeScript, C++, Java, Go, Rust): `token_mutants`.

The source is split into tokens (comments, strings, character and template literals, preprocessor lines
and numbers are recognised, so nothing inside them is touched) and each mutant changes one place:
- arithmetic: `+`↔`-`, `*`↔`/`, `%`→`/`, `++`↔`--`, and the compound assignments `+=`↔`-=`, `*=`↔`/=`;
- comparison: `<`→`<=`/`>`, `<=`→`<`/`>=`, `>`→`>=`/`<`, `>=`→`>`/`<=`, `==`↔`!=`, `===`↔`!==`;
- boolean: `&&`↔`||`, a `!` dropped, `true`↔`false`, an `if`/`while` condition negated;
- constants: an integer or decimal literal n → n+1, a non-empty string literal → an empty one;
- return values: `return x;` → `return {};` (C++: the type's default value) or `return undefined;`
  (JavaScript; as `return undefined; x`, which needs no end-of-statement detection), and `return !(x)`
  when x looks boolean (it holds a comparison or `&&`/`||`).
In C++, `<` and `>` of template argument lists (`vector<int>`, `static_cast<T>`, `template <...>`) are
left alone, and so are those of Java and Rust generics (`List<Integer>`, `Vec<i32>`). A mutant that does not compile anyway is discarded by the scorer, not counted. Each mutant's
text differs from the original and from every other; when there are more than `max_mutants`, a seeded
sample is kept in source order.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from assay.sandbox.mutation import Mutant

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)
  | (?P<number>\d+\.\d*(?:[eE][-+]?\d+)?[fFlL]?|\.\d+(?:[eE][-+]?\d+)?[fFlL]?|0[xX][0-9a-fA-F]+[uUlL]*|\d+(?:[eE][-+]?\d+)?[uUlLfF]*)
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>===|!==|<<=|>>=|=>|\.\.\.|\+\+|--|&&|\|\||==|!=|<=|>=|\+=|-=|\*=|/=|%=|->|::|<<|>>|[-+*/%<>=!&|^~?:;,.(){}\[\]#@\\])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_TEMPLATES = {"vector", "map", "set", "pair", "unordered_map", "unordered_set", "tuple", "array", "list", "deque",
              "queue", "priority_queue", "stack", "greater", "less", "function", "optional", "template",
              "static_cast", "dynamic_cast", "reinterpret_cast", "const_cast", "numeric_limits", "basic_string",
              "any_cast", "multiset", "multimap", "bitset", "hash", "shared_ptr", "unique_ptr", "initializer_list",
              "is_same", "variant", "Array", "Set", "Map", "Record", "Promise", "Partial",
              "List", "ArrayList", "LinkedList", "HashMap", "TreeMap", "HashSet", "TreeSet", "Optional", "Deque",
              "ArrayDeque", "Queue", "PriorityQueue", "Comparator", "Iterator", "Collection", "Stack",
              "Vec", "Option", "Result", "Box", "BTreeMap", "VecDeque", "BTreeSet", "Rc", "RefCell"}
_SWAPS = {
    "+": ["-"], "-": ["+"], "*": ["/"], "/": ["*"], "%": ["/"], "++": ["--"], "--": ["++"],
    "+=": ["-="], "-=": ["+="], "*=": ["/="], "/=": ["*="],
    "<": ["<=", ">"], "<=": ["<", ">="], ">": [">=", "<"], ">=": [">", "<="],
    "==": ["!="], "!=": ["=="], "===": ["!=="], "!==": ["==="], "&&": ["||"], "||": ["&&"],
}
_KIND = {"+": "arithmetic", "-": "arithmetic", "*": "arithmetic", "/": "arithmetic", "%": "arithmetic",
         "++": "arithmetic", "--": "arithmetic", "+=": "arithmetic", "-=": "arithmetic", "*=": "arithmetic",
         "/=": "arithmetic", "&&": "boolean", "||": "boolean"}
_BOOLISH = {"<", "<=", ">", ">=", "==", "!=", "===", "!==", "&&", "||", "!"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    line: int


def tokenize(source: str, language: str) -> list[Token]:
    """The tokens of `source`; C++ preprocessor lines are one `preproc` token each."""
    tokens: list[Token] = []
    pos, line = 0, 1
    at_line_start = True
    while pos < len(source):
        if language == "cpp" and at_line_start and source[pos] == "#":
            end = pos
            while True:  # a directive runs to the end of the line, continued by a backslash
                nl = source.find("\n", end)
                if nl == -1:
                    end = len(source)
                    break
                if source[nl - 1] == "\\":
                    end = nl + 1
                    continue
                end = nl
                break
            tokens.append(Token("preproc", source[pos:end], pos, line))
            line += source.count("\n", pos, end)
            pos = end
            continue
        m = _TOKEN.match(source, pos)
        assert m is not None  # `other` matches any character
        kind = m.lastgroup or "other"
        text = m.group()
        if kind == "string" and language == "cpp" and text.startswith("`"):
            kind, text = "other", "`"
        tokens.append(Token(kind, text, pos, line))
        newlines = text.count("\n")
        if newlines:
            at_line_start = kind == "ws" and text.rstrip(" \t").endswith("\n")
        elif kind != "ws":
            at_line_start = False
        line += newlines
        pos += len(text)
    return tokens


def _code(tokens: list[Token]) -> list[int]:
    return [i for i, t in enumerate(tokens) if t.kind not in ("ws", "comment", "preproc")]


def _template_brackets(tokens: list[Token], code: list[int], language: str) -> set[int]:
    """Indexes of `<` `>` `>>` tokens that belong to template or generic argument lists (C++, TypeScript,
    Java, Rust)."""
    if language not in ("cpp", "typescript", "java", "rust"):
        return set()
    skip: set[int] = set()
    depth = 0
    for n, i in enumerate(code):
        text = tokens[i].text
        prev = tokens[code[n - 1]].text if n else ""
        if text == "<" and (prev in _TEMPLATES or (depth > 0 and tokens[code[n - 1]].kind == "ident"
                                                   and prev[:1].isalpha())):
            depth += 1
            skip.add(i)
        elif text in (">", ">>") and depth > 0:
            depth = max(0, depth - len(text))
            skip.add(i)
        elif text in (";", "{", "}") and depth:
            depth = 0
    return skip


def _matching(tokens: list[Token], code: list[int], n: int, opener: str, closer: str) -> int | None:
    """The position in `code` of the bracket closing the one at code position `n`."""
    depth = 0
    for k in range(n, len(code)):
        text = tokens[code[k]].text
        if text == opener:
            depth += 1
        elif text == closer:
            depth -= 1
            if depth == 0:
                return k
    return None


def _statement_end(tokens: list[Token], code: list[int], n: int) -> int | None:
    """The code position of the `;` ending the statement that starts after code position `n`."""
    depth = 0
    for k in range(n + 1, len(code)):
        text = tokens[code[k]].text
        if text in "([{" and text:
            depth += 1
        elif text in ")]}" and text:
            depth -= 1
            if depth < 0:
                return None
        elif text == ";" and depth == 0:
            return k
    return None


Edit = tuple[int, int, str, str, int]  # start, end, replacement, operator, line


def _edits(source: str, tokens: list[Token], language: str) -> list[Edit]:
    code = _code(tokens)
    templates = _template_brackets(tokens, code, language)
    js = language in ("javascript", "typescript")
    edits: list[Edit] = []
    for n, i in enumerate(code):
        t = tokens[i]
        end = t.start + len(t.text)
        prev = tokens[code[n - 1]] if n else None
        nxt = tokens[code[n + 1]] if n + 1 < len(code) else None
        if t.kind == "op" and t.text in _SWAPS and i not in templates:
            if t.text in ("*", "&") and prev is not None and prev.kind == "ident" and language == "cpp" \
                    and nxt is not None and nxt.kind == "ident" and prev.text in ("int", "char", "auto", "const"):
                continue  # a pointer declaration
            kind = _KIND.get(t.text, "comparison")
            edits += [(t.start, end, alt, kind, t.line) for alt in _SWAPS[t.text]]
        elif t.kind == "op" and t.text == "!" and nxt is not None:
            edits.append((t.start, end, "", "boolean", t.line))
        elif t.kind == "ident" and t.text in ("true", "false"):
            edits.append((t.start, end, "false" if t.text == "true" else "true", "constant", t.line))
        elif t.kind == "number":
            m = re.fullmatch(r"(\d+)([uUlL]*)|(\d+\.\d*)([fFlL]?)", t.text)
            if m and m.group(1) is not None:
                edits.append((t.start, end, f"{int(m.group(1)) + 1}{m.group(2)}", "constant", t.line))
            elif m and m.group(3) is not None:
                edits.append((t.start, end, f"{float(m.group(3)) + 1!r}{m.group(4)}", "constant", t.line))
        elif t.kind == "string" and len(t.text) > 2 and not (language == "cpp" and t.text.startswith("'")):
            edits.append((t.start, end, t.text[0] * 2, "constant", t.line))
        elif t.kind == "ident" and t.text in ("if", "while") and nxt is not None and nxt.text == "(":
            close = _matching(tokens, code, n + 1, "(", ")")
            if close is not None:
                inner_start = nxt.start + 1
                inner_end = tokens[code[close]].start
                edits.append((inner_start, inner_end, f"!({source[inner_start:inner_end]})", "boolean", t.line))
        elif t.kind == "ident" and t.text == "return" and nxt is not None and nxt.text != ";":
            stop = _statement_end(tokens, code, n)
            expr_end = tokens[code[stop]].start if stop is not None else None
            expr = source[nxt.start:expr_end] if expr_end is not None else ""
            if js:
                edits.append((end, end, " undefined;", "return", t.line))
            elif expr.strip() and not (stop == n + 2 and (nxt.kind == "number" or nxt.text in ("true", "false"))):
                # (a single literal is left to the constant operator)
                edits.append((nxt.start, expr_end or nxt.start, "{}", "return", t.line))
            if expr.strip() and any(tokens[code[k]].text in _BOOLISH for k in range(n + 1, stop or n + 1)):
                edits.append((nxt.start, expr_end or nxt.start, f"!({expr})", "return", t.line))
    return edits


def _describe(source: str, start: int, end: int, new: str, line: int) -> str:
    old = source[start:end]
    if len(old) > 40:
        old = old[:37] + "..."
    shown_new = new if len(new) <= 40 else new[:37] + "..."
    where = source.splitlines()[line - 1].strip() if line - 1 < len(source.splitlines()) else ""
    where = where if len(where) <= 60 else where[:57] + "..."
    if not old:
        return f"line {line}: insert `{shown_new.strip()}` in `{where}`"
    return f"line {line}: `{old}` → `{shown_new or '(nothing)'}` in `{where}`"


def token_mutants(source: str, language: str, *, max_mutants: int = 30, seed: int = 0) -> list[Mutant]:
    """Distinct single-change mutants of `source` (see the module docstring), at most `max_mutants`."""
    tokens = tokenize(source, language)
    seen = {source}
    mutants: list[Mutant] = []
    for start, end, new, kind, line in _edits(source, tokens, language):
        text = source[:start] + new + source[end:]
        if text in seen:
            continue
        seen.add(text)
        mutants.append(Mutant(operator=kind, line=line, source=text,
                              description=_describe(source, start, end, new, line)))
    if len(mutants) > max_mutants:
        keep = sorted(random.Random(seed).sample(range(len(mutants)), max_mutants))
        mutants = [mutants[i] for i in keep]
    return mutants
