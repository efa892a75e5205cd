# Layers (docs/layers.md): recipe directories added after the book with --layer DIR. Their order,
# their errors (the layer's FILE:LINE), their stamps (adding one reruns no book step; a changed
# layer recipe reruns it and what follows it), their sources, and the layers kept in
# state/settings.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

book_setup basic
layer_setup extra; E=$L
layer_setup more; M=$L

# fails_saying DESCRIPTION TEXT COMMAND...: the command fails (not a sanitizer) and says TEXT
fails_saying() {
	local d=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = 0 ] || [ "$rc" -ge 86 ]; then _report 1 "$d (exit $rc)"; echo "$out" | sed 's/^/#   /' | tail -5; return; fi
	expect_in "$d" "$want" "$out"
}

# ---- order and graph ----
out=$(lb graph --layer "$E" --layer "$M" 2>&1)
expect_in "graph: a layer step after a layer step" "$(printf 'extra/epsilon\textra/delta')" "$out"
expect_in "graph: the layer stage comes after the book's last step" "$(printf 'extra/delta\tch2/final')" "$out"
expect_in "graph: a step of the second layer after one of the first" "$(printf 'more/zeta\textra/epsilon')" "$out"
out=$(lb graph --layer "$M" --layer "$E" 2>&1)
expect_in "the second layer may be named first" "$(printf 'more/zeta\textra/epsilon')" "$out"
out=$(lb graph --dot --layer "$E" 2>&1)
expect_in "graph --dot: the layer stage's cluster" 'label="layer (chapter 3)"' "$out"

# ---- sources ----
out=$(lb sources --layer "$E" 2>&1)
expect_in "sources lists a layer's source" "delta-3.0.tar.gz" "$out"
out=$(lb fetch --dry-run --layer "$E" delta 2>&1)
expect_in "fetch knows a layer's source" "delta" "$out"
out=$(lb sources 2>&1)
ok "without the layer, its source is not listed" test -z "$(grep delta <<<"$out")"

# ---- stamps: a finished book, then two layers ----
ok "the book builds" lb build -j2 -q
out=$(lb build -j2 --layer "$E" --layer "$M" 2>&1)
expect_in "adding layers reruns no book step" "3 steps run, 5 up to date" "$out"
expect_in "the new layers are said" "setting changed: layers = $E $M (was (default))" "$out"
ok "no book step ran" test -z "$(grep '^\[[0-9:]*\] run   ch' <<<"$out")"
tr=$W/root/trace
after_ok() { [ "$(cat "$tr/$1.start")" -ge "$(cat "$tr/$2.end")" ]; }
ok "delta (after ch1/alpha) ran after alpha" after_ok extra_delta ch1_alpha
ok "epsilon ran after delta" after_ok extra_epsilon extra_delta
ok "epsilon ran after the book's last step" after_ok extra_epsilon ch2_final
ok "zeta (second layer) ran after epsilon" after_ok more_zeta extra_epsilon
ok "the layer's source was unpacked and built" grep -q "built delta" "$W/root/usr/delta/built.txt"
ok "\$FILES holds the layer's files" grep -q "a file of the layer" "$W/root/usr/delta/note.txt"
ok "a layer step's log" grep -q "^# lfsbuild step extra/delta: Delta-3.0" "$W/logs/extra/delta.log"

# ---- kept in state/settings ----
ok "state/settings keeps the layers" grep -qx "layers = $E $M" "$W/state/settings"
out=$(lb build -j2 2>&1)
expect_in "a later build without --layer keeps them: nothing runs" "0 steps run, 8 up to date" "$out"
out=$(lb graph 2>&1)
expect_in "graph without --layer shows the kept layers" "more/zeta" "$out"
out=$(lb status 2>&1)
expect_in "status counts the layer steps" "8/8 steps" "$out"
out=$(lb report 2>&1)
expect_in "report lists a layer step" "extra/delta" "$out"
out=$(lb graph --no-layers 2>&1)
ok "--no-layers: without them" test -z "$(grep extra/ <<<"$out")"

