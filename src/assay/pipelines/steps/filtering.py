"""`filter`: keep rows by a SQL condition, by length, or by a regular expression.

Parameters (any combination; a row must pass all that are set):
  where      a DuckDB SQL boolean expression over the batch's columns, e.g.
             `json_extract_string(metadata, '$.lang') = 'en' AND len(completions) > 0`.
             It runs in a DuckDB connection with external access disabled and configuration locked, so
             it cannot read or write files; no Python is evaluated. NULL counts as false.
  min_chars / max_chars / min_words / max_words   on the text of `field` (see assay.pipelines.text)
  regex      a Python regular expression searched in the text of `field`; `regex_action: keep` (default)
             keeps matching rows, `drop` drops them.
  field      which text the length and regex tests read (default `all`).
  match      a list of conditions in the explorer's filter language (`assay.pipelines.conditions`), e.g.
             `[language__lang=en, chars<4000, judged=true]`; compiled to SQL and ANDed with `where`, so a
             view filtered in the explorer and this step select the same records.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa

from assay.errors import Invalid
from assay.pipelines.base import Step, StepOutput
from assay.pipelines.conditions import compile_conditions, list_columns_of, parse_conditions
from assay.pipelines.text import texts


def sql_mask(batch: pa.Table, where: str) -> list[bool]:
    """Evaluate `where` per row with DuckDB (no file access). Raises Invalid with DuckDB's message."""
    import duckdb

    con = duckdb.connect(config={"enable_external_access": False, "lock_configuration": True})
    try:
        con.register("batch", batch)
        res = con.sql(f"SELECT coalesce(({where})::BOOLEAN, false) AS k FROM batch").to_arrow_table()
    except duckdb.Error as e:
        raise Invalid(f"filter `where` {where!r} failed: {e}") from e
    finally:
        con.close()
    return [bool(v) for v in res.column("k").to_pylist()]


class Filter(Step):
    """Keep rows passing all configured tests; each dropped row names the first test it failed."""

    name = "filter"

    def __init__(self, where: str | None = None, min_chars: int | None = None, max_chars: int | None = None,
                 min_words: int | None = None, max_words: int | None = None, regex: str | None = None,
                 regex_action: str = "keep", field: str = "all", match: list[str] | str | None = None,
                 **common: Any) -> None:
        super().__init__(**common)
        self.match = [match] if isinstance(match, str) else list(match or [])
        parse_conditions(self.match)  # raises Invalid now, not in a worker
        if where is not None and (";" in where or not where.strip()):
            raise Invalid(f"filter `where` must be one SQL expression without ';', got {where!r}")
        if regex_action not in ("keep", "drop"):
            raise Invalid(f"filter regex_action must be 'keep' or 'drop', got {regex_action!r}")
        try:
            self._re = re.compile(regex) if regex else None
        except re.error as e:
            raise Invalid(f"filter regex {regex!r} does not compile: {e}") from e
        self.where, self.regex, self.regex_action, self.field = where, regex, regex_action, field
        self.min_chars, self.max_chars, self.min_words, self.max_words = min_chars, max_chars, min_words, max_words

    def process(self, batch: pa.Table) -> StepOutput:
        n = batch.num_rows
        reasons: list[str | None] = [None] * n
        where = self.where
        if self.match:
            types = {f.name: str(f.type) for f in batch.schema}
            cond = compile_conditions(parse_conditions(self.match), batch.column_names,
                                      list_columns=list_columns_of(types))
            where = f"({where}) AND ({cond})" if where else cond
        if where:
            for i, ok in enumerate(sql_mask(batch, where)):
                if not ok:
                    reasons[i] = "where"
        need_text = any(v is not None for v in (self.min_chars, self.max_chars, self.min_words,
                                                self.max_words, self._re))
        if need_text:
            for i, t in enumerate(texts(batch, self.field)):
                if reasons[i]:
                    continue
                nc = len(t)
                nw = len(t.split()) if self.min_words is not None or self.max_words is not None else 0
                if self.min_chars is not None and nc < self.min_chars:
                    reasons[i] = "too_short_chars"
                elif self.max_chars is not None and nc > self.max_chars:
                    reasons[i] = "too_long_chars"
                elif self.min_words is not None and nw < self.min_words:
                    reasons[i] = "too_few_words"
                elif self.max_words is not None and nw > self.max_words:
                    reasons[i] = "too_many_words"
                elif self._re is not None and (self._re.search(t) is not None) != (self.regex_action == "keep"):
                    reasons[i] = "regex"
        return self.decide(batch, keep=[r is None for r in reasons], reasons=reasons)
