# The shipped layer layers/blfs (docs/layers.md): it parses with the book (graph, sources), its
# steps come after every book step, each source has the BLFS page's upstream MD5 and a Debian
# origin with a sha256, each recipe's sections are valid bash, and its checks file is well
# formed. Building it is the real run (docs/layers.md, "The shipped layer"); nothing is built here.
. "$(dirname "$0")/../lib/check.sh"
L=$ROOT/layers/blfs
W=$T/work

lfs() { "$LFSBUILD" -C "$W" --book "$ROOT/book" --layer "$L" "$@"; }
ok "graph with the layer succeeds" lfs graph
graph=$(lfs graph 2>&1)
for s in openssh sudo wget nano; do
	expect_in "graph has blfs/$s after the book's last steps" "blfs/$s	ch10/grub,ch11/theend" "$graph"
done
expect_in "the layer's steps in the toc's order" "blfs/openssh blfs/sudo blfs/wget blfs/nano" \
	"$(printf '%s\n' "$graph" | awk -F'\t' '$1 ~ /^blfs\// {printf "%s%s", sep, $1; sep=" "}')"

ok "sources with the layer succeeds" lfs sources openssh sudo wget nano
src=$(lfs sources openssh sudo wget nano 2>&1)
expect_in "sources: openssh at the BLFS version" "openssh-9.9p2.tar.gz" "$src"
expect_in "sources: sudo" "sudo-1.9.16p2.tar.gz" "$src"
expect_in "sources: wget" "wget-1.25.0.tar.gz" "$src"
expect_in "sources: nano" "nano-8.3.tar.xz" "$src"

# Every source: an upstream line with md5= and a debian line with sha256=.
for s in openssh sudo wget nano; do
	block=$(awk -v s="$s" '$1 == "source" {on = ($2 == s)} on' "$L/sources")
	ok "sources: $s has an upstream origin with the book's MD5" grep -qE '^ *upstream .* md5=[0-9a-f]{32}' <<<"$block"
	ok "sources: $s has a Debian origin with a sha256" grep -qE '^ *debian .* sha256=[0-9a-f]{64}' <<<"$block"
done

# Each recipe's sections are valid bash (bash -n on the body after the header).
for r in "$L"/*.recipe; do
	ok "$(basename "$r"): sections parse as bash" bash -n <(sed -n '/^%/,$p' "$r" | grep -v '^%')
	ok "$(basename "$r"): stage layer" grep -qx 'stage *layer' "$r"
done
ok "openssh: no host keys made at build time (install-nokeys)" grep -q '^make install-nokeys' "$L/openssh.recipe"
ok "openssh: the units are the layer's files" test -r "$L/files/sshd.service" -a -r "$L/files/sshdgenkeys.service"

# checks: every `check` is followed by one `run` and at least one expect/contains, and no
# ${...} that `lfsbuild test` would try to expand (only the disk ids exist).
bad=$(awk '
	/^check / { if (name != "" && (runs != 1 || wants == 0)) print name; name = $0; runs = 0; wants = 0; next }
	/^run /   { runs++ } /^(expect|contains) / { wants++ }
	END { if (name != "" && (runs != 1 || wants == 0)) print name }' "$L/checks")
ok "checks: each check has one run and an expectation${bad:+ (not: $bad)}" test -z "$bad"
ok "checks: no \${VAR} the test would expand" bash -c "! grep -n '\\\${' '$L/checks'"
n=$(grep -c '^check ' "$L/checks")
ok "checks: ssh, sudo, wget and nano each checked ($n checks)" \
	bash -c "grep -q 'blfs/openssh' '$L/checks' && grep -q 'blfs/sudo' '$L/checks' && grep -q 'blfs/wget' '$L/checks' && grep -q 'blfs/nano' '$L/checks'"
