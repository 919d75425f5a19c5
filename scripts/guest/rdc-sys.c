// SPDX-License-Identifier: GPL-2.0
/*
 * rdc-sys: the system calls the guest tests and benchmarks need that busybox
 * does not make directly (busybox mount refuses non-root users before the
 * kernel is asked; a shell loop forks per file).  Built statically on the
 * host by scripts/host/mkinitramfs.sh.
 *
 *   rdc-sys mount FSTYPE DIR [OPTIONS]     mount(2) of source "none"
 *   rdc-sys mktree DIR DEPTH FANOUT FILES  create rdcachefs's shape in DIR
 *   rdc-sys walk DIR DEPTH FANOUT FILES    look up every entry of that shape
 *   rdc-sys umount DIR                     umount(2), timed
 *   rdc-sys write FILE STRING              one write(2) of STRING to FILE
 *   rdc-sys fsopen FSTYPE                  fsopen(2) (then closes it)
 *   rdc-sys sweep MAX [SETUP...] -- COMMAND...
 *                                          failnth 1, 2, ... MAX of COMMAND,
 *                                          each in a child process, until one
 *                                          reaches no fault point; SETUP:
 *                                          "mount FSTYPE DIR OPTS" mounts
 *                                          before each run and unmounts DIR
 *                                          after it, "walk D F N" also walks
 *                                          it first, "unmount DIR" unmounts
 *                                          DIR after each run if mounted.
 *                                          Prints a line per run and
 *                                          "points=P ok=A enomem=B other=C";
 *                                          exits 1 if C > 0 or a set-up failed
 *   rdc-sys failnth N COMMAND...           COMMAND with the N-th fault
 *                                          injection point of this task
 *                                          failing (/proc/thread-self/fail-nth,
 *                                          Documentation/fault-injection/);
 *                                          then prints "injected=1" if it was
 *                                          reached, "injected=0" if not
 *
 * The shape is rdcachefs's (rust/rdcachefs/shape.rs): every directory above
 * level DEPTH has FANOUT subdirectories d0.., every directory FILES files
 * f0...  mktree and walk visit it depth first without recursion, one open
 * directory at a time (a chain may be a million levels deep), and print
 * "entries=N ns=T"; umount prints "umount_ns=T".
 *
 * Prints "ok" or "errno NAME" and exits 0 or 1 on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EEXIST: return "EEXIST";
	case ENOTDIR: return "ENOTDIR";
	case EMFILE: return "EMFILE";
	default: return "E?";
	}
}

static int fail(const char *what)
{
	int e = errno;

	printf("errno %s (%d: %s) in %s\n", errno_name(e), e, strerror(e), what);
	return 1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0) {
		fprintf(stderr, "rdc-sys: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

/* Visit the shape below @dir depth first; create it or look every entry up. */
static int traverse(const char *dir, long depth, long fanout, long files, int create)
{
	long *next = calloc(depth + 1, sizeof(*next));
	long level = 0, entries = 1, j;
	long long t0 = now_ns();
	char name[32];
	struct stat st;
	int fd, child;

	if (!next)
		return fail("calloc");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fail("open");
	for (;;) {
		/* Entering a directory: its files. */
		for (j = 0; j < files; j++, entries++) {
			snprintf(name, sizeof(name), "f%ld", j);
			if (create) {
				child = openat(fd, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
				if (child < 0)
					return fail("creating a file");
				close(child);
			} else if (fstatat(fd, name, &st, 0)) {
				return fail("looking up a file");
			}
		}
		next[level] = 0;
		/* Its next subdirectory, or back up until there is one. */
		while (level == depth || next[level] == fanout) {
			if (level == 0) {
				close(fd);
				free(next);
				printf("entries=%ld ns=%lld\n", entries, now_ns() - t0);
				return 0;
			}
			child = openat(fd, "..", O_RDONLY | O_DIRECTORY);
			if (child < 0)
				return fail("opening ..");
			close(fd);
			fd = child;
			level--;
		}
		snprintf(name, sizeof(name), "d%ld", next[level]++);
		if (create && mkdirat(fd, name, 0755))
			return fail("creating a directory");
		child = openat(fd, name, O_RDONLY | O_DIRECTORY);
		if (child < 0)
			return fail("opening a directory");
		close(fd);
		fd = child;
		level++;
		entries++;
	}
}

static int run(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (argc >= 4 && !strcmp(cmd, "mount")) {
		if (mount("none", argv[3], argv[2], 0, argc > 4 ? argv[4] : NULL))
			return fail("mount");
		printf("ok\n");
		return 0;
	}
	if (argc == 6 && (!strcmp(cmd, "mktree") || !strcmp(cmd, "walk")))
		return traverse(argv[2], num(argv[3]), num(argv[4]), num(argv[5]),
				!strcmp(cmd, "mktree"));
	if (argc == 3 && !strcmp(cmd, "umount")) {
		long long t0 = now_ns();

		if (umount2(argv[2], 0))
			return fail("umount");
		printf("umount_ns=%lld\n", now_ns() - t0);
		return 0;
	}
	if (argc == 4 && !strcmp(cmd, "write")) {
		int fd = open(argv[2], O_WRONLY);
		ssize_t n;

		if (fd < 0)
			return fail("open");
		n = write(fd, argv[3], strlen(argv[3]));
		close(fd);
		if (n < 0)
			return fail("write");
		printf("ok\n");
		return 0;
	}
	if (argc == 3 && !strcmp(cmd, "fsopen")) {
		int fd = (int)syscall(SYS_fsopen, argv[2], 0);

		if (fd < 0)
			return fail("fsopen");
		close(fd);
		printf("ok\n");
		return 0;
	}
	fprintf(stderr, "usage: rdc-sys mount FSTYPE DIR [OPTIONS]\n"
			"       rdc-sys mktree|walk DIR DEPTH FANOUT FILES\n"
			"       rdc-sys umount DIR\n"
			"       rdc-sys write FILE STRING\n"
			"       rdc-sys fsopen FSTYPE\n"
			"       rdc-sys failnth N COMMAND...\n"
			"       rdc-sys sweep MAX [mount FSTYPE DIR OPTS] [walk D F N] [unmount DIR] -- COMMAND...\n");
	return 2;
}

/* COMMAND (argv[0] is the command's name) with the @n-th fault point failing. */
static int failnth(long n, int argc, char **argv, int *injected)
{
	char buf[32];
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);
	int rc;
	ssize_t got;

	if (fd < 0)
		return fail("opening fail-nth (CONFIG_FAULT_INJECTION_DEBUG_FS)");
	snprintf(buf, sizeof(buf), "%ld", n);
	if (write(fd, buf, strlen(buf)) < 0)
		return fail("writing fail-nth");
	rc = run(argc + 1, argv - 1);
	got = pread(fd, buf, sizeof(buf) - 1, 0);
	/* Disarm, whether or not it fired. */
	if (write(fd, "0", 1) < 0)
		return fail("resetting fail-nth");
	buf[got > 0 ? got : 0] = '\0';
	*injected = got > 0 && atoi(buf) == 0;
	close(fd);
	return rc;
}

