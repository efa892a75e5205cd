# Errors in the recipe set: file:line: reason, a cycle is printed, nothing starts.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup basic
echo "after   ch1/gamma" >"$T/line"
sed -i '/^stage/r '"$T/line" "$BOOK/ch1/alpha.recipe"
lb graph >"$T/out" 2>"$T/err"; rc=$?
ok "a cycle: graph exits 1" test "$rc" = 1
expect_in "the cycle is printed" "dependency cycle: ch1/alpha -> ch1/gamma -> ch1/alpha" "$(cat "$T/err")"
expect_in "with the after line that makes it" "$BOOK/ch1/alpha.recipe:3: ch1/alpha after ch1/gamma" "$(cat "$T/err")"
lb build >"$T/out" 2>"$T/err"; rc=$?
ok "a cycle: build exits 1" test "$rc" = 1
ok "a cycle: nothing started" test ! -e "$W/logs"

book_setup basic
sed -i 's/^sbu     1$/sbu     lots/' "$BOOK/ch1/alpha.recipe"
echo "colour  red" >>"$T/l2"
sed -i '1r '"$T/l2" "$BOOK/ch1/beta.recipe"
sed -i 's/^stage   two/stage   three/' "$BOOK/ch2/final.recipe"
lb build >"$T/out" 2>"$T/err"; rc=$?
err=$(cat "$T/err")
ok "parse errors: build exits 1" test "$rc" = 1
expect_in "a bad value: file:line: reason" "$BOOK/ch1/alpha.recipe:5: sbu wants a positive number, not 'lots'" "$err"
expect_in "an unknown key: file:line" "$BOOK/ch1/beta.recipe:2: unknown key 'colour'" "$err"
expect_in "an unknown stage: file:line" "$BOOK/ch2/final.recipe:2: unknown stage 'three' (book/stages has: one two)" "$err"
expect_in "says nothing was run" "nothing was run" "$err"
ok "parse errors: nothing started" test ! -e "$W/logs"

book_setup basic
echo "ch1/ghost" >>"$BOOK/toc"
printf 'title x\nstage one\n%%build\ntrue\n' >"$BOOK/ch1/stray.recipe"
lb graph >"$T/out" 2>"$T/err"; rc=$?
ok "a recipe missing from the toc is an error" test "$rc" = 1
expect_in "it names the file" "$BOOK/ch1/stray.recipe:1: step ch1/stray is not listed in $BOOK/toc" "$(cat "$T/err")"
rm "$BOOK/ch1/stray.recipe"
printf 'title x\nstage one\nafter ch1/nowhere\n' >"$BOOK/ch1/ghost.recipe"
lb graph >"$T/out" 2>"$T/err"
expect_in "an unknown after: file:line" "$BOOK/ch1/ghost.recipe:3: after: unknown step 'ch1/nowhere'" "$(cat "$T/err")"
expect_in "no %build: said" "$BOOK/ch1/ghost.recipe:3: no %build section" "$(cat "$T/err")"
rm "$BOOK/ch1/ghost.recipe"
lb graph >"$T/out" 2>"$T/err"; rc=$?
ok "a toc line without a recipe yet: a warning, the graph still prints" test "$rc" = 0
expect_in "the warning names it" "ch1/ghost" "$(cat "$T/err")"
printf 'stage one\n  chapter x\n  mode sideways\n' >"$BOOK/stages"
lb graph >"$T/out" 2>"$T/err"
expect_in "stages: file:line: reason" "$BOOK/stages:2: chapter wants a number, not 'x'" "$(cat "$T/err")"
expect_in "stages: an unknown mode" "$BOOK/stages:3: unknown mode 'sideways'" "$(cat "$T/err")"
