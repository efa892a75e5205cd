# Drill: a recipe with a syntax error. `lfsbuild build` says `file:line: reason` for each
# problem, exits non-zero, and nothing starts: no stamp, no log, no build directory, no root,
# no step's trace. One broken recipe at a time, then all of them together (all are reported).
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

# broken NAME: after book_setup basic, break the book as NAME says; sets WANT (the messages).
broken() {
	book_setup basic
	local a=$BOOK/ch1/alpha.recipe b=$BOOK/ch1/beta.recipe g=$BOOK/ch1/gamma.recipe
	case $1 in
	unknown-key)
		sed -i '3i colour  red' "$b"
		WANT=("$b:3: unknown key 'colour' (title, stage, sources, after, sbu, disk, exclusive, capture, icecream, mode, files, known-failures, critical-tests, sbu-reference)") ;;
	no-section-header)   # the %build line is missing: its commands land in the header
		sed -i '/^%build$/d' "$g"
		WANT=("$g:6: unknown key 'trace'" "$g:7: unknown key 'cat'" "$g:8: unknown key 'trace'"
		      "$g:8: no %build section") ;;
	misspelt-section)
		sed -i 's/^%install$/%instal/' "$a"
		WANT=("$a:18: unknown section '%instal' (%build, %test, %install)") ;;
	bad-after)
		sed -i 's|^after   ch1/alpha ch1/beta$|after   ch1/alpha ch1/nosuch beta|' "$g"
		WANT=("$g:3: after: 'beta' is not a step id (chN/PAGE)"
		      "$g:3: after: unknown step 'ch1/nosuch' (not in $BOOK/toc)") ;;
	bad-disk)
		sed -i '4i disk    3.8X' "$b"
		WANT=("$b:4: disk wants a size such as 650M or 3.8G, not '3.8X'") ;;
	esac
}
nothing_started() { # what: the work directory is as empty as before
	ok "$1: no stamp, log, build directory or root was made" test -z "$(ls -A "$W")"
	ok "$1: no step started" test ! -e "$W/root/trace"
}
all=()
for kind in unknown-key no-section-header misspelt-section bad-after bad-disk; do
	broken $kind
	lb build -j2 >"$T/out" 2>"$T/err"; rc=$?
	err=$(cat "$T/err")
	ok "$kind: build exits 1" test "$rc" = 1
	for w in "${WANT[@]}"; do expect_in "$kind: file:line: reason" "$w" "$err"; done
	expect_in "$kind: says nothing was run" "has errors (above); nothing was run" "$err"
	ok "$kind: nothing else is said (only the problems and that line)" \
		test "$(grep -vc "^$BOOK/.*:[0-9]*: \|nothing was run" "$T/err")" = 0
	nothing_started "$kind"
	lb graph >"$T/out" 2>"$T/err"; rc=$?
	ok "$kind: graph exits 1 with the same messages" sh -c "test $rc = 1 && grep -qF \"\$1\" '$T/err'" _ "${WANT[0]}"
	all+=("${WANT[@]}")
done

# all five at once: every problem is reported in one run
book_setup basic
a=$BOOK/ch1/alpha.recipe b=$BOOK/ch1/beta.recipe g=$BOOK/ch1/gamma.recipe
sed -i '3i colour  red' "$b"; sed -i '/^%build$/d' "$g"; sed -i 's/^%install$/%instal/' "$a"
sed -i '5i disk    3.8X' "$b"
lb build -j2 >"$T/out" 2>"$T/err"; rc=$?
ok "all at once: build exits 1" test "$rc" = 1
ok "all at once: each problem has its line" test "$(grep -c "^$BOOK/ch1/.*\.recipe:[0-9]*: " "$T/err")" -ge 7
nothing_started "all at once"
