"""Token-level mutants for JavaScript and C++, and mutation scores run in the real sandbox."""

from __future__ import annotations

import pytest

from assay.errors import Invalid
from assay.sandbox import BubblewrapSandbox, Limits
from assay.sandbox.program_mutation import program_mutation_score
from assay.sandbox.token_mutation import token_mutants
from tests.sandbox.conftest import require_language

LIMITS = Limits(cpu_seconds=5, wall_seconds=10, memory_bytes=512 << 20)
CPP = """#include <vector>
#include <string>
using namespace std;
// a < b in a comment stays
int count_below(vector<int> xs, int limit) {
    int n = 0;
    for (int i = 0; i < (int)xs.size(); i++) {
        if (xs[i] < limit && xs[i] != -1) n += 1;
    }
    string s = "a<b";
    return n;
}
"""
JS = """/* x < y in a comment */
const countBelow = (xs, limit) => {
  let n = 0
  for (const x of xs) {
    if (x < limit) { n += 1 }
  }
  const s = `a<b ${n}`
  return n
}
"""


def test_cpp_mutants_leave_comments_strings_includes_and_templates_alone() -> None:
    mutants = token_mutants(CPP, "cpp", max_mutants=200)
    assert mutants
    for m in mutants:
        assert "// a < b in a comment stays" in m.source and "#include <vector>" in m.source
        assert "vector<int> xs" in m.source
    kinds = {m.operator for m in mutants}
    assert kinds == {"arithmetic", "comparison", "boolean", "constant", "return"}
    assert any("`<` → `<=`" in m.description for m in mutants)
    assert any("`&&` → `||`" in m.description for m in mutants)
    assert any("`n` → `{}`" in m.description for m in mutants)
    assert len({m.source for m in mutants}) == len(mutants)


def test_javascript_mutants_leave_arrows_comments_and_template_strings_alone() -> None:
    mutants = token_mutants(JS, "javascript", max_mutants=200)
    for m in mutants:
        assert "=>" in m.source and "/* x < y in a comment */" in m.source
    assert any("insert `undefined;`" in m.description for m in mutants)
    assert any(m.source.count("x <= limit") == 1 for m in mutants)
    assert len(token_mutants(JS, "javascript", max_mutants=3)) == 3


@pytest.mark.sandbox
@pytest.mark.parametrize("language,reference,weak,strong", [
    pytest.param("javascript", JS, "console.assert(countBelow([1, 5], 3) >= 0)",
     ("console.assert(countBelow([1, 5, 3], 3) === 1)\nconsole.assert(countBelow([], 3) === 0)\n"
      "console.assert(countBelow([2, 2], 3) === 2)"),
                 marks=pytest.mark.slow),  # two Node runs per mutant: 1.5 s; Python mutation stays in the fast loop
    pytest.param("cpp", CPP, "int main() {\n    assert(count_below({1, 5}, 3) >= 0);\n}",
                 ("int main() {\n    assert(count_below({1, 5, 3}, 3) == 1);\n    assert(count_below({}, 3) == 0);\n"
                  "    assert(count_below({2, 2, -1}, 3) == 2);\n}"),
                 marks=pytest.mark.slow),  # a compile per mutant: about 10 s, out of the fast loop
])
def test_stronger_tests_kill_more_mutants(sandbox: BubblewrapSandbox, language: str, reference: str, weak: str,
                                          strong: str) -> None:
    require_language(language)
    low = program_mutation_score(sandbox, language, reference, weak, LIMITS, max_mutants=12, workers=2)
    high = program_mutation_score(sandbox, language, reference, strong, LIMITS, max_mutants=12, workers=2)
    assert high.total == low.total > 0
    assert high.score > low.score and high.score >= 0.75, (low, high)
    with pytest.raises(Invalid, match="do not pass on the reference"):
        program_mutation_score(sandbox, language, reference, strong.replace("== 1", "== 7").replace("=== 1", "=== 7"),
                               LIMITS, max_mutants=3)
