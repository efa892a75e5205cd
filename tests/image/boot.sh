# The image writer and the QEMU driver, end to end, on the CI fixture (tests/fixture: a Debian
# kernel + busybox initramfs + Debian GRUB; NOT LFS): image -> qemu-img check -> sfdisk layout
# -> `lfsbuild boot` shows the fixture's "booted" line and powers off -> `lfsbuild test` logs
# in on the serial console and passes the fixture's checks; a wrong password fails.
. "$(dirname "$0")/../lib/check.sh"

for t in qemu-system-x86_64 qemu-img sfdisk grub-mkimage cpio setcap; do
	command -v $t >/dev/null || { skip "fixture boot" "$t missing (make deps)"; exit 0; }
done
compgen -G '/boot/vmlinuz-*-cloud-amd64' >/dev/null || compgen -G '/boot/vmlinuz-*-kvm' >/dev/null || { skip "fixture boot" "no linux-image-cloud-amd64 or -kvm (make deps)"; exit 0; }
[ -r /usr/share/OVMF/OVMF_CODE.fd ] || { skip "fixture boot" "no OVMF (make deps)"; exit 0; }
[ "$(id -u)" = 0 ] || { skip "fixture boot" "need root (device nodes)"; exit 0; }

W=$T/work
mkdir -p "$W/state"
u() { cat /proc/sys/kernel/random/uuid; }
printf 'DISK_GUID=%s\nESP_PARTUUID=%s\nROOT_PARTUUID=%s\nROOT_FS_UUID=%s\n' $(u) $(u) $(u) $(u) >"$W/state/disk.conf"
. "$W/state/disk.conf"
ok "make the fixture" "$ROOT/tests/fixture/make-fixture.sh" "$T/fixture" "$W/state/disk.conf" fixture-pw
ok "image the fixture" "$LFSBUILD" -C "$W" image --root "$T/fixture" --size 2G
ok "qemu-img check" qemu-img check "$W/lfs.qcow2"
qemu-img convert -O raw "$W/lfs.qcow2" "$T/disk.raw"
layout=$(sfdisk -d "$T/disk.raw" | sed -n 's/^.*: start= *\([0-9]*\), size= *\([0-9]*\), type=\([^,]*\), uuid=\([^,]*\),.*/\1 \2 \3 \4/p' | tr A-F a-f)
rm -f "$T/disk.raw"
expect_in "partition 1: ESP 1-301 MiB with the state's PARTUUID" "2048 614400 c12a7328-f81f-11d2-ba4b-00a0c93ec93b $ESP_PARTUUID" "$layout"
expect_in "partition 2: x86-64 root from 301 MiB with the state's PARTUUID" "616448 3575808 4f68bce3-e8cd-4db1-96e7-fbcaf984b709 $ROOT_PARTUUID" "$layout"

# lfsbuild boot: the serial console on stdout; the fixture powers off by itself only on failure,
# so send nothing and stop when the booted line came (timeout kills QEMU otherwise).
start=$(date +%s.%N)
timeout 300 "$LFSBUILD" -C "$W" boot </dev/null >"$T/boot.out" 2>&1 &
bpid=$!
for _ in $(seq 600); do
	grep -q "lfsbuild-fixture login:" "$T/boot.out" && break
	kill -0 $bpid 2>/dev/null || break
	sleep 0.5
done
end=$(date +%s.%N)
kill $bpid 2>/dev/null; wait $bpid 2>/dev/null
ok "boot: the guest CPU is QEMU's baseline qemu64 by default (not max: it would hide host-tuned code)" \
	grep -q -- "-cpu qemu64 " "$T/boot.out"
ok "boot: -nic none and the disk as virtio" grep -q -- "-drive if=virtio,format=qcow2,.* -nic none" "$T/boot.out"
ok "boot: OVMF code read-only, a private copy of the variables" grep -q "readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd .*file=$W/tmp/ovmf-vars" "$T/boot.out"
ok "boot: says how to leave" grep -q "Ctrl-A X" "$T/boot.out"
ok "boot: GRUB found the root by PARTUUID" grep -q "lfsbuild-fixture: GRUB: root hd0,gpt2" "$T/boot.out"
ok "boot: the fixture's booted line (root by PARTUUID, ext4 and the ESP mounted)" \
	grep -q "lfsbuild-fixture: booted: root PARTUUID=$ROOT_PARTUUID on /dev/vda2 (ext4), ESP PARTUUID=$ESP_PARTUUID on /dev/vda1 (vfat)" "$T/boot.out"
echo "# boot to login prompt: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s"
ok "boot: the private OVMF_VARS copy is removed" test -z "$(ls "$W/tmp" 2>/dev/null)"

# lfsbuild test with the fixture's check list and the root password.
echo fixture-pw >"$W/root-password"
chmod 600 "$W/root-password"
ok "test: every fixture check passes and QEMU powers off" "$LFSBUILD" -C "$W" test --checks "$ROOT/tests/fixture/fixture.checks" --timeout 240
out=$(cat "$T/.out")
expect_in "test: PASS lines" "PASS the root is ext4 on partition 2 with the state's PARTUUID" "$out"
expect_in "test: poweroff" "PASS poweroff: QEMU exited" "$out"
expect_in "test: the tally" "9 of 9 checks passed" "$out"
ok "test: booted on qemu64 by default" grep -q -- "-cpu qemu64 " "$W/logs/boot-test.log"
ok "test: the transcript has the serial dialog" grep -q "__LFSE_1__ 0" "$W/logs/boot-test.log"
ok "test: the image was not written to (snapshot)" qemu-img check "$W/lfs.qcow2"

# A wrong password: the login is refused, the command fails and says so.
echo wrong >"$W/root-password"
fails "test: a wrong password fails" "$LFSBUILD" -C "$W" test --checks "$ROOT/tests/fixture/fixture.checks" --timeout 240
expect_in "test: it says the login was refused" "root login refused" "$(cat "$T/.out")"
ok "no QEMU left behind" sh -c "! pgrep -f '[q]emu-system-x86_64 -name lfsbuild .*$W/lfs.qcow2'"