# ---- a changed layer recipe ----
echo "# a comment changes the recipe" >>"$E/delta.recipe"
out=$(lb build -j2 2>&1)
expect_in "the changed layer recipe reruns" "run   extra/delta (recipe changed)" "$out"
expect_in "its successor in the layer" "run   extra/epsilon (dependency extra/delta rebuilt)" "$out"
expect_in "and in the next layer" "run   more/zeta (dependency extra/epsilon rebuilt)" "$out"
expect_in "no book step" "3 steps run, 5 up to date" "$out"
echo "# a comment" >>"$M/zeta.recipe"
out=$(lb build -j2 2>&1)
expect_in "a changed last step: only it" "1 step run, 7 up to date" "$out"
echo "changed" >"$E/files/note.txt"
out=$(lb build -j2 2>&1)
expect_in "a changed file of the layer reruns the step naming it" "run   extra/delta (" "$out"
ok "the build without layers reruns nothing of the book" lb build -j2 -q --no-layers
out=$(lb build -j2 --no-layers 2>&1)
expect_in "--no-layers: the book alone is up to date" "0 steps run, 5 up to date" "$out"
ok "build --no-layers forgets them" grep -qx "layers =" "$W/state/settings"

# ---- lfsbuild.conf ----
printf 'layer = %s\nlayer = %s\n' "$E" "$M" >"$W/lfsbuild.conf"
out=$(lb graph 2>&1)
expect_in "layer = DIR lines of lfsbuild.conf" "more/zeta" "$out"
rm "$W/lfsbuild.conf"

# ---- lfsbuild test: the layers' checks (their parse errors come before QEMU starts) ----
: >"$T/fake.qcow2"
layer_setup extra; E=$L
echo "bogus line" >>"$E/checks"
fails_saying "test reads a layer's checks after the book's" "$E/checks:4: unknown key 'bogus'" \
	lb test --no-layers --layer "$E" --checks "$ROOT/book/files/boot-test.checks" "$T/fake.qcow2"
layer_setup extra; E=$L

# ---- errors name the layer's FILE:LINE ----
layer_setup more; M=$L
sed -i '1a bogus   yes' "$M/zeta.recipe"
fails_saying "a bad key" "$M/zeta.recipe:2: unknown key 'bogus'" lb graph --no-layers --layer "$E" --layer "$M"
layer_setup more; M=$L
sed -i 's#after   extra/epsilon#after   extra/nope#' "$M/zeta.recipe"
fails_saying "an unknown after" "$M/zeta.recipe:3: after: unknown step 'extra/nope'" lb graph --no-layers --layer "$E" --layer "$M"
layer_setup more; M=$L
cp "$M/zeta.recipe" "$M/eta.recipe"
fails_saying "a recipe missing from the layer's toc" "$M/eta.recipe:1: step more/eta is not listed in $M/toc" \
	lb graph --no-layers --layer "$E" --layer "$M"
layer_setup more; M=$L
echo "more/theta" >>"$M/toc"
fails_saying "a toc line without a recipe" "$M/toc:2: more/theta: no recipe $M/theta.recipe" \
	lb graph --no-layers --layer "$E" --layer "$M"
layer_setup more; M=$L
echo "extra/zeta" >>"$M/toc"
fails_saying "a toc line of another layer" "$M/toc:2: 'extra/zeta' is not a step id of this layer (more/PAGE)" \
	lb graph --no-layers --layer "$E" --layer "$M"
layer_setup more; M=$L
sed -i '1a sources nothere' "$M/zeta.recipe"
fails_saying "a source missing from the layer's manifest" "$M/zeta.recipe:2: unknown source 'nothere' (not in $M/sources" \
	lb graph --no-layers --layer "$E" --layer "$M"
layer_setup more; M=$L
sed -i 's/^stage   layer/stage   two/' "$M/zeta.recipe"
fails_saying "a layer step in a book stage" "$M/zeta.recipe:2: stage 'two': a layer's steps are in stage layer" \
	lb graph --no-layers --layer "$E" --layer "$M"
layer_setup more; M=$L
printf 'source alpha\n  upstream 9 http://127.0.0.1:9/alpha-9.tar.gz sha256=%064d\n' 0 >"$M/sources"
fails_saying "a layer's source named like the book's" "$M/sources:1: source 'alpha' is defined already" \
	lb graph --no-layers --layer "$E" --layer "$M"
fails_saying "the same layer twice" "a layer called extra is there already" lb graph --no-layers --layer "$E" --layer "$E"
mkdir -p "$T/ch7" && cp "$E/toc" "$T/ch7/"
fails_saying "a layer named like a chapter" "must be of [A-Za-z0-9+._-] and not chN" lb graph --no-layers --layer "$T/ch7"
fails_saying "no such layer" "$T/nope: no such directory" lb graph --no-layers --layer "$T/nope"
sed -i '1a after extra/delta' "$BOOK/ch2/final.recipe"
fails_saying "a book step cannot come after a layer step" "$BOOK/ch2/final.recipe:2: after: 'extra/delta' is not a step id" \
	lb graph --no-layers --layer "$E"

