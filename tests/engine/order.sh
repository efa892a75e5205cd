# Order: every step starts after the steps it comes after end; graph prints a valid order;
# --sequential runs one step at a time in book order.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup basic
out=$(lb graph 2>&1)
expect_in "graph prints a step with its deps" "$(printf 'ch1/gamma\tch1/alpha,ch1/beta')" "$out"
expect_in "graph: stage barrier to the previous stage's last step" "$(printf 'ch2/final\tch1/gamma')" "$out"
# every dependency is printed before the step that needs it
bad=$(echo "$out" | awk -F'\t' '{ n = split($2, d, ","); for (i = 1; i <= n; i++) if (!(d[i] in seen)) print $1 " before " d[i]; seen[$1] = 1 }')
ok "graph order respects every dependency" test -z "$bad"
out=$(lb graph --dot)
expect_in "graph --dot is Graphviz" '"ch1/alpha" -> "ch1/gamma"' "$out"

# $LFS/peers: alpha and beta each wait (bounded) for the other to start, so that at -j2 they
# surely overlap however loaded the machine is (the overlap is proven by order, not by time)
mkdir -p "$W/root" && touch "$W/root/peers"
ok "build -j2 succeeds" lb build -j2
tr=$W/root/trace
after_ok() { [ "$(cat "$tr/$1.start")" -ge "$(cat "$tr/$2.end")" ]; }
ok "alpha starts after prep ends" after_ok ch1_alpha ch1_prep
ok "beta starts after prep ends" after_ok ch1_beta ch1_prep
ok "gamma starts after alpha ends" after_ok ch1_gamma ch1_alpha
ok "gamma starts after beta ends" after_ok ch1_gamma ch1_beta
ok "the next stage starts after the last step of the previous" after_ok ch2_final ch1_gamma
ok "alpha and beta ran side by side" test "$(max_overlap "$tr")" = 2
ok "sources unpacked, make ran, files installed" grep -q "built alpha" "$W/root/usr/gamma.txt"
env=$(cat "$W/root/usr/beta/env.txt")
expect_in "the stage's env with \$LFS expanded" "MARK=$W/root/mark" "$env"
expect_in "MAKEFLAGS names the jobserver" "MAKEFLAGS=-j2 --jobserver-auth=" "$env"
expect_in "JOBS is -j" "JOBS=2" "$env"
expect_in "TESTSUITEFLAGS is -j (the book passes it into the chroot)" "TESTSUITEFLAGS=-j2" "$env"
expect_in "SRC_ of the second source" "SRC_alpha=$W/build/ch1_beta/alpha-1.0" "$env"
expect_in "LFSBUILD_PHASES_FD names the fd of the phase marks (docs/watching.md)" "LFSBUILD_PHASES_FD=" "$env"
expect_in "SOURCE_DATE_EPOCH: the book's release (the test tarballs' members have no time)" "SOURCE_DATE_EPOCH=1741132800" "$env"
ok "no host variable leaks into a step" test -z "$(echo "$env" | grep -Ev '^(JOBS|LC_ALL|LFS|LFSBUILD_PHASES_FD|MAKEFLAGS|MARK|PATH|SOURCE_DATE_EPOCH|SRC_alpha|SRC_beta|TESTSUITEFLAGS)=')"
ok "build directories removed on success" test -z "$(ls -A "$W/build")"
ok "a log per step with its header" grep -q "^# lfsbuild step ch1/alpha: Alpha-1.0" "$W/logs/ch1/alpha.log"
ok "the log holds the step's output" grep -q "echo built alpha > built.txt" "$W/logs/ch1/alpha.log"
ok "timings.tsv has a line per step" test "$(wc -l <"$W/logs/timings.tsv")" = 5
ok "run.json says done" grep -q '"state":"done"' "$W/state/run.json"
ok "run.json is valid JSON" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['total']==5 and d['done']==5" "$W/state/run.json"
ok "stamps are ok" test "$(cat "$W"/state/stamps/ch*/*.stamp | grep -c '^result ok')" = 5

book_setup basic
ok "build --sequential succeeds" lb build --sequential -j2
ok "--sequential: one step at a time" test "$(max_overlap "$W/root/trace")" = 1
order=$(for f in "$W"/root/trace/*.start; do echo "$(cat "$f") $(basename "$f" .start)"; done | sort -n | cut -d' ' -f2 | tr '\n' ' ')
ok "--sequential: book order" test "$order" = "ch1_prep ch1_alpha ch1_beta ch1_gamma ch2_final "

book_setup basic
ok "--until a step" lb build --until ch1/alpha
ok "--until: the step and what it needs ran" test -f "$W/root/usr/alpha/built.txt"
ok "--until: nothing after it ran" test ! -e "$W/root/usr/beta"
out=$(lb build ch1/beta 2>&1)
expect_in "an operand runs what it needs, skipping what is up to date" "skip  ch1/prep (up to date)" "$out"
ok "operand: beta ran" test -f "$W/root/usr/beta/hello.txt"
ok "operand: gamma did not" test ! -e "$W/root/usr/gamma.txt"
out=$(lb build --only ch1/prep 2>&1)
expect_in "--only runs just that step" "start ch1/prep" "$out"
ok "--only ran nothing else" test "$(echo "$out" | grep -c start)" = 1
out=$(lb build --from ch1/beta --until one 2>&1)
expect_in "--from reruns the step" "start ch1/beta" "$out"
expect_in "--from reruns what comes after it" "start ch1/gamma" "$out"
expect_in "--from: earlier steps are skipped" "skip  ch1/alpha (up to date)" "$out"
ok "--until STAGE stops at the stage" test ! -e "$W/root/final.txt"
fails "an unknown operand is refused" lb build ch9/nothing
