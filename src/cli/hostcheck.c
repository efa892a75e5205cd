/* hostcheck: the host requirements of LFS 12.3 (chapter 2, "Host System Requirements") and
 * the tools lfsbuild itself drives (image and boot). */
#include "cli/hostcheck.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/exec.h"
#include "lib/util.h"

enum kind {
	K_VERSION,  /* run `prog --version`, compare with min */
	K_ALIAS,    /* `prog --version` must mention `min` (awk is GNU, yacc is Bison) */
	K_SH,       /* /bin/sh: bash is wanted; another shell is fine because the sandbox gives the
	             * steps bash as /bin/sh in their own mount namespace */
	K_KERNEL,   /* the running kernel, uname -r */
	K_CXX,      /* g++ compiles and links a program that runs */
	K_MKE2FS,   /* mke2fs knows -d (populate from a directory, e2fsprogs >= 1.43) */
	K_PRESENT,  /* the program exists */
	K_FILE,     /* one of the files (blank-separated) exists */
};

struct req {
	const char *name;
	enum kind kind;
	const char *prog;   /* program, or the files for K_FILE */
	const char *min;    /* minimum version, or the word an alias must show */
	const char *pkg;    /* Debian package that provides it */
};

static const struct req reqs[] = {
	{"Bash", K_VERSION, "bash", "3.2", "bash"},
	{"/bin/sh is Bash", K_SH, "/bin/sh", "bash", "bash"},
	{"Binutils", K_VERSION, "ld", "2.13.1", "binutils"},
	{"Bison", K_VERSION, "bison", "2.7", "bison"},
	{"yacc is Bison", K_ALIAS, "yacc", "bison", "bison"},
	{"Coreutils", K_VERSION, "sort", "8.1", "coreutils"},
	{"Diffutils", K_VERSION, "diff", "2.8.1", "diffutils"},
	{"Findutils", K_VERSION, "find", "4.2.31", "findutils"},
	{"Gawk", K_VERSION, "gawk", "4.0.1", "gawk"},
	{"awk is GNU awk", K_ALIAS, "awk", "gnu awk", "gawk"},
	{"GCC", K_VERSION, "gcc", "5.2", "gcc"},
	{"GCC (C++)", K_VERSION, "g++", "5.2", "g++"},
	{"g++ compiles and links", K_CXX, "g++", NULL, "g++"},
	{"Grep", K_VERSION, "grep", "2.5.1a", "grep"},
	{"Gzip", K_VERSION, "gzip", "1.3.12", "gzip"},
	{"Linux kernel", K_KERNEL, NULL, "5.4", NULL},
	{"M4", K_VERSION, "m4", "1.4.10", "m4"},
	{"Make", K_VERSION, "make", "4.0", "make"},
	{"Patch", K_VERSION, "patch", "2.5.4", "patch"},
	{"Perl", K_VERSION, "perl", "5.8.8", "perl"},
	{"Python", K_VERSION, "python3", "3.4", "python3"},
	{"Sed", K_VERSION, "sed", "4.1.5", "sed"},
	{"Tar", K_VERSION, "tar", "1.22", "tar"},
	{"Texinfo", K_VERSION, "texi2any", "5.0", "texinfo"},
	{"Xz", K_VERSION, "xz", "5.0.0", "xz-utils"},
	/* lfsbuild's own: the disk image and the boot */
	{"mke2fs with -d", K_MKE2FS, "mke2fs", "1.43", "e2fsprogs"},
	{"mkfs.vfat", K_PRESENT, "mkfs.vfat", NULL, "dosfstools"},
	{"fsck.vfat", K_PRESENT, "fsck.vfat", NULL, "dosfstools"},
	{"mcopy", K_PRESENT, "mcopy", NULL, "mtools"},
	{"qemu-img", K_VERSION, "qemu-img", "2.0", "qemu-utils"},
	{"qemu-system-x86_64", K_VERSION, "qemu-system-x86_64", "4.0", "qemu-system-x86"},
	{"OVMF firmware code", K_FILE, "/usr/share/OVMF/OVMF_CODE.fd /usr/share/OVMF/OVMF_CODE_4M.fd", NULL, "ovmf"},
	{"OVMF variable store", K_FILE, "/usr/share/OVMF/OVMF_VARS.fd /usr/share/OVMF/OVMF_VARS_4M.fd", NULL, "ovmf"},
};

