# A real fetch of two small sources from the Debian archive, through the mirror URIs of the
# host's apt configuration, into a temporary cache. The upstream origin (a closed port on
# 127.0.0.1) fails first, so this also shows the fallback to the debian origin.
. "$(dirname "$0")/../lib/check.sh"

ACL=97203a72cae99ab89a067fe2210c1cbf052bc492b479eca7d226d9830883b0bd
PSMISC=58c55d9c1402474065adae669511c191de374b0871eec781239ab400b907c327
mkdir -p "$T/book"
cat >"$T/book/sources" <<EOF
source acl
  upstream 2.3.2 http://127.0.0.1:1/acl-2.3.2.tar.xz md5=590765dee95907dbc3c856f7255bd669
  debian 2.3.2 acl 2.3.2-2 acl_2.3.2.orig.tar.xz sha256=$ACL md5=590765dee95907dbc3c856f7255bd669
source psmisc
  debian 23.7 psmisc 23.7-2 psmisc_23.7.orig.tar.xz sha256=$PSMISC
EOF
export LFSBUILD_BOOK=$T/book LFSBUILD_SOURCES=$T/cache
unset LFSBUILD_APT_ROOT LFSBUILD_MIRRORS

# The first apt mirror URI, as the tool reads it (the dry run names the first debian URL).
url=$("$LFSBUILD" fetch --dry-run psmisc | awk '$1 == "psmisc" { print $4 }')
base=${url%/pool/main/*}
if [ -z "$base" ] || ! curl -sS -o /dev/null --connect-timeout 5 "$base/" 2>"$T/curl.err"; then
	skip "real fetch from the Debian archive" "no apt mirror URI reachable: ${base:-none} $(cat "$T/curl.err")"
	exit 0
fi

"$LFSBUILD" fetch >"$T/o" 2>"$T/e"; rc=$?
ok "fetch from the Debian archive exits 0" test "$rc" = 0
ok "acl came from the debian origin" grep -q "fetched acl: acl_2.3.2.orig.tar.xz from debian" "$T/o"
ok "psmisc came from the debian origin" grep -q "fetched psmisc: psmisc_23.7.orig.tar.xz from debian" "$T/o"
ok "the refused upstream was reported" grep -q "acl: http://127.0.0.1:1/acl-2.3.2.tar.xz: connection refused" "$T/e"
ok "acl is verified in the cache" test "$(sha256sum <"$T/cache/acl_2.3.2.orig.tar.xz" | cut -d' ' -f1)" = "$ACL"
ok "psmisc is verified in the cache" test "$(sha256sum <"$T/cache/psmisc_23.7.orig.tar.xz" | cut -d' ' -f1)" = "$PSMISC"
ok "the stamp says where it came from" grep -q "^from $base/pool/main/p/psmisc/psmisc_23.7.orig.tar.xz$" \
	"$T/cache/.lfsbuild/psmisc_23.7.orig.tar.xz.stamp"
"$LFSBUILD" fetch >"$T/o" 2>"$T/e"; rc=$?
ok "run again: nothing downloaded" grep -q "(0 fetched, 0 B, 2 already there)" "$T/o"
out=$("$LFSBUILD" sources)
ok "sources: both cached and verified" test "$(grep -Ec ' cache +yes +yes$' <<<"$out")" = 2
