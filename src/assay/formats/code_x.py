"""HumanEval-X (THUDM/CodeGeeX) rows as code records in their own language.

A row is `task_id` ("CPP/3", "JavaScript/3", "Go/3", "Java/3", "Rust/3", "Python/3"), `prompt`,
`declaration`, `canonical_solution`, `test` and `example_test`. The record's `CodeTask` carries the
language from the `task_id` prefix; the problem is the prompt, the reference solution is
`prompt + canonical_solution` (the program upstream runs is that plus `test`; when the prompt lacks the
declaration's signature, as HumanEval-X's Rust prompts do, the declaration is appended to it), the visible
tests are the `example_test` (the full `test` when there is none: every Rust row's is the string "None")
and the hidden tests the full `test`. The entry point is the function the declaration ends with (display
only). `external_id` is the `task_id`.
"""

from __future__ import annotations

import re
from typing import Any

from assay.domain.records import CodeTask, Completion, Message, Record
from assay.formats.checks import Options, Where, opt_str, req_str, source_id

LANGUAGES = {"cpp": "cpp", "javascript": "javascript", "js": "javascript", "go": "go", "java": "java",
             "rust": "rust", "python": "python", "typescript": "typescript"}
TITLES = {"cpp": "C++", "javascript": "JavaScript", "go": "Go", "java": "Java", "rust": "Rust",
          "python": "Python", "typescript": "TypeScript"}
FENCES = {"cpp": "cpp", "javascript": "javascript", "go": "go", "java": "java", "rust": "rust", "python": "python",
          "typescript": "typescript"}
_JS_NAME = re.compile(r"(?:const|let|var)\s+(\w+)\s*=\s*(?:async\s*)?\(|function\s+(\w+)\s*\(")
_GO_NAME = re.compile(r"\bfunc\s+(?:\([^)]*\)\s*)?(\w+)\s*\(")
_C_NAME = re.compile(r"(\w+)\s*\([^()]*\)\s*(?:const\s*)?(?:->\s*[^{]*)?\{\s*$")


def looks_like_humaneval_x(row: dict[str, Any]) -> bool:
    """True for a HumanEval-X row: the HumanEval keys plus `declaration`, and a `Language/n` task id."""
    task_id = row.get("task_id")
    return {"task_id", "prompt", "declaration", "canonical_solution", "test"} <= set(row) \
        and isinstance(task_id, str) and task_id.split("/")[0].lower() in LANGUAGES


def _entry_point(language: str, declaration: str) -> str:
    if language in ("javascript", "typescript"):
        found = _JS_NAME.findall(declaration)
        return next((a or b for a, b in reversed(found)), "")
    if language == "go":
        names = _GO_NAME.findall(declaration)
        return names[-1] if names else ""
    m = _C_NAME.search(declaration.rstrip())
    return m.group(1) if m else ""


def _example(text: str | None) -> str | None:
    """The example tests, None when there are none (HumanEval-X's Rust rows hold the string "None")."""
    return None if text is None or text.strip() in ("", "None") else text


def from_humaneval_x(where: Where, row: dict[str, Any], opts: Options) -> Record:
    """One HumanEval-X row → a code record in its language (see the module docstring)."""
    rid = source_id(row, "task_id", where)
    prefix = rid.split("/")[0].lower()
    if prefix not in LANGUAGES:
        raise where.invalid(f"the task id {rid!r} does not start with a known language "
                            f"({', '.join(sorted(LANGUAGES))})", "task_id")
    language = LANGUAGES[prefix]
    prompt = req_str(row, "prompt", where)
    declaration = opt_str(row, "declaration", where)
    signature = (declaration or "").strip().splitlines()[-1:] or [""]
    if declaration and signature[0] and "".join(signature[0].split()) not in "".join(prompt.split()):
        # HumanEval-X's Rust prompts hold only the docstring; the `use`s and the signature are the declaration
        prompt = prompt.rstrip("\n") + "\n" + declaration.lstrip("\n")
    reference = prompt + req_str(row, "canonical_solution", where)
    test = req_str(row, "test", where)
    task = CodeTask(problem=prompt, language=language, entry_point=_entry_point(language, declaration or prompt),
                    visible_tests=_example(opt_str(row, "example_test", where)) or test, hidden_tests=test,
                    reference_solution=reference)
    message = (f"Complete the following {TITLES[language]} function.\n\n"
               f"```{FENCES[language]}\n{prompt.rstrip()}\n```")
    completions = [Completion(text=reference, model="reference")] if opts.with_reference_as_completion else []
    return Record(external_id=rid, messages=[Message(role="user", content=message)], completions=completions,
                  metadata={"dataset": "humaneval-x", "task_id": rid, "language": language}, code=task,
                  source=where.source)
