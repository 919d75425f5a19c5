// SPDX-License-Identifier: GPL-2.0
/*
 * rdc-fuzz: generated hostile input for rdcachefs, checked against a model.
 * Built statically on the host by scripts/host/mkinitramfs.sh.
 *
 *   rdc-fuzz options SEED COUNT DIR [CASE]   mount option strings
 *   rdc-fuzz control SEED COUNT FILE [CASE]  writes to the debugfs control file
 *
 * Case i of a run is generated from (SEED, i) alone, so "CASE" replays one.
 *
 * options: each case is 1-6 "key=value" tokens: rdcachefs's keys with valid,
 * out-of-range, huge, negative, hex, signed, padded, empty, long or odd-byte
 * values; unknown keys; keys without a value; duplicates; "source".  Half go
 * through mount(2) as one comma-separated string on DIR, half through
 * fsopen() + one fsconfig() per token + FSCONFIG_CMD_CREATE.  The model
 * below (the kernel's kstrtouint(), vfs_parse_monolithic_sep(), fsconfig()'s
 * 256-byte limit, and rdcachefs's ranges, duplicate rule and entry limit)
 * says which cases must mount and which must fail with EINVAL; any other
 * outcome is a mismatch.  An fsconfig() failure must also leave a message
 * in the context's log (read(2) of the fs_context fd), unless fsconfig()
 * refused a key or value of 256 bytes or more before any parser saw it.
 *
 * control: random bytes (0-100 long), near misses of the real commands,
 * the commands split over two write(2)s, and writes of 4 KiB to 1 MiB; every
 * write must fail with EINVAL (an empty write may also return 0).
 *
 * Prints a progress line every 1000 cases and, at the end,
 * "cases=N ok=N einval=N mismatches=N"; exits 1 on any mismatch, printing
 * the seed and case number that replays it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef FSCONFIG_SET_FLAG
#define FSCONFIG_SET_FLAG 0
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#endif

/* rdcachefs's options (rust/rdcachefs/mod.rs, shape.rs, workers.rs). */
static const char *const keys[] = { "depth", "fanout", "files", "workers", "seed" };
static const uint64_t maxes[] = { 4194304, 64, 4096, 8, 4294967295u };
#define NKEYS 5
#define MAX_ENTRIES (1ull << 22)
/* Keys the VFS takes itself before asking the filesystem. */
static const char *const vfs_keys[] = { "source", "ro", "rw", "sync", "async", "dirsync", "lazytime",
					"nolazytime", "mand", "nomand", "silent", "posixacl", "noposixacl" };

static uint64_t rng;

static uint64_t next(void)
{
	uint64_t x = rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t below(uint64_t n)
{
	return n ? next() % n : 0;
}

static void seed_case(uint64_t seed, uint64_t i)
{
	rng = (seed * 0x9e3779b97f4a7c15ull) ^ (i * 0xbf58476d1ce4e5b9ull) ^ 0x94d049bb133111ebull;
	if (!rng)
		rng = 1;
	for (int k = 0; k < 4; k++)
		next();
}

static int is_vfs_key(const char *k)
{
	for (size_t i = 0; i < sizeof(vfs_keys) / sizeof(vfs_keys[0]); i++)
		if (!strcmp(k, vfs_keys[i]))
			return 1;
	return 0;
}

static int key_index(const char *k)
{
	for (int i = 0; i < NKEYS; i++)
		if (!strcmp(k, keys[i]))
			return i;
	return -1;
}

/* The kernel's kstrtouint(s, 10): [+]digits[\n], no overflow. */
static int model_u32(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	int digits = 0;

	if (*s == '+')
		s++;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > 0xffffffffull)
			return 0;
	}
	if (!digits)
		return 0;
	if (*s == '\n')
		s++;
	if (*s)
		return 0;
	*v = x;
	return 1;
}

struct token {
	char key[400];
	char value[400];
	int has_value;
};

struct state {
	uint64_t shape[3]; /* depth, fanout, files */
	unsigned int seen;
	int sources;
	/* The failure is fsconfig()'s own argument check: no fs_context message. */
	int too_long;
};

