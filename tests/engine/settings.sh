# The settings of the new system (--timezone, --keymap, --lang, --hostname, --kernel-config):
# checked before anything starts, passed to the steps that name them, kept in
# WORKDIR/state/settings so that a later build, and the printed resume command, keep them; a
# new value reruns exactly the steps that name it ("configuration changed: timezone"), not the
# steps after them (inputs_pass_hash()); a recipe change still reruns what comes after.
. "$(dirname "$0")/../lib/check.sh"
. "$ROOT/tests/books/lib.bash"

SETTINGS=(--timezone Europe/Berlin --keymap de --lang de_DE.UTF-8 --hostname x)
root_is() { # root_is FILE VALUE: $W/root/FILE holds exactly VALUE
	[ "$(cat "$W/root/$1" 2>/dev/null)" = "$2" ]
}
check_root() { # check_root WHAT: the four files hold the settings of SETTINGS
	ok "$1: the time zone reached the step" root_is timezone Europe/Berlin
	ok "$1: the keymap reached the step" root_is keymap de
	ok "$1: LANG reached the step" root_is lang de_DE.UTF-8
	ok "$1: the host name reached the step" root_is hostname x
}

book_setup settings
ok "a build with settings" lb build -j2 "${SETTINGS[@]}"
check_root "first build"
ok "state/settings keeps the time zone" grep -qx "timezone = Europe/Berlin" "$W/state/settings"
ok "state/settings keeps the keymap" grep -qx "keymap = de" "$W/state/settings"
ok "state/settings keeps LANG" grep -qx "lang = de_DE.UTF-8" "$W/state/settings"
ok "state/settings keeps the host name" grep -qx "hostname = x" "$W/state/settings"
ok "state/settings says where the root password comes from" grep -qx "root-password = generated" "$W/state/settings"
ok "state/settings has a place for layers" grep -qx "layers =" "$W/state/settings"
ok "the step's stamp has the setting as an input" grep -q "^input config timezone " "$W/state/stamps/ch1/tz.stamp"
ok "a step that does not name it has no such input" sh -c "! grep -q '^input config timezone' '$W/state/stamps/ch1/keymap.stamp'"

book_setup settings
printf 'timezone = Europe/Berlin\nkeymap = de\nlang = de_DE.UTF-8\nhostname = x\n' >"$W/lfsbuild.conf"
ok "the same settings from lfsbuild.conf" lb build -j2
check_root "from lfsbuild.conf"
rm "$W/lfsbuild.conf"
out=$(lb build -j2 2>&1)
expect_in "again without the options: nothing reruns" "build complete: 0 steps run, 8 up to date" "$out"
ok "state/settings still holds them" grep -qx "timezone = Europe/Berlin" "$W/state/settings"
ok "and the host name" grep -qx "hostname = x" "$W/state/settings"

# --explain says why the step would run with a new value, and keeps nothing
out=$(lb build --explain ch1/tz --timezone Asia/Tokyo 2>&1)
expect_in "--explain: the reason" "ch1/tz would run: configuration changed: timezone" "$out"
expect_in "--explain: the value passed" "LFSBUILD_TIMEZONE=Asia/Tokyo" "$out"
ok "--explain keeps nothing" grep -qx "timezone = Europe/Berlin" "$W/state/settings"
out=$(lb build --explain ch1/tz 2>&1)
expect_in "--explain without it: up to date" "ch1/tz is up to date" "$out"

