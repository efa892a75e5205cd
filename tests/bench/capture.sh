# bench/capture.py on two made-up work directories: the walls, the post-step cost from the steps'
# logs, the overhead with and without it, the time with a step running, and --only.
. "$(dirname "$0")/../lib/check.sh"
C=$T/cap P=$T/plain
stamp() { # DIR STEP HASH START WALL
	mkdir -p "$1/state/stamps/${2%/*}"
	printf 'step %s\nresult ok\nhash %s\nstart %s\nwall %s\ncpu %s\nphase unpack 0 0\n' "$2" "$3" "$4" "$5" "$5" \
		>"$1/state/stamps/$2.stamp"
}
stamp "$C" ch8/a h1 1000 100
stamp "$C" ch8/b h2 1050 100
stamp "$C" ch7/old h3 500 400      # copied from elsewhere: left out with --only
stamp "$C" ch8/new h9 2000 50       # another hash than the plain build's: not compared
mkdir -p "$C/logs/ch8"
echo 'lfsbuild: capture: file list, package archive and merge in 5.0s' >"$C/logs/ch8/a.log"
echo 'lfsbuild: capture: file list, package archive and merge in 5.0s' >"$C/logs/ch8/b.log"
stamp "$P" ch8/a h1 0 100
stamp "$P" ch8/b h2 10 90
stamp "$P" ch7/old h3 0 300
stamp "$P" ch8/new h8 200 50

ok "capture.py --only '^ch8/'" sh -c "python3 '$ROOT/bench/capture.py' '$C' '$P' --only '^ch8/' >'$T/out'"
out=$(cat "$T/out")
fails "chapter 7 left out" grep -q '^| ch7 ' "$T/out"
expect_in "chapter 8: 3 steps, 2 with a log line, 2 compared; walls +5.3 %, with the post-step work +10.5 %" \
	"| ch8 | 3 | 4.2 min | 0.2 min (2 steps) | 4.0 % | 2 steps, 3.2 min | 3.3 min | +5.3 % | +10.5 % |" "$out"
expect_in "the time with a step running: 100 s without, 155 s with (two overlapping steps)" \
	"| ch8 | 1.7 min | 2.6 min | +55.0 % | 190 s | 200 s | +5.3 % |" "$out"
ok "without --only: chapter 7 too" sh -c "python3 '$ROOT/bench/capture.py' '$C' '$P' | grep -q '^| ch7 | 1 | 6.7 min'"
fails "an unknown option is refused" python3 "$ROOT/bench/capture.py" "$C" --bogus