/* Whether rdcachefs (or the VFS) accepts one more parameter. */
static int model_param(struct state *st, const struct token *t, int via_fsconfig)
{
	uint64_t v;
	int k;

	if (via_fsconfig && (strlen(t->key) >= 256 || (t->has_value && strlen(t->value) >= 256))) {
		st->too_long = 1;
		return 0;
	}
	if (!strcmp(t->key, "source")) {
		/* mount(2) has set the source ("none") already; fsconfig() has not. */
		if (!t->has_value || !via_fsconfig || st->sources++)
			return 0;
		return 1;
	}
	k = key_index(t->key);
	if (k < 0 || !t->has_value || !model_u32(t->value, &v))
		return 0;
	if (st->seen & (1u << k))
		return 0;
	st->seen |= 1u << k;
	if (v > maxes[k])
		return 0;
	if (k < 3)
		st->shape[k] = v;
	return 1;
}

/* rdcachefs's entry count (Shape::entries(), saturating). */
static int model_shape_ok(const struct state *st)
{
	unsigned __int128 dirs = 1, total = 0;

	for (uint64_t l = 0; l <= st->shape[0]; l++) {
		total += dirs * (1 + st->shape[2]);
		dirs *= st->shape[1];
		if (total > MAX_ENTRIES)
			return 0;
		if (!dirs)
			break;
	}
	return total <= MAX_ENTRIES;
}

static void random_bytes(char *out, size_t n, int for_mount)
{
	for (size_t i = 0; i < n; i++) {
		char c;

		do {
			c = (char)(1 + below(255));
		} while (for_mount && c == ',');
		out[i] = c;
	}
	out[n] = '\0';
}

static void gen_value(char *v, size_t cap, uint64_t max, int for_mount)
{
	switch (below(14)) {
	case 0: case 1: case 2: case 3:
		snprintf(v, cap, "%llu", (unsigned long long)below(max < 16 ? max + 1 : 16));
		break;
	case 4:
		snprintf(v, cap, "%llu", (unsigned long long)(max + 1 + below(1000)));
		break;
	case 5:
		snprintf(v, cap, "%llu%llu", (unsigned long long)next(), (unsigned long long)next());
		break;
	case 6:
		snprintf(v, cap, "-%llu", (unsigned long long)below(100));
		break;
	case 7:
		snprintf(v, cap, "0x%llx", (unsigned long long)below(64));
		break;
	case 8:
		snprintf(v, cap, "%s%03llu%s", below(2) ? "+" : "", (unsigned long long)below(10),
			 below(2) ? "\n" : "");
		break;
	case 9:
		v[0] = '\0';
		break;
	case 10:
		snprintf(v, cap, "%s%llu%s", below(2) ? " " : "", (unsigned long long)below(10), below(2) ? " " : "x");
		break;
	case 11: {
		size_t n = 200 + below(120);

		memset(v, '1', n);
		v[n] = '\0';
		break;
	}
	default:
		random_bytes(v, 1 + below(12), for_mount);
		break;
	}
}

static void gen_key(char *k, size_t cap, const struct token *prev, int nprev)
{
	switch (below(12)) {
	case 0:
		/* Unknown: lowercase letters, never a key anyone knows. */
		do {
			size_t n = 1 + below(12);

			for (size_t i = 0; i < n; i++)
				k[i] = (char)('a' + below(26));
			k[n] = '\0';
		} while (key_index(k) >= 0 || is_vfs_key(k));
		break;
	case 1:
		/* A near miss of a real key. */
		snprintf(k, cap, "%s%c", keys[below(NKEYS)], (char)('a' + below(26)));
		if (below(2))
			k[0] = (char)(k[0] - 'a' + 'A');
		break;
	case 2:
		if (nprev) {
			snprintf(k, cap, "%s", prev[below(nprev)].key);
			break;
		}
		/* fall through */
	case 3:
		if (below(4) == 0) {
			snprintf(k, cap, "source");
			break;
		}
		/* fall through */
	default:
		snprintf(k, cap, "%s", keys[below(NKEYS)]);
		break;
	}
	if (below(40) == 0) {
		size_t n = 250 + below(20);

		memset(k, 'k', n);
		k[n] = '\0';
	}
}

static int gen_tokens(struct token *t, int for_mount)
{
	int n = 1 + (int)below(6);

	for (int i = 0; i < n; i++) {
		int k;

		gen_key(t[i].key, sizeof(t[i].key), t, i);
		if (for_mount && strchr(t[i].key, '=')) /* cannot happen; keys have no '=' */
			t[i].key[0] = 'x';
		t[i].has_value = below(10) != 0;
		k = key_index(t[i].key);
		gen_value(t[i].value, sizeof(t[i].value), k >= 0 ? maxes[k] : 100, for_mount);
		/* Workers cost time: keep most valid worker counts small. */
		if (k == 3 && below(4))
			snprintf(t[i].value, sizeof(t[i].value), "%llu", (unsigned long long)below(3));
	}
	return n;
}