out=$(lb build -j2 --timezone Asia/Tokyo 2>&1)
expect_in "a new time zone is reported" "setting changed: timezone = Asia/Tokyo (was Europe/Berlin)" "$out"
expect_in "the step naming LFSBUILD_TIMEZONE reruns: configuration changed" "run   ch1/tz (configuration changed: timezone)" "$out"
expect_in "a step after it that names it too reruns for the setting" "run   ch1/clock (configuration changed: timezone)" "$out"
ok "it built from the new value" root_is clock Asia/Tokyo
expect_in "the keymap step stays" "skip  ch1/keymap (up to date)" "$out"
expect_in "the lang step stays" "skip  ch1/lang (up to date)" "$out"
expect_in "the host name step stays" "skip  ch1/host (up to date)" "$out"
expect_in "the earlier step stays" "skip  ch1/slow (up to date)" "$out"
expect_in "the step after the host name stays" "skip  ch1/motd (up to date)" "$out"
expect_in "two steps ran" "build complete: 2 steps run, 6 up to date" "$out"
ok "only the two steps that name it have that reason" test "$(grep -c 'configuration changed' <<<"$out")" = 2
ok "run.json has the reason" grep -q '"id":"ch1/tz",[^}]*"reason":"configuration changed: timezone"' "$W/state/run.json"
ok "the new time zone reached the step" root_is timezone Asia/Tokyo
ok "the new time zone replaced the kept one" grep -qx "timezone = Asia/Tokyo" "$W/state/settings"
ok "the other settings stay" root_is keymap de
out=$(lb build -j2 2>&1)
expect_in "then nothing reruns" "build complete: 0 steps run, 8 up to date" "$out"

# A new host name reruns ch1/host, not ch1/motd after it, which names no setting: a setting does
# not pass on through the dependency hashes. A new ch1/host recipe does.
ok "motd ran once so far" root_is motd run
out=$(lb build -j2 --hostname y 2>&1)
expect_in "--hostname y: its step reruns" "run   ch1/host (configuration changed: hostname)" "$out"
expect_in "--hostname y: the step after it is up to date" "skip  ch1/motd (up to date)" "$out"
expect_in "--hostname y: one step ran" "build complete: 1 step run, 7 up to date" "$out"
ok "--hostname y: reached the step" root_is hostname y
ok "--hostname y: motd did not run" root_is motd run
printf '\ntrue\n' >>"$BOOK/ch1/host.recipe"
out=$(lb build -j2 2>&1)
expect_in "a new ch1/host recipe: it reruns" "run   ch1/host (recipe changed)" "$out"
expect_in "a new ch1/host recipe: the step after it reruns" "run   ch1/motd (dependency ch1/host rebuilt)" "$out"
ok "a new ch1/host recipe: motd ran again" root_is motd "$(printf 'run\nrun')"
out=$(lb build -j2 --hostname x 2>&1)
expect_in "--hostname x again: only its step" "build complete: 1 step run, 7 up to date" "$out"

# lfsbuild.conf gives a setting too; an empty value goes back to the default
echo "keymap = fr" >"$W/lfsbuild.conf"
out=$(lb build -j2 2>&1)
expect_in "lfsbuild.conf: a new keymap" "run   ch1/keymap (configuration changed: keymap)" "$out"
ok "lfsbuild.conf: reached the step" root_is keymap fr
rm "$W/lfsbuild.conf"
out=$(lb build -j2 2>&1)
expect_in "without lfsbuild.conf: the kept keymap stays" "build complete: 0 steps run, 8 up to date" "$out"
out=$(lb build -j2 --keymap '' 2>&1)
expect_in "--keymap '': back to the default" "run   ch1/keymap (configuration changed: keymap)" "$out"
ok "--keymap '': the recipe's default" root_is keymap us
ok "--keymap '': kept empty" grep -qx "keymap =" "$W/state/settings"

# the kernel config: its absolute path and the sha256 of its content
printf 'CONFIG_A=y\n' >"$T/kernel.config"
out=$(cd "$T" && lb build -j2 --kernel-config kernel.config 2>&1)
expect_in "--kernel-config: the step reruns" "run   ch1/kernel (configuration changed: kernel-config)" "$out"
ok "--kernel-config: kept as an absolute path" grep -qx "kernel-config = $T/kernel.config" "$W/state/settings"
ok "--kernel-config: with its sha256" grep -qx "kernel-config-sha256 = $(sha256sum <"$T/kernel.config" | cut -d' ' -f1)" "$W/state/settings"
ok "--kernel-config: reached the step" root_is kernel CONFIG_A=y
printf 'CONFIG_A=m\n' >"$T/kernel.config"
out=$(lb build -j2 2>&1)
expect_in "the kept kernel config changed: reported" "setting changed: kernel-config: the content of $T/kernel.config changed" "$out"
expect_in "the kept kernel config changed: its step reruns" "run   ch1/kernel (configuration changed: kernel-config)" "$out"
ok "the kept kernel config changed: its new content reached the step" root_is kernel CONFIG_A=m