/* One component: a number, then letters (2.5.1a). */
int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		while (isalpha((unsigned char)*a) || isalpha((unsigned char)*b)) {
			int ca = isalpha((unsigned char)*a) ? *a++ : 0;
			int cb = isalpha((unsigned char)*b) ? *b++ : 0;
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
		if ((*a && !isdigit((unsigned char)*a)) || (*b && !isdigit((unsigned char)*b)))
			break;
	}
	return 0;
}

bool version_find(const char *text, char *out, size_t outlen)
{
	for (const char *p = text; *p; p++) {
		if (!isdigit((unsigned char)*p))
			continue;
		/* Not inside a word or a number, but "v5.36.0" is a version. */
		const char *b = p > text && p[-1] == 'v' ? p - 1 : p;
		if (b > text && (isalnum((unsigned char)b[-1]) || b[-1] == '.' || b[-1] == '-'))
			continue;
		const char *q = p;
		while (isdigit((unsigned char)*q) || (*q == '.' && isdigit((unsigned char)q[1])))
			q++;
		if (q == p || !memchr(p, '.', (size_t)(q - p)))
			continue;
		while (isalpha((unsigned char)*q) && (q - p) < 30 && !isalpha((unsigned char)q[1]))
			q++;
		size_t n = (size_t)(q - p) < outlen - 1 ? (size_t)(q - p) : outlen - 1;
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/* `prog --version` (first lines); NULL when it cannot run. */
static char *version_text(const char *prog)
{
	if (!exec_found(prog))
		return NULL;
	char *argv[] = {(char *)prog, "--version", NULL};
	struct buf out = {0};
	int rc = exec_tool(argv, &out, NULL);
	if (rc < 0 || !out.data) {
		buf_free(&out);
		return NULL;
	}
	return out.data;
}

static bool cxx_works(char *found, size_t len)
{
	char dir[] = "/tmp/lfsbuild-cxx-XXXXXX";
	if (!mkdtemp(dir))
		return false;
	char *src = path_join(dir, "t.cpp"), *bin = path_join(dir, "t");
	const char *prog = "#include <iostream>\nint main(){std::cout<<\"ok\"<<std::endl;}\n";
	bool ok = write_file_atomic(src, prog, strlen(prog), 0644) == 0;
	if (ok) {
		char *cc[] = {"g++", "-o", bin, src, NULL};
		ok = exec_tool(cc, NULL, NULL) == 0;
	}
	if (ok) {
		char *run[] = {bin, NULL};
		struct buf out = {0};
		ok = exec_tool(run, &out, NULL) == 0 && out.data && str_starts(out.data, "ok");
		buf_free(&out);
	}
	snprintf(found, len, "%s", ok ? "compiled, linked, ran" : "failed");
	remove_tree(dir);
	free(src);
	free(bin);
	return ok;
}

static bool check(const struct req *r, char *found, size_t len)
{
	found[0] = '\0';
	switch (r->kind) {
	case K_KERNEL: {
		struct utsname u;
		uname(&u);
		if (!version_find(u.release, found, len))
			snprintf(found, len, "%s", u.release);
		return version_cmp(found, r->min) >= 0;
	}
	case K_SH: {
		char *real = realpath(r->prog, NULL);
		const char *base = real ? strrchr(real, '/') + 1 : "missing";
		bool is_bash = real && !strcmp(base, "bash");
		snprintf(found, len, is_bash ? "%s" : "%s (steps get bash as /bin/sh)", base);
		free(real);
		return exec_found("bash");
	}
	case K_CXX:
		return exec_found(r->prog) && cxx_works(found, len);
	case K_PRESENT:
		snprintf(found, len, "%s", exec_found(r->prog) ? "present" : "not found");
		return exec_found(r->prog);
	case K_FILE: {
		char *copy = xstrdup(r->prog), *save = NULL;
		bool ok = false;
		for (char *f = strtok_r(copy, " ", &save); f && !ok; f = strtok_r(NULL, " ", &save))
			if (access(f, R_OK) == 0) {
				snprintf(found, len, "%s", f);
				ok = true;
			}
		free(copy);
		if (!ok)
			snprintf(found, len, "not found");
		return ok;
	}
	case K_MKE2FS:
	case K_VERSION: {
		char *text;
		if (r->kind == K_MKE2FS) {
			/* mke2fs has no --version; -V prints it. */
			if (!exec_found(r->prog)) {
				snprintf(found, len, "not found");
				return false;
			}
			char *argv[] = {(char *)r->prog, "-V", NULL};
			struct buf out = {0};
			exec_tool(argv, &out, NULL);
			text = out.data;
		} else {
			text = version_text(r->prog);
		}
		if (!text) {
			snprintf(found, len, "not found");
			return false;
		}
		bool ok = version_find(text, found, len) && version_cmp(found, r->min) >= 0;
		if (!found[0])
			snprintf(found, len, "unknown version");
		free(text);
		return ok;
	}
	case K_ALIAS: {
		char *text = version_text(r->prog);
		if (!text) {
			/* dash and some yaccs have no --version: say what the link points to. */
			snprintf(found, len, "not %s", r->min);
			return false;
		}
		for (char *p = text; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		bool ok = strstr(text, r->min) != NULL;
		snprintf(found, len, "%s", ok ? r->min : "another program");
		free(text);
		return ok;
	}
	}
	return false;
}

/* The distribution from os-release (LFSBUILD_OS_RELEASE, for the tests, else /etc/os-release):
 * "Debian 12" and the like when its package names are the ones scripts/deps knows (the names
 * of the packages above are the same on the four), else NULL with what the file says in `said`. */
static const char *known_distribution(char *said, size_t len)
{
	static const char *const known[][3] = {{"debian", "12", "Debian 12"},
	                                        {"debian", "13", "Debian 13"},
	                                        {"ubuntu", "22.04", "Ubuntu 22.04"},
	                                        {"ubuntu", "24.04", "Ubuntu 24.04"}};
	const char *path = getenv("LFSBUILD_OS_RELEASE");
	if (!path || !*path)
		path = "/etc/os-release";
	char *text = read_file(path, NULL), id[64] = "", ver[64] = "";
	for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *dst = str_starts(line, "ID=") ? id : str_starts(line, "VERSION_ID=") ? ver : NULL;
		if (!dst)
			continue;
		const char *v = strchr(line, '=') + 1;
		size_t n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v++;
			n -= 2;
		}
		snprintf(dst, 64, "%.*s", (int)n, v);
	}
	free(text);
	snprintf(said, len, "%s says ID=%s VERSION_ID=%s", path, *id ? id : "(none)", *ver ? ver : "(none)");
	for (size_t i = 0; i < ARRAY_LEN(known); i++)
		if (!strcmp(id, known[i][0]) && !strcmp(ver, known[i][1]))
			return known[i][2];
	return NULL;
}

int hostcheck_run(FILE *out, bool color)
{
	const char *green = color ? "\033[32m" : "", *red = color ? "\033[31m" : "", *off = color ? "\033[0m" : "";
	int missing = 0;
	struct strv pkgs = {0};
	fprintf(out, "%-24s %-10s %-40s %s\n", "requirement", "minimum", "found", "status");
	for (size_t i = 0; i < ARRAY_LEN(reqs); i++) {
		const struct req *r = &reqs[i];
		char found[256];
		bool ok = check(r, found, sizeof found);
		const char *min = (r->kind == K_VERSION || r->kind == K_KERNEL || r->kind == K_MKE2FS) ? r->min : "-";
		fprintf(out, "%-24s %-10s %-40s %s%s%s\n", r->name, min, found, ok ? green : red, ok ? "ok" : "missing", off);
		if (!ok) {
			missing++;
			if (r->pkg && !strv_contains(&pkgs, r->pkg))
				strv_add(&pkgs, r->pkg);
		}
	}
	if (missing) {
		char said[512];
		const char *distro = known_distribution(said, sizeof said);
		if (distro)
			fprintf(out, "\n%d requirement%s missing. To install on this %s:\n  %sapt-get install", missing,
			        missing == 1 ? " is" : "s are", distro, geteuid() == 0 ? "" : "sudo ");
		else
			fprintf(out,
			        "\n%d requirement%s missing. This host is not one whose package names lfsbuild knows (%s;\n"
			        "known: Debian 12, 13, Ubuntu 22.04, 24.04). The Debian packages, to find under your\n"
			        "distribution's names:\n ",
			        missing, missing == 1 ? " is" : "s are", said);
		for (size_t i = 0; i < pkgs.n; i++)
			fprintf(out, " %s", pkgs.v[i]);
		fprintf(out, "\n");
		if (distro)
			fprintf(out, "(from a checkout, `make deps-run` installs everything `lfsbuild all` needs)\n");
	} else {
		fprintf(out, "\nThe host has everything the book and lfsbuild need.\n");
	}
	strv_free(&pkgs);
	return missing;
}
