/* sysconfig: the settings of the new system that steps read (host name, locales, time zone,
 * keymap, LANG, root password, kernel config), exported to chapter 8-11 steps as LFSBUILD_*
 * variables, and the checks of their values. These values are part of the steps' input hash:
 * change one and the steps that read it run again. state/settings.h keeps them with the work
 * directory. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "config/config.h"

/* The defaults of the settings lfsbuild always passes (time zone, keymap and LANG are passed only
 * when set: the recipes' defaults, UTC, us and the first locale not C, apply otherwise). */
#define SYSCONFIG_HOSTNAME "lfs"
#define SYSCONFIG_LOCALES "C.UTF-8 en_US.UTF-8"
/* Where the host keeps its time zones, against which --timezone is checked when it exists. */
#define SYSCONFIG_ZONEINFO "/usr/share/zoneinfo"

/* The checks of one value, true or false with the reason in `why` (no option name in it):
 * a time zone: a TZif file under `zoneinfo` when that directory exists, else of the shape of one
 * (letters, digits, '/', '_', '+', '-'; no "..", no empty or leading '-' part); */
bool sysconfig_valid_timezone(const char *zone, const char *zoneinfo, char *why, size_t len);
/* a Kbd keymap's name: [A-Za-z0-9_.-]+, not starting with '-' or '.'; */
bool sysconfig_valid_keymap(const char *map, char *why, size_t len);
/* a locale name: C, POSIX or ll[l]_CC, then [.CHARMAP] and [@MODIFIER] (C.UTF-8, de_DE@euro); */
bool sysconfig_valid_lang(const char *lang, char *why, size_t len);
/* a blank-separated list of locale names, each as --lang; */
bool sysconfig_valid_locales(const char *list, char *why, size_t len);
/* a host name: letters, digits and '-', 1 to 63, no '-' at either end (as ch9/networkd checks). */
bool sysconfig_valid_hostname(const char *name, char *why, size_t len);
/* The check of the setting whose option is `option` ("timezone", "keymap", "lang", "locales",
 * "hostname", "kernel-config": a readable regular file, or the word qemu or defconfig); true for another name or a NULL or
 * empty value (the default). */
bool sysconfig_valid(const char *option, const char *value, const char *zoneinfo, char *why, size_t len);

/* --kernel-config takes a FILE or one of two words: "qemu" (the default: the fragment
 * book/files/kernel/lfs-qemu.config over allnoconfig, a kernel for the QEMU machine of `boot` and
 * `test`) and "defconfig" (the same fragment over x86_64 defconfig, the book's start: drivers for
 * real PCs). A file named so is given as ./defconfig. True for the word "defconfig". */
#define SYSCONFIG_KERNEL_DEFCONFIG "defconfig"
#define SYSCONFIG_KERNEL_QEMU "qemu"
bool sysconfig_kernel_is_word(const char *value);

/* The root password: --root-password, else WORKDIR/root-password if it exists, else a new
 * random one. Always kept in WORKDIR/root-password (mode 0600). Returns a malloc'd string or
 * NULL after an error message. */
char *sysconfig_root_password(const struct config *cfg);
/* A SHA-512 crypt(3) hash of the password, stable across runs for the same password (kept
 * in WORKDIR/state/root-password.hash). malloc'd, or NULL after an error message. */
char *sysconfig_root_hash(const struct config *cfg);
/* Append NAME=VALUE entries to env: LFSBUILD_HOSTNAME, LFSBUILD_LOCALES (their defaults when
 * NULL), LFSBUILD_TIMEZONE, LFSBUILD_KEYMAP, LFSBUILD_LANG (only when set), LFSBUILD_ROOT_PASSWORD_HASH, LFSBUILD_ESP_PARTUUID and LFSBUILD_ROOT_PARTUUID (from
 * WORKDIR/state/disk.conf, which `image` writes onto the disk), LFSBUILD_KERNEL_CONFIG (the
 * absolute path, when a file is given) or LFSBUILD_KERNEL_BASE=defconfig (--kernel-config
 * defconfig).
 * Returns 0 or -1 after an error message. */
int sysconfig_env(const struct config *cfg, struct strv *env);
