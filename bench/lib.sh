# bench/lib.sh: sourced by the benchmark scripts.
# bench_write NAME TEXT: put TEXT into docs/BENCHMARKS.md between <!-- bench:NAME:begin --> and
# <!-- bench:NAME:end --> (TEXT may already carry those markers), replacing what was there or
# appending it; nothing else in the file changes. The file is replaced atomically.
# BENCH_DOC=FILE writes into FILE instead (the tests use a copy).
bench_write() {
	local doc
	doc=${BENCH_DOC:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/docs/BENCHMARKS.md"}
	[ -f "$doc" ] || printf '# Benchmarks\n\nFigures measured by the scripts under bench/ (`make bench`).\n' >"$doc"
	python3 - "$doc" "$1" "$2" <<'PY'
import os, sys
path, name, body = sys.argv[1:4]
b, e = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
body = body.strip("\n")
if not body.startswith(b):
    body = f"{b}\n{body}\n{e}"
text = open(path).read()
if b in text and e in text:
    text = text[:text.index(b)] + body + text[text.index(e) + len(e):]
else:
    text = text.rstrip("\n") + "\n\n" + body + "\n"
open(path + ".tmp", "w").write(text)
os.rename(path + ".tmp", path)
PY
}