# the two words: defconfig (LFSBUILD_KERNEL_BASE=defconfig, the recipe's other base) and qemu
# (the default: as if never given, the same inputs as a work directory that never had one)
out=$(lb build -j2 --kernel-config defconfig 2>&1)
expect_in "--kernel-config defconfig: reported" "setting changed: kernel-config = defconfig (was $T/kernel.config)" "$out"
expect_in "--kernel-config defconfig: the step reruns" "run   ch1/kernel (configuration changed:" "$out"
ok "--kernel-config defconfig: LFSBUILD_KERNEL_BASE reached the step" root_is kernel "base defconfig"
ok "--kernel-config defconfig: kept as the word" grep -qx "kernel-config = defconfig" "$W/state/settings"
ok "--kernel-config defconfig: no sha256 (not a file)" grep -qx "kernel-config-sha256 =" "$W/state/settings"
ok "--kernel-config defconfig: an input of the step" grep -q "^input config kernel-base " "$W/state/stamps/ch1/kernel.stamp"
out=$(lb build -j2 2>&1)
expect_in "--kernel-config defconfig: kept by a later build" "build complete: 0 steps run, 8 up to date" "$out"
out=$(lb build -j2 --kernel-config qemu 2>&1)
expect_in "--kernel-config qemu: the step reruns" "run   ch1/kernel (configuration changed:" "$out"
ok "--kernel-config qemu: the recipe's default reached the step" root_is kernel none
ok "--kernel-config qemu: kept as the default (empty)" grep -qx "kernel-config =" "$W/state/settings"
ok "--kernel-config qemu: the default's input, as in a work directory that never had one" \
	grep -qx "input config kernel-config none" "$W/state/stamps/ch1/kernel.stamp"
out=$(lb build -j2 2>&1)
expect_in "--kernel-config qemu: nothing reruns after" "build complete: 0 steps run, 8 up to date" "$out"
# a file named like a word is given by its path
printf 'CONFIG_W=y\n' >"$T/defconfig"
out=$(cd "$T" && lb build -j2 --kernel-config ./defconfig 2>&1)
ok "--kernel-config ./defconfig: the file, not the word" root_is kernel CONFIG_W=y

# the root password: where it comes from, never itself
out=$(lb build -j2 --root-password 'pw-not-kept-here' 2>&1)
ok "--root-password: state/settings says so" grep -qx "root-password = option" "$W/state/settings"
ok "--root-password: not in state/settings" sh -c "! grep -q pw-not-kept-here '$W/state/settings'"
ok "--root-password: not in the output" test "${out/pw-not-kept-here/}" = "$out"

# Interrupted: the resume command keeps them, whatever lfsbuild.conf says; so does a plain
# build after a SIGKILL.
interrupted_build() { # interrupted_build SIGNAL OPTIONS...: a build killed while ch1/slow runs
	local sig=$1; shift
	book_setup settings
	mkdir -p "$W/root" && touch "$W/root/slow"
	lb_bg build -j2 "$@" >"$T/out" 2>"$T/err"
	local pid=$!
	for _ in $(seq 200); do [ -e "$W/root/trace/ch1_slow.start" ] && break; sleep 0.05; done
	kill -s "$sig" "$pid"
	wait "$pid" 2>/dev/null
	rm -f "$W/root/slow"
}
interrupted_build INT "${SETTINGS[@]}"
ok "SIGINT: no setting step ran before" test ! -e "$W/root/timezone"
resume=$(grep -A1 '^Resume with:' "$T/err" | tail -1 | sed 's/^ *lfsbuild //')
ok "SIGINT: a resume command was printed" test -n "$resume"
eval "set -- $resume"
ok "SIGINT: the resume command finishes the build" "$LFSBUILD" "$@"
check_root "after the resume command"

