#!/usr/bin/env bash
# Before/after CPU per request of the annotation hot path, two checkouts measured in turn (interleaved
# rounds, so both see the same machine load), on SQLite and PostgreSQL, one worker each.
#
#   git worktree add ../before <rev> && (cd ../before && uv sync --frozen --all-extras)
#   bash bench/annotation_server/interleaved.sh ../before . 3
#
# Prints one line per run (round, checkout, database, load average before it, then assay_load.py's figures)
# and, at the end, the median, min and max of cpu_ms_per_request per checkout and database.
set -u
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd); rounds=${3:-3}
out=$(mktemp)
for round in $(seq 1 "$rounds"); do
  for tree in "$before" "$after"; do
    for db in sqlite postgres; do
      args="--records 400 --annotators 20 --workers 1"
      [ $db = postgres ] && args="$args --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_interleaved"
      load=$(cut -d' ' -f1 /proc/loadavg)
      line=$(cd "$tree" && timeout 600 uv run python bench/annotation_server/assay_load.py $args 2>&1 | grep "^server=")
      echo "round=$round tree=$tree load=$load $line" | tee -a "$out"
    done
  done
done
python3 - "$out" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    runs.setdefault((f["tree"], f["db"]), []).append(float(f["cpu_ms_per_request"]))
for (tree, db), v in sorted(runs.items()):
    print(f"{tree} {db}: cpu ms/request median {statistics.median(v):.2f} min {min(v):.1f} max {max(v):.1f} (n={len(v)})")
PY
echo "command: bash bench/annotation_server/interleaved.sh $1 $2 $rounds"
