/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdcache's own C glue (glue.c), beside the layer's helpers in helpers/.
 * rust/dcache/glue.rs declares them, and fallback.c's; keep them in step.
 */
#ifndef RDCACHE_GLUE_H
#define RDCACHE_GLUE_H

#include <linux/types.h>

struct dentry;
struct list_head;
struct workqueue_struct;

struct workqueue_struct *rdc_alloc_workqueue(const char *name, unsigned int max_active);
void rdc_peer_dget_dput(struct dentry *dentry, u64 n);
void rdc_peer_dget_put_or_lock(struct dentry *dentry, u64 n);
void rdc_peer_dput_each(struct dentry **v, size_t n);
#ifdef RDC_DPUT_TO_LIST
void rdc_peer_dput_to_list_each(struct dentry **v, size_t n);
#endif
u32 rdc_dying_state(struct dentry *dentry);

/* The layer's helper (helpers/dcache.c) the batch loops check with. */
bool rdc_d_saturated(const struct dentry *dentry);

/* fallback.c: only on a kernel that does not export dput_to_list(). */
int rdc_dput_last_to_list(struct dentry *dentry, struct list_head *kill, struct list_head *keep);
size_t rdc_shrink_keep(struct list_head *keep);

#endif /* RDCACHE_GLUE_H */
