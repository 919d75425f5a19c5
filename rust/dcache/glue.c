// SPDX-License-Identifier: GPL-2.0
/*
 * C glue of rdcache's own: what the module needs beside the dcache layer's
 * helpers (rust/dcache/helpers/, which become rust/helpers/ in the upstream
 * series): the current pid, a workqueue, the benchmarks' C peers and the
 * offsetof() values the layout tests compare with the bindings.  glue.h
 * declares these and the helpers; rust/dcache/glue.rs mirrors glue.h.
 */

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/stddef.h>
#include <linux/workqueue.h>

#include "glue.h"

/* ---- tasks ---------------------------------------------------------------- */

/*
 * The current task's pid (current->pid, as task_pid_nr(current) returns it).
 * Read in C: on this build kernel::task::Task::pid() read the same wrong
 * word for every task (measured: -2129456832 for both a work item and the
 * umount task), and a one-off KUnit check of offsetof(struct task_struct,
 * pid) against core::mem::offset_of!(bindings::task_struct, pid) failed
 * (7.3.4, debug config, rustc-web 1.96).  The cause is not known yet; the
 * layer's own layout checks (rust/dcache/tests.rs) cover the structs it
 * reads.
 */
pid_t rdc_current_pid(void)
{
	return task_pid_nr(current);
}

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

/* ---- layout -------------------------------------------------------------- */

#define RDC_OFFSET(type, field) \
	const size_t rdc_offsetof_##type##_##field = offsetof(struct type, field)

RDC_OFFSET(dentry, d_flags);
RDC_OFFSET(dentry, d_parent);
RDC_OFFSET(dentry, d_name);
RDC_OFFSET(dentry, d_inode);
RDC_OFFSET(dentry, d_sb);
RDC_OFFSET(dentry, d_lockref);
RDC_OFFSET(dentry, d_lru);
RDC_OFFSET(dentry, d_sib);
RDC_OFFSET(dentry, d_children);
RDC_OFFSET(super_block, s_active);
RDC_OFFSET(super_block, s_root);
RDC_OFFSET(super_block, s_type);
RDC_OFFSET(super_block, s_id);
RDC_OFFSET(inode, i_ino);
RDC_OFFSET(inode, i_mode);
RDC_OFFSET(inode, i_sb);
RDC_OFFSET(file_system_type, name);
RDC_OFFSET(file_system_type, owner);
const size_t rdc_sizeof_dentry = sizeof(struct dentry);
const size_t rdc_sizeof_list_head = sizeof(struct list_head);
