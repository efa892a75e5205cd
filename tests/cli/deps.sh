# scripts/deps: the package names per distribution (fake /etc/os-release files), the split
# between what `lfsbuild all` needs and what only the tests add, and refusals.
. "$(dirname "$0")/../lib/check.sh"
D=$ROOT/scripts/deps
osr() { printf 'ID=%s\nVERSION_ID="%s"\n' "$2" "$3" >"$T/$1"; }
osr deb12 debian 12; osr deb13 debian 13; osr u2204 ubuntu 22.04; osr u2404 ubuntu 24.04
osr fedora fedora 41; osr deb11 debian 11

for f in deb12 deb13; do
	ok "$f: known" "$D" --os-release "$T/$f" all
	expect_in "$f: the fixture kernel is Debian's cloud flavour" "linux-image-cloud-amd64" "$(cat "$T/.out")"
done
for f in u2204 u2404; do
	ok "$f: known" "$D" --os-release "$T/$f" all
	out=$(cat "$T/.out")
	expect_in "$f: the fixture kernel is Ubuntu's kvm flavour" "linux-image-kvm" "$out"
	case " $out " in *linux-image-cloud-amd64*) _report 1 "$f: no Debian-only name" ;; *) _report 0 "$f: no Debian-only name" ;; esac
done
run=$("$D" --os-release "$T/deb12" run) test=$("$D" --os-release "$T/deb12" test) all=$("$D" --os-release "$T/deb12" all)
expect_in "run: the image tools" "e2fsprogs dosfstools mtools qemu-utils qemu-system-x86 ovmf" "$run"
expect_in "run: the JSON library" "libjansson-dev" "$run"
for p in libcmocka-dev busybox-static tmux linux-image-cloud-amd64 grub-efi-amd64-bin nodejs npm icecc iproute2 diffoscope; do
	case " $run " in *" $p "*) _report 1 "run: $p is for the tests only" ;; *) _report 0 "run: $p is for the tests only" ;; esac
	expect_in "test: $p" "$p" "$test"
done
ok "all = run + test" test "$all" = "$run $test"
fails_with 2 "an unknown distribution is refused (exit 2)" "$D" --os-release "$T/fedora" all
expect_in "it names what it found and what it knows" "ID=fedora VERSION_ID=41; known: Debian 12, 13 and Ubuntu 22.04, 24.04" "$(cat "$T/.out")"
fails_with 2 "Debian 11 is not known" "$D" --os-release "$T/deb11" all
fails_with 2 "an unknown set is refused" "$D" --os-release "$T/deb12" docs
ok "this machine's own os-release is known" "$D" all
