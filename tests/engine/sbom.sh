# lfsbuild sbom (and image): the CycloneDX SBOM of the sbom book (tests/books/sbom) and its layer
# blfs, built with --capture on (as root) and without. Validated by someone else's validator
# (tools/sbom-validate: @cyclonedx/cyclonedx-library's JSON schema validator, `make deps`), which
# is shown to reject a broken document; its content checked by tests/engine/sbom-check.py against
# the tarballs, the file lists and the root; the same work directory gives the same bytes.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

V=$ROOT/tools/sbom-validate
ci=false
case "${CI:-}" in true|1|yes) ci=true ;; esac
# The validator must be there: under CI=true its absence fails the test (never a skip).
if ! command -v node >/dev/null || [ ! -d "$V/node_modules/@cyclonedx/cyclonedx-library" ]; then
	why="node or the validator is missing (make deps: nodejs, npm, then npm ci in tools/sbom-validate)"
	if $ci; then _report 1 "the SBOM validator is installed: $why"; else skip "sbom" "$why"; fi
	exit 0
fi
validate() { node "$V/validate.js" "$@"; }
tool_version=$("$LFSBUILD" --version | head -1 | cut -d' ' -f2)
# checks SBOM MODE: the content checks of sbom-check.py, one TAP line each
checks() {
	local line
	while IFS= read -r line; do
		case $line in
		"PASS "*) _report 0 "${line#PASS }" ;;
		"FAIL "*) _report 1 "${line#FAIL }" ;;
		*) _report 1 "sbom-check.py: $line" ;;
		esac
	done < <(python3 "$ROOT/tests/engine/sbom-check.py" "$1" "$W" "$SRC" "$BOOK" "$tool_version" "$2" 2>&1)
}

book_setup sbom
layer_setup blfs
debian_source "$BOOK" debpkg 2.0 2.0.1

# ---- without capture: every package with its source, its files said to be unknown ----
ok "the book builds without capture" lb build -j2 --layer "$L"
ok "lfsbuild sbom" lb sbom
S=$W/lfs.cdx.json
expect_in "it says where and what" "SBOM (CycloneDX 1.6): $S: 7 steps (0 not built), 1 files" "$(cat "$T/.out")"
expect_in "and that the files of the steps are not known" "the files of 7 steps are not known" "$(cat "$T/.out")"
ok "the validator accepts it" validate "$S"
checks "$S" nocapture

# ---- the validator can fail ----
python3 - "$S" "$T/broken.json" "$T/dangling.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
del doc['components'][0]['name']
json.dump(doc, open(sys.argv[2], 'w'))
doc = json.load(open(sys.argv[1]))
doc['dependencies'][1]['dependsOn'].append('ch9/nosuch')
json.dump(doc, open(sys.argv[3], 'w'))
EOF
fails_with 1 "the validator rejects a component without its required name" validate "$T/broken.json"
expect_in "... saying what is missing" "/components/0: must have required property 'name'" "$(cat "$T/.out")"
fails_with 1 "the validator rejects a dependency on no component" validate "$T/dangling.json"
expect_in "... saying which" 'dependsOn "ch9/nosuch" names no bom-ref' "$(cat "$T/.out")"

# ---- with capture (root: an overlay per step) ----
if [ "$(id -u)" != 0 ]; then
	skip "sbom with --capture on" "needs root (an overlay per step)"
	exit 0
fi
rm -rf "$W"
ok "the book builds with --capture on" lb build -j2 --capture on --layer "$L"
ok "lfsbuild sbom -o FILE" lb sbom -o "$T/one.cdx.json"
S=$T/one.cdx.json
expect_in "it counts the files" "7 steps (0 not built), 16 files" "$(cat "$T/.out")"
expect_in "and the one step whose files are not known (capture no)" "the files of 1 steps are not known" "$(cat "$T/.out")"
ok "the validator accepts it" validate "$S"
checks "$S" capture
ok "the same work directory gives the same bytes" sh -c "'$LFSBUILD' --book '$BOOK' -C '$W' --sources '$SRC' sbom -q -o '$T/two.cdx.json' && cmp '$S' '$T/two.cdx.json'"
ok "SOURCE_DATE_EPOCH sets the document's time" sh -c "SOURCE_DATE_EPOCH=1741132800 '$LFSBUILD' --book '$BOOK' -C '$W' --sources '$SRC' sbom -q -o '$T/sde.cdx.json' && grep -q '\"timestamp\":\"2025-03-05T00:00:00Z\"' '$T/sde.cdx.json'"
ok "and, the content being the same but its time, another serial number" sh -c "! grep -q \"\$(grep -o 'urn:uuid:[0-9a-f-]*' '$S')\" '$T/sde.cdx.json'"

