# The settings of the new system reach exactly the steps docs/system.md names for them: the
# variable LFSBUILD_X appears in those recipes and in no other (a setting is an input of the
# steps whose recipe names it, so this is also what a new value reruns). The time zone is set by
# ch9/clock, not by ch8/glibc, so that a new --timezone reruns no package of chapter 8.
. "$(dirname "$0")/../lib/check.sh"
DOC=$ROOT/docs/system.md
for var in LFSBUILD_HOSTNAME LFSBUILD_LOCALES LFSBUILD_TIMEZONE LFSBUILD_KEYMAP LFSBUILD_LANG \
	LFSBUILD_ROOT_PASSWORD_HASH LFSBUILD_KERNEL_CONFIG; do
	# docs: the "named by" column of the variable's row, as a sorted list of step ids
	doc=$(awk -F'|' -v v="\`$var\`" '$2 ~ v { print $4 }' "$DOC" | grep -oE 'ch[0-9]+/[a-z0-9_.+-]+' | sort -u | tr '\n' ' ')
	book=$(cd "$ROOT/book" && grep -l -- "$var" ch*/*.recipe | sed 's/\.recipe$//' | sort -u | tr '\n' ' ')
	ok "$var: docs/system.md names steps for it" test -n "$doc"
	expect_in "$var: the recipes naming it are the ones docs/system.md names" "[$doc]" "[$book]"
done
ok "ch8/glibc does not name the time zone (a new --timezone reruns no package)" \
	bash -c "! grep -q LFSBUILD_TIMEZONE '$ROOT/book/ch8/glibc.recipe'"
