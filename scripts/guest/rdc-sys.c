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
 *   rdc-sys readdir DIR                    "NAME reclen=R" for each entry
 *                                          getdents64(2) returns, without
 *                                          stat(2) (busybox ls stats each name
 *                                          it lists)
 *   rdc-sys unload-race KO DIR OPTS N      N times: finit_module(KO), mount
 *                                          rdcachefs on DIR with OPTS, umount,
 *                                          delete_module at once, retried
 *                                          every 10 ms for up to 60 s while
 *                                          the module is busy (10 s ran out
 *                                          once on a slow, loaded host, in a
 *                                          cycle that took 16 s); no fork per
 *                                          step.  Prints "cycles=C retried=R";
 *                                          exits 1 on any failure
 *   rdc-sys read0 FILE                     read(2) of 0 bytes; prints "read=N"
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
 *                                          exits 1 if C > 0 or a set-up or
 *                                          clean-up failed; a run killed by a
 *                                          signal, exiting other than 0 or 1
 *                                          or disagreeing with its output
 *                                          counts in C and ends the sweep
 *   rdc-sys fifo PRIO COMMAND...           COMMAND as SCHED_FIFO priority
 *                                          PRIO (1..99): on one CPU, no
 *                                          SCHED_OTHER task (RCU's kthreads,
 *                                          kworkers) runs until it sleeps;
 *                                          exits 126 (on stderr) if the
 *                                          policy is refused, 127 if COMMAND
 *                                          cannot be run
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
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

/* See "unload-race" above. */
static int unload_race(const char *ko, const char *dir, const char *opts, long n)
{
	long i, retried = 0;

	for (i = 1; i <= n; i++) {
		struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
		int fd = open(ko, O_RDONLY | O_CLOEXEC), tries = 0;

		if (fd < 0)
			return fail("open module");
		if (syscall(SYS_finit_module, fd, "", 0)) {
			close(fd);
			printf("cycle %ld: ", i);
			return fail("finit_module");
		}
		close(fd);
		if (mount("none", dir, "rdcachefs", 0, opts)) {
			printf("cycle %ld: ", i);
			fail("mount");
			syscall(SYS_delete_module, "rdcache", O_NONBLOCK);
			return 1;
		}
		if (umount2(dir, 0)) {
			printf("cycle %ld: ", i);
			return fail("umount");
		}
		while (syscall(SYS_delete_module, "rdcache", O_NONBLOCK)) {
			if ((errno != EWOULDBLOCK && errno != EBUSY) || ++tries > 6000) {
				printf("cycle %ld: after %d tries: ", i, tries);
				return fail("delete_module");
			}
			nanosleep(&ten_ms, NULL);
		}
		if (tries)
			retried++;
	}
	printf("cycles=%ld retried=%ld\n", n, retried);
	return 0;
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
	if (argc == 3 && !strcmp(cmd, "readdir")) {
		DIR *dir = opendir(argv[2]);
		struct dirent *e;

		if (!dir)
			return fail("opendir");
		errno = 0;
		while ((e = readdir(dir)))
			printf("%s reclen=%u\n", e->d_name, (unsigned int)e->d_reclen);
		if (errno) {
			closedir(dir);
			return fail("readdir");
		}
		closedir(dir);
		return 0;
	}
	if (argc == 6 && !strcmp(cmd, "unload-race"))
		return unload_race(argv[2], argv[3], argv[4], num(argv[5]));
	if (argc == 3 && !strcmp(cmd, "read0")) {
		char c;
		int fd = open(argv[2], O_RDONLY);
		ssize_t n;

		if (fd < 0)
			return fail("open");
		n = read(fd, &c, 0);
		close(fd);
		if (n < 0)
			return fail("read");
		printf("read=%zd\n", n);
		return 0;
	}
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
			"       rdc-sys fifo PRIO COMMAND...\n"
			"       rdc-sys failnth N COMMAND...\n"
			"       rdc-sys sweep MAX [mount FSTYPE DIR OPTS] [walk D F N] [unmount DIR] -- COMMAND...\n");
	return 2;
}

