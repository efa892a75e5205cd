# The kernel configuration of ch10/kernel: the fragment book/files/kernel/lfs-qemu.config holds
# every option of the book's list for the systemd edition, set as the book says, and the
# recipe's survival check fails naming an option that olddefconfig dropped. No kernel is built
# or configured here (no kernel tree): the fragment and the recipe are read as text.
. "$(dirname "$0")/../lib/check.sh"
FRAG=$ROOT/book/files/kernel/lfs-qemu.config
RECIPE=$ROOT/book/ch10/kernel.recipe

# The book's list, copied by hand from LFS 12.3 chapter 10 "Linux" (systemd edition: the
# options its kernel page shows for systemd, then the ones it adds for a 64-bit system; its
# 32-bit HIGHMEM64G and NVMe lists do not apply to this machine). OPTION:WANT, WANT being y,
# n (not set), y|n (the book allows either) or a string value.
BOOK_LIST="
WERROR:n PSI:y PSI_DEFAULT_DISABLED:n IKHEADERS:n CGROUPS:y MEMCG:y CGROUP_SCHED:y|n
RT_GROUP_SCHED:n EXPERT:n RELOCATABLE:y RANDOMIZE_BASE:y STACKPROTECTOR:y
STACKPROTECTOR_STRONG:y NET:y INET:y IPV6:y UEVENT_HELPER:n DEVTMPFS:y DEVTMPFS_MOUNT:y
FW_LOADER:y|n FW_LOADER_USER_HELPER:n DMIID:y SYSFB_SIMPLEFB:y DRM:y DRM_PANIC:y
DRM_PANIC_SCREEN:kmsg DRM_FBDEV_EMULATION:y DRM_SIMPLEDRM:y FRAMEBUFFER_CONSOLE:y
INOTIFY_USER:y TMPFS:y TMPFS_POSIX_ACL:y
X86_X2APIC:y PCI:y PCI_MSI:y IOMMU_SUPPORT:y IRQ_REMAP:y
"

ok "the fragment exists" test -r "$FRAG"
expect_in "the fragment marks the book's list" "The book's list (LFS 12.3, chapter 10" "$(cat "$FRAG")"

# How the fragment sets OPTION: y, m, n, "string", or "" (not named).
setting() {
	local line
	line=$(grep -E "^CONFIG_$1=|^# CONFIG_$1 is not set\$" "$FRAG")
	case $line in
		"") echo "" ;;
		"# CONFIG_"*) echo n ;;
		*=\"*\") line=${line#*=\"}; echo "${line%\"}" ;;
		*) echo "${line#*=}" ;;
	esac
}
# is_one_of WANT GOT: GOT is one of the |-separated WANT (it says what it got otherwise).
is_one_of() { case "|$1|" in *"|$2|"*) return 0 ;; esac; echo "the fragment has: ${2:-nothing about it}"; return 1; }
for item in $BOOK_LIST; do
	opt=${item%%:*} want=${item#*:}
	ok "book: CONFIG_$opt is ${want/|/ or } in the fragment" is_one_of "$want" "$(setting "$opt")"
done

# Each option once: a second line would silently win over the first in merge_config.sh.
dups=$(sed -n 's/^CONFIG_\([A-Z0-9_]*\)=.*/\1/p; s/^# CONFIG_\([A-Z0-9_]*\) is not set$/\1/p' "$FRAG" | sort | uniq -d)
ok "no option is set twice in the fragment${dups:+ ($dups)}" test -z "$dups"
fails "no module (=m) in the fragment: the boot has no initramfs" grep -q '^CONFIG_.*=m$' "$FRAG"
# What the small base (allnoconfig) leaves off and the boot cannot do without.
for opt in BINFMT_ELF BINFMT_SCRIPT PCI ACPI EFI EFI_STUB BLK_DEV VIRTIO_PCI VIRTIO_BLK VIRTIO_NET \
	SERIAL_8250_CONSOLE EXT4_FS VFAT_FS EFIVAR_FS UNIX SYSVIPC POSIX_MQUEUE SMP MODULES; do
	ok "the fragment turns on CONFIG_$opt" grep -qx "CONFIG_$opt=y" "$FRAG"
done

# The recipe: allnoconfig unless LFSBUILD_KERNEL_BASE=defconfig; --kernel-config as before.
expect_in "ch10/kernel starts from allnoconfig by default" 'base=${LFSBUILD_KERNEL_BASE:-allnoconfig}' "$(cat "$RECIPE")"
expect_in "ch10/kernel takes defconfig as the base on request" 'allnoconfig|defconfig) ;;' "$(cat "$RECIPE")"
expect_in "ch10/kernel merges the fragment" 'merge_config.sh -m .config "$frag"' "$(cat "$RECIPE")"
expect_in "ch10/kernel still takes the user's whole config" 'cp -v "$LFSBUILD_KERNEL_CONFIG" .config' "$(cat "$RECIPE")"
expect_in "ch10/kernel runs modules_install only with module support (a user's config may lack it)" \
	"if grep -qx 'CONFIG_MODULES=y' .config; then make modules_install; fi" "$(cat "$RECIPE")"

# The recipe's survival check, taken from the recipe and run on a made-up fragment and .config.
mkdir "$T/tree"
printf '%s\n' '# a comment' 'CONFIG_VIRTIO_BLK=y' '# CONFIG_EXPERT is not set' 'CONFIG_DRM_PANIC_SCREEN="kmsg"' \
	'CONFIG_LOCALVERSION=""' >"$T/frag"
{
	echo 'set -e -o pipefail'
	echo 'fail() { echo "kernel: $*" >&2; exit 1; }'
	echo "frag=$T/frag base=allnoconfig"
	sed -n '/^  lost=$/,/^  \[ -z "\$lost" \]/p' "$RECIPE"
} >"$T/survive.sh"
ok "the survival check is found in the recipe" grep -q 'did not survive' "$T/survive.sh"
grep -v '^#' "$T/frag" >"$T/tree/.config"
echo '# CONFIG_EXPERT is not set' >>"$T/tree/.config"
ok "a .config holding the whole fragment passes" bash -c 'cd "$1" && bash ../survive.sh' _ "$T/tree"
printf '%s\n' 'CONFIG_EXPERT=y' 'CONFIG_DRM_PANIC_SCREEN="user"' 'CONFIG_LOCALVERSION=""' >"$T/tree/.config"
fails "a .config that lost options fails" bash -c 'cd "$1" && bash ../survive.sh' _ "$T/tree"
out=$(cat "$T/.out")
expect_in "it names the dropped option" \
	"CONFIG_VIRTIO_BLK: the fragment wants 'CONFIG_VIRTIO_BLK=y', olddefconfig left 'CONFIG_VIRTIO_BLK unset'" "$out"
expect_in "it names the option that should be off" \
	"CONFIG_EXPERT: the fragment wants it unset, olddefconfig left 'CONFIG_EXPERT=y'" "$out"
expect_in "it names a changed string" \
	"CONFIG_DRM_PANIC_SCREEN: the fragment wants 'CONFIG_DRM_PANIC_SCREEN=\"kmsg\"', olddefconfig left 'CONFIG_DRM_PANIC_SCREEN=\"user\"'" "$out"
expect_in "its last line names them all" \
	"did not survive olddefconfig on the allnoconfig base: CONFIG_VIRTIO_BLK CONFIG_EXPERT CONFIG_DRM_PANIC_SCREEN" "$out"
