# SPDX-License-Identifier: GPL-2.0
#
# rdcache: user-facing targets.  The kernel's build system reads Kbuild, not
# this file.  Every target does the set-up it needs (scripts/setup.sh) and
# builds or reuses the cached kernel; KDIR=/path brings your own tree.
#
# `make help` prints the lines below that start with "#>": one per target.
# A host test (make-help/*) checks that they name every target of this file.
#
#> run            boot the VM, load rdcache, run the demonstration, print a computed verdict
#> test           the whole suite: KTAP per test, 'N passed, N failed', non-zero on any failure
#> help           this list
#> doc            the dcache layer's rustdoc as HTML: results/doc/rdcache/dcache/index.html
#> shell          an interactive VM with the module and the tests in /rdcache
#> host           host only: every host-side test of make test but compile-fail and layout
#> smoke          one boot: load the module, mount, walk, umount
#> kunit          the layer's KUnit suites (rust_fs_dcache, rdcache)
#> rdcachefs      the test filesystem's own tests, and module exit against its workers
#> interleavings  the seven forced shrink-list-versus-umount interleavings
#> stress         the shrink-vs-umount stress: CYCLES=N or DURATION=S, SMP, WORKERS, BIG
#> negctl         the negative control (the seed's bug on purpose), five boots
#> sound          safe-code leaks give only C's reports; the lock rule refuses by name
#> apifuzz        the safe-API fuzzer: SEED=N replays, DURATION=S explores, OPS=N
#> hostile        fault injection, the fuzzer, privilege checks, load/unload cycles
#> harness        the judge's self-tests: each detector made to fire
#> classifier     host only: recorded kernel logs through the classifier
#> compile-fail   misuses of the layer that must not build, and the pattern that must
#> layout         host only: a wrong binding layout fails the build; bindgen's known bug
#> bench          benchmarks on the kernel without detectors, against C peers
#> test-kcsan     the stress on the KCSAN kernel, and KCSAN seen to fire
#> upstream       the layer as a patch series against 7.3 (docs/upstream/), with its checks
#> mutants        deliberate bugs (mutants.json), or GENERATED=N SEED=S by operators
#> record-fixtures  boot each splat trigger without a live self-test, save its log slice
#> fresh-check    make run and make test in a new minimal Debian 12 root (root only)
#> setup          install what is missing (Debian packages, bindgen-cli, 7.3 source)
#> kernel         build (or reuse) the cached test kernel; print its directory
#> module         build rdcache.ko against it
#> initramfs      build the guest's initramfs; print its path
#> clippy         the module under CLIPPY=1: any warning fails
#> fmt            rustfmt the module's sources
#> fmtcheck       rustfmt --check the module's sources
#> rust-analyzer  write rust-project.json for an editor
#> clean          remove build products and results/
#> all            the module (as make module)
#
# Variables (details: docs/commands.md): KDIR=/path your own built tree;
# KPATCH=1 a kernel with the upstream series' C patches (the dput_to_list()
# export); SMP=N vCPUs; RDCACHE_ONLY=boot,... only those boots of a plan;
# BENCH_SIZES, BENCH_MODES, BENCH_PUBLISH (bench); MUTANTS="a b", GENERATED,
# SEED, AREAS (mutants); UPSTREAM_SERIES_ONLY, UPSTREAM_AUTHOR (upstream).
#
# Without make: ./rdcache <target> installs make, then runs it.

DO := scripts/host/do.sh

.PHONY: all help doc run test upstream smoke harness kunit rdcachefs interleavings stress negctl sound apifuzz layout compile-fail classifier host record-fixtures mutants hostile bench test-kcsan shell setup kernel module \
	clippy fmt fmtcheck rust-analyzer initramfs fresh-check clean

all: module

help:
	@sed -n 's/^#> /  make /p' $(firstword $(MAKEFILE_LIST))

doc run test upstream smoke harness kunit rdcachefs interleavings stress negctl sound apifuzz layout compile-fail classifier host record-fixtures mutants hostile bench test-kcsan shell \
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
