/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between rust/dcache/ and glue.c.  Every prototype here has a
 * matching declaration in rust/dcache/glue.rs; keep the two in step.
 */
#ifndef RDCACHE_GLUE_H
#define RDCACHE_GLUE_H

struct fs_context;

int rdc_init_fs_context(struct fs_context *fc);

#endif /* RDCACHE_GLUE_H */