echo "timezone = UTC" >"$T/lfsbuild.conf"
interrupted_build INT "${SETTINGS[@]}"
cp "$T/lfsbuild.conf" "$W/lfsbuild.conf" # lfsbuild.conf would give another time zone
resume=$(grep -A1 '^Resume with:' "$T/err" | tail -1 | sed 's/^ *lfsbuild //')
eval "set -- $resume"
ok "SIGINT, lfsbuild.conf: the resume command finishes the build" "$LFSBUILD" "$@"
check_root "after the resume command, with lfsbuild.conf"

interrupted_build KILL "${SETTINGS[@]}"
ok "SIGKILL: the settings were kept before any step ran" grep -qx "timezone = Europe/Berlin" "$W/state/settings"
ok "SIGKILL: a plain build finishes" lb build -j2
check_root "a plain build after SIGKILL"

# The same with only --hostname (an option older versions had, but did not keep).
interrupted_build KILL --hostname x
ok "SIGKILL, --hostname alone: a plain build finishes" lb build -j2
ok "SIGKILL, --hostname alone: the host name is kept" root_is hostname x
interrupted_build INT --hostname x
resume=$(grep -A1 '^Resume with:' "$T/err" | tail -1 | sed 's/^ *lfsbuild //')
eval "set -- $resume"
ok "SIGINT, --hostname alone: the resume command finishes" "$LFSBUILD" "$@"
ok "SIGINT, --hostname alone: the host name is kept" root_is hostname x

# A failure: its resume command keeps them too.
book_setup settings
printf '\nfalse\n' >>"$BOOK/ch1/slow.recipe"
fails_with 1 "a failing build with settings" lb build -j2 "${SETTINGS[@]}"
resume=$(grep -A1 'resume with:' "$T/.out" | tail -1 | sed 's/^ *lfsbuild //')
ok "the failure prints a resume command" test -n "$resume"
sed -i '$d' "$BOOK/ch1/slow.recipe"
eval "set -- $resume"
ok "the failure's resume command finishes the build" "$LFSBUILD" "$@"
check_root "after the failure's resume command"

# Bad values: a usage error naming the option, before anything starts.
book_setup settings
bad() { # bad OPTION VALUE WHY...
	local opt=$1 val=$2; shift 2
	fails_with 2 "$opt '$val': exit 2" lb build -j2 "$opt" "$val"
	expect_in "$opt '$val': the option is named" "$opt '$val'" "$(cat "$T/.out")"
	[ $# = 0 ] || expect_in "$opt '$val': why" "$1" "$(cat "$T/.out")"
}
bad --timezone ../../etc/passwd "'..' is not allowed"
bad --timezone 'Europe/Berlin;x' "not a time zone name"
if [ -d /usr/share/zoneinfo ]; then
	bad --timezone Mars/Olympus_Mons "no time zone of that name under /usr/share/zoneinfo"
else
	skip "--timezone Mars/Olympus_Mons: not under the host's zoneinfo" "no /usr/share/zoneinfo on this host"
fi
bad --keymap -de "not a keymap name"
bad --keymap 'de latin1' "not a keymap name"
bad --lang english "not a locale name"
bad --lang 'en_US.UTF-8 x' "not a locale name"
bad --locales 'C.UTF-8 en-US' "'en-US'"
bad --hostname 'a.b' "not a host name"
bad --kernel-config "$T/nonexistent" "cannot read it"
ok "nothing started: no stamp" test ! -e "$W/state/stamps"
ok "nothing kept" test ! -e "$W/state/settings"
fails_with 2 "all: a bad value stops it before its first phase" lb all --keymap '-x'
ok "all: no phase started" sh -c "! grep -q 'checking the host' '$T/.out'"
echo "lang = x" >"$W/lfsbuild.conf"
fails_with 2 "lfsbuild.conf: a bad value" lb build -j2
expect_in "lfsbuild.conf: the option is named" "--lang 'x'" "$(cat "$T/.out")"
rm "$W/lfsbuild.conf"
ok "a good build" lb build -j2 --keymap de
sed -i 's/^keymap = de$/keymap = -de/' "$W/state/settings"
fails_with 2 "a bad kept value" lb build -j2
expect_in "a bad kept value: named, and where it is kept" "--keymap '-de' (kept in $W/state/settings)" "$(cat "$T/.out")"
ok "a good value given replaces it" lb build -j2 --keymap de
