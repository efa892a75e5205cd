# Rebuild: a change of a recipe, a source or the stage reruns what depends on it and says why.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup basic
ok "first build" lb build -j2 -q
out=$(lb build -j2 2>&1)
expect_in "all up to date" "skip  ch1/prep (up to date)" "$out"
expect_in "nothing runs" "0 steps run, 5 up to date" "$out"
echo "# a comment changes the recipe" >>"$BOOK/ch1/beta.recipe"
out=$(lb build -j2 2>&1)
expect_in "the changed recipe runs: recipe changed" "run   ch1/beta (recipe changed)" "$out"
expect_in "a dependent: dependency rebuilt" "run   ch1/gamma (dependency ch1/beta rebuilt)" "$out"
expect_in "the next stage too" "run   ch2/final (dependency ch1/gamma rebuilt)" "$out"
expect_in "an unrelated step is skipped" "skip  ch1/alpha (up to date)" "$out"
# a new version of a source: a new tarball with another checksum in the manifest
mkdir -p "$T/mk2/alpha-1.0" && echo changed >"$T/mk2/alpha-1.0/hello.txt" &&
	printf 'all:\n\techo built alpha2 > built.txt\n' >"$T/mk2/alpha-1.0/Makefile"
tar -C "$T/mk2" -czf "$SRC/alpha-1.0.tar.gz" alpha-1.0
sum=$(sha256sum "$SRC/alpha-1.0.tar.gz" | cut -d' ' -f1)
sed -i "/alpha-1.0.tar.gz/s/sha256=.*/sha256=$sum/" "$BOOK/sources"
out=$(lb build -j2 2>&1)
expect_in "a changed source reruns its steps" "run   ch1/alpha (source alpha changed)" "$out"
expect_in "and the other step that unpacks it" "run   ch1/beta (source alpha changed)" "$out"
sed -i '0,/PATH=\/usr\/bin:\/bin/s//PATH=\/bin:\/usr\/bin/' "$BOOK/stages"
out=$(lb build -j2 2>&1)
expect_in "a changed stage reruns its steps" "run   ch1/prep (stage definition changed)" "$out"
ok "the second stage is unchanged but comes after" grep -q "run   ch2/final (dependency" <<<"$out"
out=$(lb build -j2 --tests 2>&1)
expect_in "--tests reruns a step with a %test section" "run   ch1/alpha (tests turned on)" "$out"
expect_in "--tests: a step without %test stays" "skip  ch1/beta (up to date)" "$out"
out=$(lb build -j2 --tests --hostname other 2>&1)
expect_in "a setting the recipe reads: configuration changed" "run   ch2/final (configuration changed: hostname)" "$out"
ok "the step got the setting" grep -qx other "$W/root/hostname"
expect_in "a step that does not read it stays" "skip  ch1/gamma (up to date)" "$out"
