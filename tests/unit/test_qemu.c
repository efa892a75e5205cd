/* Unit tests of qemu's command line: the guest CPU model and the quoting of the disk's and the
 * firmware variables' paths. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "disk/qemu.h"
#include "lib/util.h"

/* The argument after `opt` in the command line, or NULL. */
static const char *arg_after(const struct strv *a, const char *opt)
{
	for (size_t i = 0; i + 1 < a->n; i++)
		if (!strcmp(a->v[i], opt))
			return a->v[i + 1];
	return NULL;
}

static const char *virtio_drive(const struct strv *a)
{
	for (size_t i = 0; i + 1 < a->n; i++)
		if (!strcmp(a->v[i], "-drive") && !strncmp(a->v[i + 1], "if=virtio", 9))
			return a->v[i + 1];
	return NULL;
}

static void test_cpu_default_is_the_baseline(void **state)
{
	(void)state;
	struct qemu_opts o = {.image = "/w/lfs.qcow2"};
	struct strv a = {0};
	qemu_argv(&o, "/w/tmp/vars.fd", false, &a);
	assert_string_equal(arg_after(&a, "-cpu"), "qemu64");
	assert_string_equal(arg_after(&a, "-accel"), "tcg");
	strv_free(&a);
	/* Under KVM too: the image must run on the baseline, not on the host's CPU. */
	qemu_argv(&o, "/w/tmp/vars.fd", true, &a);
	assert_string_equal(arg_after(&a, "-cpu"), "qemu64");
	assert_string_equal(arg_after(&a, "-accel"), "kvm");
	strv_free(&a);
	o.cpu = "max";
	qemu_argv(&o, "/w/tmp/vars.fd", false, &a);
	assert_string_equal(arg_after(&a, "-cpu"), "max");
	strv_free(&a);
}

static void test_commas_in_the_path_are_doubled(void **state)
{
	(void)state;
	/* The file does not exist: its format is taken to be raw (qcow2 is told by its header). */
	struct qemu_opts o = {.image = "/w/a,b 'c/lfs.qcow2", .snapshot = true};
	struct strv a = {0};
	qemu_argv(&o, "/w/tmp/vars.fd", false, &a);
	assert_string_equal(virtio_drive(&a), "if=virtio,format=raw,file=/w/a,,b 'c/lfs.qcow2,snapshot=on");
	assert_string_equal(arg_after(&a, "-nic"), "none");
	strv_free(&a);
	/* The firmware variables' copy lives in the work directory too. */
	qemu_argv(&o, "/w/a,b 'c/tmp/ovmf-vars.X,Y", false, &a);
	size_t pflash = 0;
	for (size_t i = 0; i + 1 < a.n; i++)
		if (!strcmp(a.v[i], "-drive") && !strncmp(a.v[i + 1], "if=pflash", 9) && strstr(a.v[i + 1], "unit=1")) {
			assert_string_equal(a.v[i + 1], "if=pflash,format=raw,unit=1,file=/w/a,,b 'c/tmp/ovmf-vars.X,,Y");
			pflash++;
		}
	assert_int_equal(pflash, 1);
	strv_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_default_is_the_baseline),
		cmocka_unit_test(test_commas_in_the_path_are_doubled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