/* COMMAND (argv[0] is the command's name) with the @n-th fault point failing. */
static int failnth(long n, int argc, char **argv, int *injected)
{
	char buf[32], *end;
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);
	int rc, e;
	ssize_t got;
	long left;

	if (fd < 0)
		return fail("opening fail-nth (CONFIG_FAULT_INJECTION_DEBUG_FS)");
	snprintf(buf, sizeof(buf), "%ld", n);
	if (write(fd, buf, strlen(buf)) < 0)
		return fail("writing fail-nth");
	rc = run(argc + 1, argv - 1);
	got = pread(fd, buf, sizeof(buf) - 1, 0);
	e = errno;
	/* Disarm, whether or not it fired. */
	if (write(fd, "0", 1) < 0)
		return fail("resetting fail-nth");
	close(fd);
	/* Without the count, whether the point was reached is unknown. */
	if (got <= 0) {
		errno = got < 0 ? e : EINVAL;
		return fail("reading fail-nth");
	}
	buf[got] = '\0';
	errno = 0;
	left = strtol(buf, &end, 10);
	if (end == buf || (*end != '\0' && *end != '\n') || errno || left < 0) {
		errno = EINVAL;
		return fail("parsing fail-nth");
	}
	*injected = left == 0;
	return rc;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGKILL: return "SIGKILL";
	case SIGABRT: return "SIGABRT";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGTERM: return "SIGTERM";
	case SIGPIPE: return "SIGPIPE";
	case SIGTRAP: return "SIGTRAP";
	case SIGSYS: return "SIGSYS";
	case SIGHUP: return "SIGHUP";
	case SIGINT: return "SIGINT";
	default: return "SIG?";
	}
}

/* waitpid() for @pid, again if interrupted; -1 (errno set) if it fails. */
static int wait_child(pid_t pid, int *status)
{
	pid_t w;

	while ((w = waitpid(pid, status, 0)) < 0 && errno == EINTR)
		;
	return w == pid ? 0 : -1;
}

/*
 * Describes @status into @buf unless it is a normal exit with a status in
 * 0..@max_code; returns whether it was such an exit.
 */
static int exited_normally(int status, int max_code, char *buf, size_t cap)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) <= max_code)
		return 1;
	if (WIFSIGNALED(status))
		snprintf(buf, cap, "killed by signal %d (%s)%s", WTERMSIG(status), signal_name(WTERMSIG(status)),
			 WCOREDUMP(status) ? ", core dumped" : "");
	else if (WIFEXITED(status))
		snprintf(buf, cap, "exited with status %d (expected 0..%d)", WEXITSTATUS(status), max_code);
	else
		snprintf(buf, cap, "unexpected wait status 0x%x", status);
	return 0;
}

/* After a run: unmount @dir; that it is not (or no longer) a mount is fine. */
static int cleanup_umount(long n, const char *dir)
{
	if (!umount2(dir, 0) || errno == EINVAL)
		return 0;
	printf("point %ld: clean-up: ", n);
	fail("umount2 after the run");
	return 1;
}