# ---- image writes it too, beside the image ----
have_image=true
for t in qemu-img mke2fs mkfs.vfat mcopy; do command -v $t >/dev/null || have_image=false; done
if $have_image; then
	mkdir -p "$W/root/boot/efi"
	ok "lfsbuild image" lb image --size 1G
	expect_in "it says where the SBOM is: beside the image" "SBOM (CycloneDX 1.6): $W/lfs.cdx.json" "$(cat "$T/.out")"
	ok "image's SBOM is sbom's (the same work directory)" cmp "$W/lfs.cdx.json" "$S"
	ok "image -o FILE: FILE without .qcow2, with .cdx.json" lb image --size 1G -o "$T/disk.qcow2"
	ok "its root component names that image" grep -q '"name":"lfsbuild:image","value":"disk.qcow2"' "$T/disk.cdx.json"
else
	skip "image writes the SBOM" "qemu-img, mke2fs, mkfs.vfat or mcopy missing (make deps)"
fi

# ---- the command line ----
ok "sbom --help" lb sbom --help
expect_in "... names the default file" "Writes WORKDIR/lfs.cdx.json (or -o FILE" "$(cat "$T/.out")"
expect_in "... and the format" "a CycloneDX 1.6 software bill of materials" "$(cat "$T/.out")"
mkdir -p "$T/elsewhere"
echo "output = $T/elsewhere/disk.qcow2" >"$W/lfsbuild.conf"
ok "lfsbuild.conf's output (the image's) moves the SBOM beside it" sh -c "'$LFSBUILD' --book '$BOOK' -C '$W' --sources '$SRC' sbom -q && test -f '$T/elsewhere/disk.cdx.json'"
rm "$W/lfsbuild.conf"
fails_with 2 "an operand is a usage error" lb sbom extra
ok "a build holding the lock: sbom refuses" bash -c "! flock '$W/state/lock' '$LFSBUILD' --book '$BOOK' -C '$W' --sources '$SRC' sbom -o '$T/locked.json' 2>'$T/locked.err'"
expect_in "... saying why" "a build is running in $W; write its SBOM when the build has ended" "$(cat "$T/locked.err")"
ok "... and writing nothing" test ! -e "$T/locked.json"
echo "nosuch MIT" >>"$BOOK/licenses"
fails "a licence for a source the manifest does not have fails" lb sbom -o "$T/bad.json"
expect_in "... naming the file and line" "$BOOK/licenses:4: nosuch: no source of that name in the manifest" "$(cat "$T/.out")"
sed -i '$d' "$BOOK/licenses"

# ---- a list that no longer describes the root: stale (built again without capture), removed ----
ok "ch1/deb built again without capture" lb build --only ch1/deb
ok "lfsbuild remove blfs/tool" lb remove blfs/tool
ok "lfsbuild sbom after both" lb sbom -q -o "$T/after.cdx.json"
ok "... still valid" validate "$T/after.cdx.json"
prop_of() { python3 -c 'import json,sys; c=[c for c in json.load(open(sys.argv[1]))["components"] if c["bom-ref"]==sys.argv[2]][0]; print("\n".join(p["name"]+"="+p["value"] for p in c.get("properties",[]))); print("files=%d" % len([x for x in c.get("components",[]) if x["type"]=="file"]))' "$T/after.cdx.json" "$1"; }
out=$(prop_of ch1/deb)
expect_in "a stale list: its files are not known, said so" "lfsbuild:files=not known: built again without --capture on since its file list was written" "$out"
expect_in "... and none is listed" "files=0" "$out"
out=$(prop_of blfs/tool)
expect_in "a removed step: said so" "lfsbuild:files=none: taken out of the root (lfsbuild remove)" "$out"
expect_in "... its result is the stamp's" "lfsbuild:result=removed" "$out"
expect_in "... no file listed" "files=0" "$out"
ok "the image no longer depends on the removed step" python3 -c 'import json,sys; d=[d for d in json.load(open(sys.argv[1]))["dependencies"] if d["ref"]=="image"][0]; sys.exit("blfs/tool" in d["dependsOn"] or "ch1/base" not in d["dependsOn"])' "$T/after.cdx.json"
