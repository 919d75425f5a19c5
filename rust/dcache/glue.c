// SPDX-License-Identifier: GPL-2.0
/*
 * C glue of rdcache's own: what the module needs beside the dcache layer's
 * helpers (rust/dcache/helpers/, which become rust/helpers/ in the upstream
 * series): a workqueue, the benchmarks' C peers, and the probe rdcachefs
 * reads in ->d_release() (probe.rs).  glue.h
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

/*
 * dput() each of the @n references in @v, in order.  May sleep.  Like a
 * Rust reference's drop, each is checked for a saturated count just before
 * (helpers/dcache.c): one checked when the batch was made could be given
 * back long after a pump, and enough of them would bring a saturated count
 * back below the limit under references that were never counted.
 */
void rdc_peer_dput_each(struct dentry **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!rdc_d_saturated(v[i]))
			dput(v[i]);
}

#ifdef RDC_DPUT_TO_LIST
/*
 * On a kernel that exports dput_to_list() (the series' first patch): the n
 * references into one list, then one shrink_dentry_list(), as a C caller of
 * the export would write ShrinkList::put() and shrink().
 */
void rdc_peer_dput_to_list_each(struct dentry **v, size_t n)
{
	LIST_HEAD(list);
	size_t i;

	for (i = 0; i < n; i++)
		if (!rdc_d_saturated(v[i]))	/* as in rdc_peer_dput_each() */
			dput_to_list(v[i], &list);
	shrink_dentry_list(&list);
}
#endif

/* ---- the kill probe (probe.rs): rdcachefs's attribution, never upstream ---- */

/* rdc_dying_state()'s bits; mirrored in probe.rs (`kill_facts()`). */
enum {
	RUST_DYING_ON_LIST = 1,
	RUST_DYING_WAITED = 2,
};

/*
 * What ->d_release() can learn of the kill it is part of, read in one d_lock
 * section (the caller holds no lock: dentry_kill() drops d_lock and i_lock
 * before it calls ->d_release(), and retakes d_lock for dentry_unlist()
 * after).
 *
 * RUST_DYING_ON_LIST: the dentry sits on a shrink list (DCACHE_SHRINK_LIST).
 * An owner unlinks an entry before it kills it (d_shrink_del() in
 * shrink_dentry_list()), so this kill is someone else's,
 * or the owner's own shrink_kill() pruning the entry as the parent of one it
 * killed (dentry_kill() returns a parent whose count fell to 0 whatever
 * list it is on).  The bit can go from set to clear
 * during the callback (the owner's shrink_dentry_list() unlinks it, then
 * lock_for_kill() refuses the dead count and the killer, dentry_kill(),
 * frees it), never from clear to set (__move_to_shrink_list() refuses a
 * dead, negative count).
 *
 * RUST_DYING_WAITED: a task found the dentry dying and sleeps until
 * dentry_unlist() completes its waiter: shrink_dcache_tree()
 * (d_add_waiter()), or shrink_dcache_for_umount()'s loop over secondary
 * roots.  ->waiters shares a union with ->d_alias (struct dentry,
 * include/linux/dcache.h) and is the member in use once the dentry is
 * negative: dentry_unlink_inode() removed the alias and set ->waiters to
 * NULL (for a dentry that never had an inode, __d_alloc() or
 * __d_lookup_unhash() did) before ->d_iput() and
 * ->d_release(); from then on only d_add_waiter() and d_complete_waiters()
 * write it, under d_lock.  Waiters added after this read are not seen.
 */
u32 rdc_dying_state(struct dentry *dentry)
{
	u32 state = 0;

	spin_lock(&dentry->d_lock);
	if (dentry->d_flags & DCACHE_SHRINK_LIST)
		state |= RUST_DYING_ON_LIST;
	if (dentry->waiters)
		state |= RUST_DYING_WAITED;
	spin_unlock(&dentry->d_lock);
	return state;
}
