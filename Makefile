# SPDX-License-Identifier: GPL-2.0
#
# rdcache: user-facing targets.  The kernel's build system reads Kbuild, not
# this file.  Every target does the set-up it needs (scripts/setup.sh) and
# builds or reuses the cached kernel; KDIR=/path brings your own tree.
#
#   make run          boot the VM, load rdcache, run the demonstration, verdict
#   make test         the whole suite, KTAP, 'N passed, N failed'
#   make shell        interactive VM with the module and tests in /rdcache
#   make bench        benchmarks on the kernel without detectors: results/bench-*/
#                     (BENCH_SIZES=10000,30000 umount sizes; BENCH_PUBLISH=1 updates
#                     docs/bench/ and the README's table)
#   make test-kcsan   the stress suite on the KCSAN kernel
#   make hostile      fault injection, the fuzzer, privilege checks, load/unload cycles
#   make interleavings  the seven forced shrink-list-versus-umount interleavings
#   make sound        safe-code leaks cause only the reports C gives for them,
#                     and the lock rule refuses each call it must
#   make apifuzz      the safe-API fuzzer: SEED=N replays one sequence, DURATION=S
#                     runs fresh seeds for S seconds (OPS=N per sequence); else
#                     make test's bounded seeds
#   make host         host only: every host-side test of make test but the
#                     compile-fail cases and the layout builds (no boot)
#   make layout       host only: a wrong binding layout fails the build; the
#                     installed bindgen against docs/reports/bindgen-empty-aligned.md
#   make stress       CYCLES=N or DURATION=SECONDS of the shrink-vs-umount stress
#   make setup | kernel | module | clippy | fmt | fmtcheck | rust-analyzer | clean
#   make record-fixtures  boot each splat trigger without a live self-test and save
#                     its log slice as scripts/host/fixtures/rec-<trigger>.log
#   make mutants      apply each deliberate bug of scripts/host/mutants.json to a
#                     scratch copy and run the tests that must catch it
#                     (MUTANTS="a b" picks some); GENERATED=N SEED=S: N mutants
#                     made by operators (scripts/host/genmut.py), each run
#                     against the boots that cover its file, resumable, the
#                     score per area in docs/mutants-generated.json
#                     (AREAS="layer helpers": only those areas' share)
#   make upstream     the dcache layer as a patch series against 7.3, C first,
#                     in docs/upstream/ (mails by b4), with its checks
#                     (checkpatch, identity, each patch built with CLIPPY=1,
#                     rustfmtcheck, rustdoc, the patched kernel booted with the
#                     module's suites); UPSTREAM_SERIES_ONLY=1 writes it only;
#                     UPSTREAM_AUTHOR='Full Name <address>' signs it
#   KPATCH=1 make <target>  the same on a kernel with the upstream series' C
#                     patches (the dput_to_list() export; cached, built once):
#                     the module then uses the export instead of its fallback
#   make fresh-check  make run and make test as the README promises them, in a
#                     new minimal Debian 12 root (debootstrap, chroot; as root)
#
# Without make: ./rdcache <target> installs make, then runs it.

DO := scripts/host/do.sh

.PHONY: all run test upstream smoke harness kunit rdcachefs interleavings stress negctl sound apifuzz layout compile-fail classifier host record-fixtures mutants hostile bench test-kcsan shell setup kernel module \
	clippy fmt fmtcheck rust-analyzer initramfs fresh-check clean

all: module

run test upstream smoke harness kunit rdcachefs interleavings stress negctl sound apifuzz layout compile-fail classifier host record-fixtures mutants hostile bench test-kcsan shell \
		setup kernel module clippy \
		fmt fmtcheck rust-analyzer initramfs:
	@$(DO) $@

# Not through do.sh: no set-up on this host (only debootstrap, if missing).
fresh-check:
	@scripts/host/fresh-check.sh

clean:
	rm -rf results rust-project.json
	find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' -o -name '.*.cmd' \
		-o -name '*.rmeta' -o -name '*.d' -o -name 'modules.order' -o -name 'Module.symvers' \) \
		-not -path './.git/*' -delete