# ---- kernel configuration fragments: a layer's files/kernel/*.config after the book's fragment ----
book_setup basic
layer_setup extra; E=$L
mkdir -p "$BOOK/files/kernel"
printf 'CONFIG_BOOK=y\n' >"$BOOK/files/kernel/base.config"
sed -i 's#^sbu     0.1#sbu     0.1\nfiles   kernel/base.config#' "$BOOK/ch2/final.recipe"
sed -i 's#^%build#%build\ncp $FILES/kernel/base.config $LFS/kernel.config#' "$BOOK/ch2/final.recipe"
ok "a book step with a kernel fragment builds" lb build -j2 -q
out=$(lb build -j2 --layer "$E" 2>&1)
expect_in "a layer without a fragment: the book's step stays" "skip  ch2/final (up to date)" "$out"
ok "its fragment is the book's" cmp "$BOOK/files/kernel/base.config" "$W/root/kernel.config"
mkdir -p "$E/files/kernel"
printf 'CONFIG_EXTRA=m\n' >"$E/files/kernel/b.config"
printf '# CONFIG_NOPE is not set\n' >"$E/files/kernel/a.config"
out=$(lb build -j2 2>&1)
expect_in "a layer's fragment reruns the step that merges the book's" "run   ch2/final (" "$out"
expect_in "and the layer steps after it" "run   extra/delta (dependency ch2/final rebuilt)" "$out"
want=$(printf 'CONFIG_BOOK=y\n\n# from the layer extra: %s\n# CONFIG_NOPE is not set\n\n# from the layer extra: %s\nCONFIG_EXTRA=m' \
	"$E/files/kernel/a.config" "$E/files/kernel/b.config")
ok "\$FILES/kernel/base.config: the book's, then the layer's fragments in name order" test "$(cat "$W/root/kernel.config")" = "$want"
out=$(lb build -j2 2>&1)
expect_in "then up to date" "0 steps run, 7 up to date" "$out"

# ---- the real book: a layer changes no book step's hash; its steps run in chroot mode ----
mkdir -p "$T/demo"
printf 'demo/hello\n' >"$T/demo/toc"
printf 'title Hello\nstage layer\nafter ch8/gcc\n\n%%build\necho hi\n' >"$T/demo/hello.recipe"
real() { "$LFSBUILD" --book "$ROOT/book" -C "$T/real" --sources "$T/realsrc" "$@"; }
out=$(real graph --layer "$T/demo" 2>&1)
expect_in "real book: the layer step after the book's last steps" "$(printf 'demo/hello\tch10/grub,ch11/theend')" "$out"
for s in ch8/gcc ch10/kernel ch10/grub ch11/theend; do
	a=$(real build --no-layers --explain "$s" 2>&1 | grep -o "step's hash: [0-9a-f]*")
	b=$(real build --layer "$T/demo" --explain "$s" 2>&1 | grep -o "step's hash: [0-9a-f]*")
	ok "real book: $s has the same hash with a layer" test -n "$a" -a "$a" = "$b"
done
out=$(real build --layer "$T/demo" --explain demo/hello 2>&1)
expect_in "real book: a layer step runs in the chroot" "stage layer, mode chroot" "$out"

# ---- a chroot book: the layer stage takes its mode and environment (no `system` stage: the last) ----
if [ "$(id -u)" != 0 ]; then
	skip "a layer step in the chroot" "needs root"
else
	book_setup chroot
	layer_setup inroot
	mkdir -p "$W/root"
	for f in /bin/bash $(ldd /bin/bash | grep -o '/[^ ]*'); do cp --parents -L "$f" "$W/root/"; done
	ok "a chroot book with a layer builds" lb build -j2 -q --layer "$L"
	ok "the layer step ran as root" grep -qx "uid 0" "$W/root/layer.txt"
	ok "in the chroot (\$LFS is /)" grep -qx "lfs /" "$W/root/layer.txt"
	ok "with the last stage's environment" grep -qx "where /here" "$W/root/layer.txt"
	ok "in its build directory" grep -qx "pwd /build/inroot_look" "$W/root/layer.txt"
	ok "\$FILES has the layer's file" grep -qx "a file for the chroot" "$W/root/layer.txt"
fi
