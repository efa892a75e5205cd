#!/usr/bin/env bash
# bench/image.sh: the image writer and the QEMU driver on the CI fixture (tests/fixture, NOT LFS).
#  - `lfsbuild image` of the fixture at the default 50 GiB: wall time, qcow2 size on disk (du),
#    and what `qemu-img convert -c` (compressed qcow2) would give and cost;
#  - `lfsbuild boot`: QEMU start -> the fixture's "booted" line on the serial console, N runs;
#  - `lfsbuild test --checks tests/fixture/fixture.checks`: wall time of a whole boot test.
# Prints the figures and writes them into docs/BENCHMARKS.md between the bench:image markers.
# LFSBUILD=path (default ./lfsbuild), RUNS=boots to time (default 3).
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
LFSBUILD=${LFSBUILD:-$ROOT/lfsbuild}
RUNS=${RUNS:-3}
[ -x "$LFSBUILD" ] || { echo "bench/image.sh: build lfsbuild first (make)" >&2; exit 1; }
T=$(mktemp -d /var/tmp/lfsbuild-bench-image.XXXXXX)
trap 'rm -rf "$T"' EXIT
W=$T/work
mkdir -p "$W/state"
u() { cat /proc/sys/kernel/random/uuid; }
printf 'DISK_GUID=%s\nESP_PARTUUID=%s\nROOT_PARTUUID=%s\nROOT_FS_UUID=%s\n' $(u) $(u) $(u) $(u) >"$W/state/disk.conf"
"$ROOT/tests/fixture/make-fixture.sh" "$T/fixture" "$W/state/disk.conf" bench >/dev/null
tree=$(du -sk "$T/fixture" | cut -f1)

t0=$EPOCHREALTIME
"$LFSBUILD" -C "$W" image --root "$T/fixture" >/dev/null
t_image=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }")
du_img=$(du -k "$W/lfs.qcow2" | cut -f1)
virt=$(qemu-img info "$W/lfs.qcow2" | sed -n 's/^virtual size: \([^(]*\).*/\1/p')
t0=$EPOCHREALTIME
qemu-img convert -c -O qcow2 "$W/lfs.qcow2" "$T/c.qcow2"
t_c=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }")
du_c=$(du -k "$T/c.qcow2" | cut -f1)
rm -f "$T/c.qcow2"

# QEMU start (our "$ qemu-system..." line) -> the fixture's booted line.
boots=()
for _ in $(seq "$RUNS"); do
	start= took=
	coproc B { exec timeout 300 "$LFSBUILD" -C "$W" boot </dev/null 2>&1; }
	while IFS= read -r line <&"${B[0]}"; do
		case $line in
		'$ qemu-system'*) start=$EPOCHREALTIME ;;
		*'lfsbuild-fixture: booted'*) took=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $start }"); break ;;
		esac
	done
	kill "$B_PID" 2>/dev/null || true
	wait "$B_PID" 2>/dev/null || true
	[ -n "$took" ] || { echo "bench/image.sh: no booted line" >&2; exit 1; }
	boots+=("$took")
done
echo bench >"$W/root-password"
t0=$EPOCHREALTIME
"$LFSBUILD" -C "$W" test --checks "$ROOT/tests/fixture/fixture.checks" >"$T/test.out"
t_test=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t0 }")
login=$(sed -n 's/^boot-test: login prompt after \(.*\)$/\1/p' "$T/test.out")

section=$(cat <<EOF
<!-- bench:image:begin -->
## Image and boot (bench/image.sh)

Measured $(date -u +%Y-%m-%d) on $(nproc) CPUs, QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'), accelerator: TCG (KVM is tried first and fails on this machine).
Subject: the CI fixture of tests/fixture (Debian cloud kernel + busybox initramfs + Debian GRUB,
not LFS), a root tree of ${tree} KiB.

| what | figure |
|---|---|
| \`lfsbuild image\` of the fixture, default size | ${t_image} s |
| qcow2 virtual size / on disk (du) | ${virt% } / $((du_img / 1024)) MiB |
| the same compressed (\`qemu-img convert -c\`) | $((du_c / 1024)) MiB, ${t_c} s more |
| QEMU start -> fixture "booted" line (OVMF, GRUB, kernel, initramfs), ${RUNS} runs | ${boots[*]} s |
| \`lfsbuild test\` of the fixture: boot, login, 5 checks, poweroff | ${t_test} s (login prompt after ${login}) |

BOOT.md's reference (the same path to a busybox line): 6.9 s. The image is not compressed by
default: compression saves little on a mostly empty disk, costs a pass, and the guest's writes
to compressed clusters are stored uncompressed anyway.
<!-- bench:image:end -->
EOF
)
echo "$section"
. "$ROOT/bench/lib.sh"
bench_write image "$section"
echo "bench/image.sh: figures in docs/BENCHMARKS.md"