static int sweep(int argc, char **argv)
{
	long max = num(argv[0]), n, ok = 0, enomem = 0, other = 0;
	char *fstype = NULL, *dir = NULL, *opts = NULL, *unmount = NULL;
	long walk[3] = { -1, 0, 0 };
	int i = 1, injected = 1;

	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "mount") && i + 3 < argc) {
			fstype = argv[i + 1], dir = argv[i + 2], opts = argv[i + 3];
			i += 3;
		} else if (!strcmp(argv[i], "walk") && i + 3 < argc) {
			walk[0] = num(argv[i + 1]), walk[1] = num(argv[i + 2]), walk[2] = num(argv[i + 3]);
			i += 3;
		} else if (!strcmp(argv[i], "unmount") && i + 1 < argc) {
			unmount = argv[++i];
		} else {
			fprintf(stderr, "rdc-sys sweep: bad set-up '%s'\n", argv[i]);
			return 2;
		}
	}
	if (i + 1 >= argc)
		return 2;
	argc -= i + 1;
	argv += i + 1;
	for (n = 1; injected && n <= max; n++) {
		int pipefd[2], status;
		char line[256] = "";
		pid_t pid;
		ssize_t got;

		if (fstype && mount("none", dir, fstype, 0, opts))
			return fail("set-up mount");
		if (fstype && walk[0] >= 0) {
			pid = fork();
			if (pid == 0)
				_exit(traverse(dir, walk[0], walk[1], walk[2], 0) ? 1 : 0);
			if (pid < 0 || waitpid(pid, &status, 0) < 0 || status)
				return fail("set-up walk");
		}
		if (pipe(pipefd))
			return fail("pipe");
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			return fail("fork");
		if (pid == 0) {
			/* The child's own output goes to the pipe: errno line, then injected=. */
			int inj = 0, rc;

			dup2(pipefd[1], 1);
			close(pipefd[0]);
			rc = failnth(n, argc, argv, &inj);
			printf("injected=%d\n", inj);
			fflush(stdout);
			_exit(rc ? 1 : 0);
		}
		close(pipefd[1]);
		got = read(pipefd[0], line, sizeof(line) - 1);
		close(pipefd[0]);
		waitpid(pid, &status, 0);
		line[got > 0 ? got : 0] = '\0';
		injected = strstr(line, "injected=1") != NULL;
		if (strstr(line, "errno ENOMEM"))
			enomem++;
		else if (strstr(line, "errno"))
			other++;
		else
			ok++;
		for (char *p = line; *p; p++)
			if (*p == '\n')
				*p = ' ';
		printf("point %ld: %s\n", n, line);
		if (fstype)
			umount2(dir, 0);
		if (unmount)
			umount2(unmount, 0);
	}
	printf("points=%ld ok=%ld enomem=%ld other=%ld%s\n", n - 1, ok, enomem, other,
	       injected ? " (stopped at MAX; more points remain)" : "");
	return other ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "failnth")) {
		int injected = 0, rc = failnth(num(argv[2]), argc - 3, argv + 3, &injected);

		printf("injected=%d\n", injected);
		return rc;
	}
	if (argc >= 5 && !strcmp(argv[1], "sweep"))
		return sweep(argc - 2, argv + 2);
	return run(argc, argv);
}
