#!/usr/bin/env bash
# compare-roots.sh ROOT1 ROOT2 [EXCLUDE-REGEX]: do two trees hold the same entries with the same
# type, mode, owner, group, size, content (sha256), symlink target, xattrs (but
# trusted.overlay.*) and hard-link groups? Times are not compared. Prints the differences
# (diff of the two listings) and exits 1 when there are some. Usable on real roots (as root):
#   bash tests/lib/compare-roots.sh lfs-work/root other-work/root '^\./(build|trace)(/|$)'
set -u
[ $# -ge 2 ] || { echo "usage: $0 ROOT1 ROOT2 [EXCLUDE-REGEX]" >&2; exit 2; }
excl=${3:-'^$'}
listing() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %U %G %n %P\0' | sort -z | while IFS= read -r -d '' e; do
		p=${e#* * * * * }; p=./$p
		[[ $p =~ $excl ]] && continue
		set -- $e
		local t=$1 m=$2 u=$3 g=$4 n=$5 extra=-
		case $t in
		f) extra=$(sha256sum <"$p" | cut -c1-64) ;;
		l) extra="-> $(readlink "$p")" ;;
		b|c) extra=$(stat -c '%t:%T' "$p") ;;
		esac
		x=$(getfattr -h -d -m - --absolute-names "$p" 2>/dev/null | grep -v '^#' | grep -v '^trusted\.overlay\.' | grep . | sort | tr '\n' ' ')
		printf '%s %s %s %s links=%s %s %s [%s]\n' "$t" "$m" "$u" "$g" "$n" "$(printf %q "$p")" "$extra" "$x"
	done)
}
a=$(listing "$1") b=$(listing "$2")
if [ "$a" != "$b" ]; then
	diff <(echo "$a") <(echo "$b") | head -50
	exit 1
fi
echo "same: $(echo "$a" | wc -l) entries"