static void print_escaped(const char *s)
{
	for (; *s; s++)
		if (*s >= 32 && *s < 127 && *s != '\\')
			putchar(*s);
		else
			printf("\\x%02x", (unsigned char)*s);
}

static uint64_t n_ok, n_einval, n_mismatch, n_cases;
static const char *g_mode, *g_target;

static void mismatch(uint64_t seed, uint64_t i, const char *how, const char *want, int err,
		     const struct token *t, int n)
{
	n_mismatch++;
	printf("MISMATCH seed=%llu case=%llu via %s: expected %s, got %s (replay: rdc-fuzz %s %llu 1 %s %llu)\n  ",
	       (unsigned long long)seed, (unsigned long long)i, how, want, err ? strerror(err) : "success",
	       g_mode, (unsigned long long)seed, g_target, (unsigned long long)i);
	for (int j = 0; j < n; j++) {
		printf("%s", j ? " , " : "");
		print_escaped(t[j].key);
		if (t[j].has_value) {
			putchar('=');
			print_escaped(t[j].value);
		}
	}
	putchar('\n');
}

static void options_case(uint64_t seed, uint64_t i, const char *dir)
{
	struct token t[6];
	struct state st = { { 2, 3, 2 }, 0, 0, 0 };
	int via_fsconfig, n, valid = 1, bad_at = -1;

	seed_case(seed, i);
	via_fsconfig = (int)below(2);
	n = gen_tokens(t, !via_fsconfig);
	for (int j = 0; j < n; j++) {
		if (!via_fsconfig && !t[j].key[0])
			continue;
		if (!model_param(&st, &t[j], via_fsconfig)) {
			valid = 0;
			bad_at = j;
			break;
		}
	}
	if (valid && !model_shape_ok(&st))
		valid = 0;

	if (!via_fsconfig) {
		char data[4096];
		size_t len = 0;
		int err;

		for (int j = 0; j < n; j++) {
			len += (size_t)snprintf(data + len, sizeof(data) - len, "%s%s%s%s", j ? "," : "", t[j].key,
						t[j].has_value ? "=" : "", t[j].has_value ? t[j].value : "");
			if (len >= sizeof(data))
				len = sizeof(data) - 1;
		}
		err = mount("none", dir, "rdcachefs", 0, data) ? errno : 0;
		if (!err && umount2(dir, 0)) {
			/* Later cases would mount on top of it. */
			printf("umount2 %s after case %llu: %s\n", dir, (unsigned long long)i, strerror(errno));
			n_mismatch++;
		}
		if (valid ? err != 0 : err != EINVAL)
			mismatch(seed, i, "mount(2)", valid ? "success" : "EINVAL", err, t, n);
		else if (err)
			n_einval++;
		else
			n_ok++;
		return;
	}

	int fd = (int)syscall(SYS_fsopen, "rdcachefs", 0);
	int err = 0, at = -1;
	char log[512];

	if (fd < 0) {
		printf("fsopen: %s\n", strerror(errno));
		n_mismatch++;
		return;
	}
	for (int j = 0; j < n && !err; j++) {
		if (syscall(SYS_fsconfig, fd, t[j].has_value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, t[j].key,
			    t[j].has_value ? t[j].value : NULL, 0)) {
			err = errno;
			at = j;
		}
	}
	if (!err && syscall(SYS_fsconfig, fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		err = errno;
	/* The failure must have said why in the context's log. */
	ssize_t got = err ? read(fd, log, sizeof(log) - 1) : 0;
	close(fd);
	if (valid ? err != 0 : (err != EINVAL || (bad_at >= 0 && at != bad_at)))
		mismatch(seed, i, "fsconfig()", valid ? "success" : "EINVAL at the first bad token", err, t, n);
	else if (err && got <= 0 && !st.too_long)
		mismatch(seed, i, "fsconfig()", "a message in the fs_context log", err, t, n);
	else if (err)
		n_einval++;
	else
		n_ok++;
}

static const char *const commands[] = { "selftest-late", "selftest-leak" };

static int is_command(const char *buf, size_t n)
{
	while (n && (*buf == ' ' || *buf == '\t' || *buf == '\n' || *buf == '\r' || *buf == '\f' ||
		     *buf == '\v')) {
		buf++;
		n--;
	}
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		     buf[n - 1] == '\f' || buf[n - 1] == '\v'))
		n--;
	for (int i = 0; i < 2; i++)
		if (n == strlen(commands[i]) && !memcmp(buf, commands[i], n))
			return 1;
	return 0;
}

