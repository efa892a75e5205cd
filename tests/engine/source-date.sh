# SOURCE_DATE_EPOCH in every step's environment (docs/engine.md, "How a step runs"): the newest
# mtime of the members of the step's first source, else (no source, a tarball without member
# times) the book's release, 2025-03-05 00:00:00 UTC; the same in --explain and in `lfsbuild shell
# STEP`; and no input of the stamps (a build made before it existed stays up to date).
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup sbom
debian_source "$BOOK" debpkg 2.0 2.0.1
# a member newer than the others: the newest counts
d=$T/mk/linux-6.0
find "$d" -exec touch -d @1690000000 {} +
touch -d @1695000000 "$d/hello.txt"
tar -C "$T/mk" --sort=name --owner=0 --group=0 --numeric-owner -czf "$SRC/linux-6.0.tar.gz" linux-6.0
sed -i "/^source linux/,/upstream/ s/sha256=[0-9a-f]*/sha256=$(sha256sum "$SRC/linux-6.0.tar.gz" | cut -d' ' -f1)/" "$BOOK/sources"
ok "the book builds" lb build -j2
sde() { cat "$W/root/sde/$1"; }
ok "a step's first source with member times 2023-11-14 22:13:20: that time" test "$(sde ch1_base)" = 1700000000
ok "a source whose newest member is newer than the rest: the newest" test "$(sde ch2_kernel)" = 1695000000
ok "a step without a source: the book's release" test "$(sde ch1_conf)" = 1741132800
ok "a tarball whose members have no time (0): the book's release" test "$(sde ch1_multi)" = 1741132800
out=$(lb build --explain ch1/base 2>&1)
expect_in "--explain shows it in the environment" "SOURCE_DATE_EPOCH=1700000000" "$out"
out=$(lb build --explain ch1/conf 2>&1)
expect_in "--explain: the book's release without a source" "SOURCE_DATE_EPOCH=1741132800" "$out"
ok "no stamp has it among its inputs" sh -c "! grep -r '^input.*SOURCE_DATE' '$W/state/stamps'"
# the hash is the sha256 of the input lines (each ending in a newline) and nothing else: a stamp
# written before SOURCE_DATE_EPOCH existed has the same hash, and stays up to date
hash_of_inputs() { sed -n 's/^input //p' "$1" | sha256sum | cut -d' ' -f1; }
ok "a stamp's hash is the sha256 of its input lines alone" \
	test "$(hash_of_inputs "$W/state/stamps/ch1/base.stamp")" = "$(sed -n 's/^hash //p' "$W/state/stamps/ch1/base.stamp")"
out=$(lb build -j2 2>&1)
expect_in "a second build runs nothing" "0 steps run, 6 up to date" "$out"
if [ "$(id -u)" = 0 ]; then
	out=$(lb shell ch1/base -c 'echo "SDE=$SOURCE_DATE_EPOCH"' 2>&1)
	expect_in "lfsbuild shell STEP: the step's environment has it" "SDE=1700000000" "$out"
else
	skip "lfsbuild shell STEP has it" "needs root"
fi
