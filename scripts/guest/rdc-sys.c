// SPDX-License-Identifier: GPL-2.0
/*
 * rdc-sys: the system calls the guest tests need and busybox does not make
 * directly (busybox mount refuses non-root users before the kernel is asked).
 * Built statically on the host by scripts/host/mkinitramfs.sh.
 *
 *   rdc-sys mount FSTYPE DIR [OPTIONS]   mount(2) of source "none"
 *
 * Prints "ok" or "errno NAME" and exits 0 or 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

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
	default: return "E?";
	}
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "mount")) {
		if (mount("none", argv[3], argv[2], 0, argc > 4 ? argv[4] : NULL)) {
			printf("errno %s (%d: %s)\n", errno_name(errno), errno, strerror(errno));
			return 1;
		}
		printf("ok\n");
		return 0;
	}
	fprintf(stderr, "usage: rdc-sys mount FSTYPE DIR [OPTIONS]\n");
	return 2;
}