static char *big;

static void control_case(uint64_t seed, uint64_t i, const char *file)
{
	static char buf[128];
	size_t n = 0;
	int split = 0, fd, err = 0;
	const char *p = buf;
	struct token none[1] = { { "", "", 0 } };

	seed_case(seed, i);
	switch (below(8)) {
	case 0: case 1: case 2:
		n = below(101);
		for (size_t j = 0; j < n; j++)
			buf[j] = (char)below(256);
		break;
	case 3: case 4: {
		/* A near miss: flip, drop or add one byte of a real command. */
		const char *c = commands[below(2)];

		n = strlen(c);
		memcpy(buf, c, n);
		size_t at = below(n);
		switch (below(3)) {
		case 0: buf[at] ^= (char)(1 + below(255)); break;
		case 1: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
		default: memmove(buf + at + 1, buf + at, n - at); buf[at] = (char)(1 + below(255)); n++; break;
		}
		break;
	}
	case 5: case 6: {
		/* A real command in two writes: neither half is a command. */
		const char *c = commands[below(2)];

		n = strlen(c);
		memcpy(buf, c, n);
		split = 1 + (int)below(n - 1);
		break;
	}
	default:
		n = (size_t)4096 << below(9); /* 4 KiB .. 1 MiB */
		for (size_t j = 0; j < 64; j++)
			big[j] = commands[0][j % 13];
		p = big;
		break;
	}
	if (!split && is_command(p, n)) {
		/* The generator must never run a real command. */
		n_cases--;
		return;
	}
	fd = open(file, O_WRONLY);
	if (fd < 0) {
		printf("open %s: %s\n", file, strerror(errno));
		n_mismatch++;
		return;
	}
	if (split) {
		int e1 = write(fd, p, (size_t)split) < 0 ? errno : 0;
		int e2 = write(fd, p + split, n - (size_t)split) < 0 ? errno : 0;

		err = e1 != EINVAL ? (e1 ? e1 : -1) : e2 != EINVAL ? (e2 ? e2 : -1) : EINVAL;
	} else {
		ssize_t w = write(fd, p, n);

		err = w < 0 ? errno : (n == 0 && w == 0) ? EINVAL : -1;
	}
	close(fd);
	if (err != EINVAL) {
		snprintf(none[0].key, sizeof(none[0].key), "%zu-byte write%s", n, split ? " in two parts" : "");
		mismatch(seed, i, "control write", "EINVAL", err < 0 ? 0 : err, none, 1);
	} else {
		n_einval++;
	}
}

/* A decimal number, or exit 2: strtoull() alone takes "abc" as 0. */
static uint64_t number(const char *what, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno) {
		fprintf(stderr, "rdc-fuzz: %s '%s' is not a number\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	uint64_t seed, count, first = 0;
	int options;

	if (argc < 5 || argc > 6 || (strcmp(argv[1], "options") && strcmp(argv[1], "control"))) {
		fprintf(stderr, "usage: rdc-fuzz options|control SEED COUNT DIR|FILE [CASE]\n");
		return 2;
	}
	options = !strcmp(argv[1], "options");
	g_mode = argv[1];
	g_target = argv[4];
	seed = number("SEED", argv[2]);
	count = number("COUNT", argv[3]);
	if (argc == 6) {
		first = number("CASE", argv[5]);
		count = 1;
	}
	big = calloc(1, 1 << 20);
	if (!big)
		return 2;
	printf("rdc-fuzz %s seed=%llu cases=%llu..%llu\n", argv[1], (unsigned long long)seed,
	       (unsigned long long)first, (unsigned long long)(first + count - 1));
	for (uint64_t i = first; i < first + count; i++) {
		n_cases++;
		if (options)
			options_case(seed, i, argv[4]);
		else
			control_case(seed, i, argv[4]);
		if ((i + 1) % 1000 == 0) {
			printf("progress: %llu cases, %llu mismatches\n", (unsigned long long)(i + 1 - first),
			       (unsigned long long)n_mismatch);
			fflush(stdout);
		}
	}
	printf("cases=%llu ok=%llu einval=%llu mismatches=%llu\n", (unsigned long long)n_cases,
	       (unsigned long long)n_ok, (unsigned long long)n_einval, (unsigned long long)n_mismatch);
	return n_mismatch ? 1 : 0;
}
