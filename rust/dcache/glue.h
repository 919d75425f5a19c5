/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdcache's own C glue (glue.c), beside the layer's helpers in helpers/.
 * rust/dcache/glue.rs declares both; keep the three in step.
 */
#ifndef RDCACHE_GLUE_H
#define RDCACHE_GLUE_H

#include <linux/types.h>

struct dentry;
struct workqueue_struct;

struct workqueue_struct *rdc_alloc_workqueue(const char *name, unsigned int max_active);
void rdc_peer_dget_dput(struct dentry *dentry, u64 n);
void rdc_peer_dget_put_or_lock(struct dentry *dentry, u64 n);
void rdc_peer_dput_each(struct dentry **v, size_t n);

#endif /* RDCACHE_GLUE_H */
