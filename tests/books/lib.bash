# tests/books/lib.bash: sourced by tests/engine/*.sh after tests/lib/check.sh.
#   book_setup NAME   copies tests/books/NAME to $T/book, makes the tiny tarballs its `tarballs`
#                     file lists into $T/src (a cache dir), and writes $T/book/sources with their
#                     sha256. Sets BOOK, SRC, W (the work dir) and the function lb (lfsbuild with them).
#   layer_setup NAME  a layer of tests/books/layers/ in $T/layers/NAME, set in L (docs/layers.md).
#   debian_source DIR NAME VERSION BOOKVERSION   a source of the Debian archive (below).
# The tarballs file: one "NAME VERSION [MTIME]" per line; each tarball NAME-VERSION.tar.gz holds
# NAME-VERSION/ with a Makefile whose `all` writes built.txt and a file hello.txt, every member
# with the mtime MTIME (seconds since the epoch; default 0).
book_setup() {
	BOOK=$T/book SRC=$T/src W=$T/work
	rm -rf "$BOOK" "$W"
	mkdir -p "$SRC" "$W"
	cp -r "$ROOT/tests/books/$1" "$BOOK"
	chmod 755 "$T"
	tarballs "$BOOK"
}
# tarballs DIR: the tiny tarballs DIR/tarballs lists into $SRC, and DIR/sources with their sha256.
tarballs() {
	: >"$1/sources"
	if [ -f "$1/tarballs" ]; then
		while read -r name version mtime; do
			[ -n "$name" ] || continue
			local d=$T/mk/$name-$version
			mkdir -p "$d"
			printf 'hello from %s %s\n' "$name" "$version" >"$d/hello.txt"
			printf 'all:\n\techo built %s > built.txt\n' "$name" >"$d/Makefile"
			tar -C "$T/mk" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${mtime:-0}" \
				-czf "$SRC/$name-$version.tar.gz" "$name-$version"
			local sum
			sum=$(sha256sum "$SRC/$name-$version.tar.gz" | cut -d' ' -f1)
			printf 'source %s\n  upstream %s http://127.0.0.1:9/%s-%s.tar.gz sha256=%s\n' \
				"$name" "$version" "$name" "$version" "$sum" >>"$1/sources"
		done <"$1/tarballs"
	fi
}
# debian_source DIR NAME VERSION BOOKVERSION: a source NAME that the book gives as NAME-BOOKVERSION
# upstream (an MD5 only, as the book's) and that the cache holds as Debian's NAME_VERSION.orig.tar.gz
# (Debian source package NAME VERSION-1), appended to DIR/sources; the tarball as tarballs() makes them.
debian_source() {
	local d=$T/mk/$2-$3 file=$2_$3.orig.tar.gz
	mkdir -p "$d"
	printf 'hello from %s %s (Debian)\n' "$2" "$3" >"$d/hello.txt"
	tar -C "$T/mk" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf "$SRC/$file" "$2-$3"
	printf 'source %s\n  upstream %s http://127.0.0.1:9/%s-%s.tar.gz md5=0123456789abcdef0123456789abcdef\n  debian %s %s %s-1 %s sha256=%s\n' \
		"$2" "$4" "$2" "$4" "$3" "$2" "$3" "$file" "$(sha256sum "$SRC/$file" | cut -d' ' -f1)" >>"$1/sources"
}
# layer_setup NAME: copies tests/books/layers/NAME to $T/layers/NAME (its tarballs and sources
# made as the book's); sets L to it.
layer_setup() {
	L=$T/layers/$1
	rm -rf "$L"
	mkdir -p "$T/layers"
	cp -r "$ROOT/tests/books/layers/$1" "$L"
	tarballs "$L"
}
lb() { "$LFSBUILD" --book "$BOOK" -C "$W" --sources "$SRC" "$@"; }
# The steps' recipes write trace files: $LFS/trace/<step flat id>.start and .end (epoch ns).
# max_overlap prints the largest number of steps that ran at one moment.
max_overlap() {
	local dir=$1
	for f in "$dir"/*.start; do echo "$(cat "$f") 1"; done >"$T/ev"
	for f in "$dir"/*.end; do echo "$(cat "$f") -1"; done >>"$T/ev"
	sort -n -k1,1 -k2,2n "$T/ev" | awk '{c+=$2; if (c>m) m=c} END {print m+0}'
}
# lb_bg: lfsbuild in the background; $! is lfsbuild itself (a function's subshell would not be).
lb_bg() { "$LFSBUILD" --book "$BOOK" -C "$W" --sources "$SRC" "$@" & }

# remove_book_setup: the book tests/books/remove (du.sh, remove.sh) with its host victim
# directory ($T/host/victim, whose file has the content of ch1/base's usr/share/pkg/dir/file)
# named in ch1/strip.recipe; sets R=$W/root. regular TREE: its regular files, each inode once,
# as "FILES BYTES" (a count of its own, independent of lfsbuild's).
remove_book_setup() {
	book_setup remove
	mkdir -p "$T/host/victim"
	echo same >"$T/host/victim/file"
	sed -i "s|@VICTIM@|$T/host/victim|" "$BOOK/ch1/strip.recipe"
	R=$W/root
}
regular() { find "$1" -type f -printf '%i %s\n' | sort -u -k1,1 | awk '{n++; s+=$2} END {print n+0, s+0}'; }
