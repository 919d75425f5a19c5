// SPDX-License-Identifier: GPL-2.0
/*
 * C glue of rdcache's own: what the module needs beside the dcache layer's
 * helpers (rust/dcache/helpers/, which become rust/helpers/ in the upstream
 * series): a workqueue and the benchmarks' C peers.  glue.h
 * declares these and the helpers; rust/dcache/glue.rs mirrors glue.h.
 */

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/workqueue.h>

#include "glue.h"

/* ---- workqueues ---------------------------------------------------------- */

/* alloc_workqueue() is a macro (alloc_hooks()); @name is used as the format. */
struct workqueue_struct *rdc_alloc_workqueue(const char *name, unsigned int max_active)
{
	return alloc_workqueue("%s", WQ_UNBOUND, max_active, name);
}

/* ---- C peers of the benchmarks (rust/dcache/peer.rs) ------------------ */

/*
 * The loops rdcache's benchmarks compare the Rust layer with, written as a C
 * caller of the dcache would write them.
 */

/* @n times: take a reference to @dentry and drop it with dput(). */
void rdc_peer_dget_dput(struct dentry *dentry, u64 n)
{
	for (; n; n--)
		dput(dget(dentry));
}

/*
 * @n times: take a reference to @dentry and drop it with
 * lockref_put_or_lock(), as ShrinkList::put drops a reference that is not
 * the last.  The caller holds a reference, so the
 * count never falls to 1 here; the unlock is for completeness.
 */
void rdc_peer_dget_put_or_lock(struct dentry *dentry, u64 n)
{
	for (; n; n--) {
		dget(dentry);
		if (!lockref_put_or_lock(&dentry->d_lockref))
			spin_unlock(&dentry->d_lock);
	}
}

/* dput() each of the @n references in @v, in order.  May sleep. */
void rdc_peer_dput_each(struct dentry **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dput(v[i]);
}
