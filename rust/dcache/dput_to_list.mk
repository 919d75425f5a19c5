# SPDX-License-Identifier: GPL-2.0
#
# Included by rust/Kbuild (and the compile-fail harness's Kbuild): whether the
# kernel exports dput_to_list() (the series' first patch,
# scripts/upstream/c/), decided once per build.  With the export,
# ShrinkList::put() calls it (cfg(rdc_dput_to_list)); stock 7.3 keeps it in
# fs/internal.h, and the layer builds its fallback (dcache/fallback.c, the
# rebuilt dput_to_list() and its deferred step), which make upstream leaves
# out of the series.  A kernel that declares it without exporting it, or the
# reverse, is refused.
#
# Sets: rdc_fallback (y without the export), rdc_dput_to_list_rustflags,
# rdc_dput_to_list_ccflags (glue.c's C peer of put + shrink needs the export);
# and rdc_rustc_rustflags (see below).
rdc_dput_to_list_decl := $(shell grep -qsw 'dput_to_list' $(srctree)/include/linux/dcache.h && echo y)
rdc_dput_to_list_export := $(shell grep -qsw 'dput_to_list' $(objtree)/Module.symvers && echo y)
ifneq ($(rdc_dput_to_list_decl),$(rdc_dput_to_list_export))
$(error rdcache: the kernel in $(objtree) declares dput_to_list() in linux/dcache.h ($(or $(rdc_dput_to_list_decl),n)) but exports it ($(or $(rdc_dput_to_list_export),n)) differently: build it with both or neither)
endif
# rustc before 1.89 calls a constant read only by `const _` assertions unused
# (rust-lang/rust#142104): cfg(rdc_const_dead_code) lets layout.rs allow that
# on those compilers only, so that on newer ones a C figure no check reads
# still fails the build.
rdc_rustc_rustflags := $(if $(call rustc-min-version,108900),,--cfg rdc_const_dead_code)

ifeq ($(rdc_dput_to_list_export),y)
rdc_fallback :=
rdc_dput_to_list_rustflags := --cfg rdc_dput_to_list
rdc_dput_to_list_ccflags := -DRDC_DPUT_TO_LIST
else
rdc_fallback := y
rdc_dput_to_list_rustflags :=
rdc_dput_to_list_ccflags :=
endif
