# tests/books/lib.bash: sourced by tests/engine/*.sh after tests/lib/check.sh.
#   book_setup NAME   copies tests/books/NAME to $T/book, makes the tiny tarballs its `tarballs`
#                     file lists into $T/src (a cache dir), and writes $T/book/sources with their
#                     sha256. Sets BOOK, SRC, W (the work dir) and the function lb (lfsbuild with them).
#   layer_setup NAME  a layer of tests/books/layers/ in $T/layers/NAME, set in L (docs/layers.md).
# The tarballs file: one "NAME VERSION" per line; each tarball NAME-VERSION.tar.gz holds
# NAME-VERSION/ with a Makefile whose `all` writes built.txt and a file hello.txt.
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
		while read -r name version; do
			[ -n "$name" ] || continue
			local d=$T/mk/$name-$version
			mkdir -p "$d"
			printf 'hello from %s %s\n' "$name" "$version" >"$d/hello.txt"
			printf 'all:\n\techo built %s > built.txt\n' "$name" >"$d/Makefile"
			tar -C "$T/mk" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
				-czf "$SRC/$name-$version.tar.gz" "$name-$version"
			local sum
			sum=$(sha256sum "$SRC/$name-$version.tar.gz" | cut -d' ' -f1)
			printf 'source %s\n  upstream %s http://127.0.0.1:9/%s-%s.tar.gz sha256=%s\n' \
				"$name" "$version" "$name" "$version" "$sum" >>"$1/sources"
		done <"$1/tarballs"
	fi
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