static int sweep(int argc, char **argv)
{
	long max = num(argv[0]), n, points = 0, ok = 0, enomem = 0, other = 0;
	char *fstype = NULL, *dir = NULL, *opts = NULL, *unmount = NULL;
	long walk[3] = { -1, 0, 0 };
	int i = 1, injected = 1, broken = 0;

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
	for (n = 1; injected && !broken && n <= max; n++) {
		int pipefd[2], status, code;
		char line[1024] = "", why[128] = "";
		size_t len = 0;
		pid_t pid;
		ssize_t got;

		if (fstype && mount("none", dir, fstype, 0, opts)) {
			printf("set-up at point %ld: ", n);
			return fail("mount");
		}
		if (fstype && walk[0] >= 0) {
			fflush(stdout);
			pid = fork();
			if (pid < 0) {
				printf("set-up at point %ld: ", n);
				return fail("fork for the walk");
			}
			if (pid == 0) {
				/* Only a failure's errno line reaches the output. */
				int rc = traverse(dir, walk[0], walk[1], walk[2], 0);

				if (rc)
					fflush(stdout);
				_exit(rc ? 1 : 0);
			}
			if (wait_child(pid, &status)) {
				printf("set-up at point %ld: ", n);
				return fail("waitpid for the walk");
			}
			if (!exited_normally(status, 0, why, sizeof(why))) {
				printf("set-up at point %ld: the walk of %s %s\n", n, dir, why);
				return 1;
			}
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
			close(pipefd[1]);
			rc = failnth(n, argc, argv, &inj);
			printf("injected=%d\n", inj);
			fflush(stdout);
			/* 0 ok, 1 failed with an errno line, 2 usage. */
			_exit(rc);
		}
		close(pipefd[1]);
		/* Read to the end, so that the child never blocks on a full pipe. */
		for (;;) {
			char junk[512];
			int keep = len < sizeof(line) - 1;

			got = read(pipefd[0], keep ? line + len : junk, keep ? sizeof(line) - 1 - len : sizeof(junk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			if (keep)
				len += (size_t)got;
		}
		if (got < 0)
			snprintf(why, sizeof(why), "reading its output: %s", strerror(errno));
		close(pipefd[0]);
		line[len] = '\0';
		for (char *p = line; *p; p++)
			if (*p == '\n')
				*p = ' ';
		if (wait_child(pid, &status)) {
			snprintf(why, sizeof(why), "waitpid: %s", strerror(errno));
		} else if (!why[0] && exited_normally(status, 1, why, sizeof(why))) {
			code = WEXITSTATUS(status);
			/* Exit status and output must agree. */
			if (!strstr(line, "injected="))
				snprintf(why, sizeof(why), "no injected= line");
			else if (code == 1 && !strstr(line, "errno "))
				snprintf(why, sizeof(why), "exited 1 without an errno line");
			else if (code == 0 && strstr(line, "errno "))
				snprintf(why, sizeof(why), "exited 0 with an errno line");
		}
		points++;
		if (why[0]) {
			/* Not "point N: ok" nor "point N: errno ...": faults.sh prints it. */
			printf("point %ld: abnormal: %s: %s\n", n, why, line);
			other++;
			broken = 1;
		} else {
			injected = strstr(line, "injected=1") != NULL;
			if (strstr(line, "errno ENOMEM"))
				enomem++;
			else if (strstr(line, "errno"))
				other++;
			else
				ok++;
			printf("point %ld: %s\n", n, line);
		}
		if (fstype)
			broken |= cleanup_umount(n, dir);
		if (unmount)
			broken |= cleanup_umount(n, unmount);
	}
	printf("points=%ld ok=%ld enomem=%ld other=%ld%s\n", points, ok, enomem, other,
	       broken ? " (stopped: a run or its clean-up went wrong)" :
	       injected ? " (stopped at MAX; more points remain)" : "");
	return other || broken ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "failnth")) {
		int injected = 0, rc = failnth(num(argv[2]), argc - 3, argv + 3, &injected);

		printf("injected=%d\n", injected);
		return rc;
	}
	if (argc >= 4 && !strcmp(argv[1], "fifo")) {
		long prio = num(argv[2]);
		struct sched_param sp = { 0 };

		if (prio < 1 || prio > 99) {
			fprintf(stderr, "rdc-sys fifo: priority '%s' is not in 1..99\n", argv[2]);
			return 2;
		}
		sp.sched_priority = (int)prio;
		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			perror("rdc-sys fifo: sched_setscheduler");
			return 126;
		}
		execvp(argv[3], argv + 3);
		fprintf(stderr, "rdc-sys fifo: %s: %s\n", argv[3], strerror(errno));
		return 127;
	}
	if (argc >= 5 && !strcmp(argv[1], "sweep"))
		return sweep(argc - 2, argv + 2);
	return run(argc, argv);
}
