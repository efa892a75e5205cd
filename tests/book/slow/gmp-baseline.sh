#!/usr/bin/env bash
# GMP as ch8/gmp configures it, built on this host from the source cache, checked with
# book/files/check/baseline-isa.sh: the recipe before issue 18 (the book's configure line, tuned
# for the build host) must fail the check on a host whose CPU has BMI2/ADX, and the recipe of
# this checkout must pass it. Proves that the check catches the mistake and that the recipe
# mends it. Both configure lines are read from the recipes themselves (the old one from git).
#
#   tests/book/slow/gmp-baseline.sh SOURCES_DIR     (about 5-10 minutes on 2 cores)
# SOURCES_DIR holds gmp_6.3.0+dfsg.orig.tar.xz (or gmp-6.3.0.tar.xz): a work directory's sources/.
set -u
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
[ $# = 1 ] || { echo "usage: $0 SOURCES_DIR" >&2; exit 2; }
src=$(ls "$1"/gmp_6.3.0*.orig.tar.xz "$1"/gmp-6.3.0.tar.xz 2>/dev/null | head -n1)
[ -n "$src" ] || { echo "$0: no GMP 6.3.0 tarball in $1" >&2; exit 2; }
. "$ROOT/tests/lib/check.sh"
CHECK=$ROOT/book/files/check/baseline-isa.sh
OLD=ca23a53^   # the commit before ch8/gmp became generic

# The configure command of a recipe's %build: from "./configure" to the line without a backslash.
configure_of() { awk '/^\.\/configure/ {on=1} on {print} on && !/\\$/ {exit}' ; }

build() {  # build NAME RECIPE-TEXT
	local d=$T/$1
	mkdir -p "$d" && tar -xf "$src" -C "$d" --strip-components=1 || return 1
	local conf
	conf=$(printf '%s\n' "$2" | configure_of | sed "s|--prefix=/usr|--prefix=$d/inst|")
	echo "# $1: $conf" | tr -s ' \\\n' ' '; echo
	( cd "$d" && mkdir -p doc && { [ -e doc/Makefile.in ] || printf 'all:\n.DEFAULT:\n\t@:\n' >doc/Makefile.in; } &&
	  eval "$conf" >build.log 2>&1 && make -j"$(nproc)" >>build.log 2>&1 && make install >>build.log 2>&1 ) ||
		{ tail -20 "$d/build.log"; return 1; }
}

if grep -qw adx /proc/cpuinfo && grep -qw bmi2 /proc/cpuinfo; then
	ok "GMP with the old recipe's configure line builds" build old "$(git -C "$ROOT" show "$OLD:book/ch8/gmp.recipe")"
	fails "the check fails on it (host-tuned: BMI2/ADX)" bash "$CHECK" "$T/old/inst/lib/libgmp.so.10"
	sed 's/^/# /' "$T/.out" | head -8
else
	skip "the old recipe fails the check" "this CPU has no BMI2/ADX, so host-tuned GMP would not use them"
fi
ok "GMP with this checkout's recipe builds" build new "$(cat "$ROOT/book/ch8/gmp.recipe")"
ok "the check passes on it" bash "$CHECK" "$T/new/inst/lib/libgmp.so.10" "$T/new/inst/lib/libgmpxx.so.4"
