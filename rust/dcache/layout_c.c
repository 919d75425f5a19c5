// SPDX-License-Identifier: GPL-2.0
/*
 * Where C puts what the dcache layer relies on: the size, alignment and used
 * field offsets of every bindings type the layer and rdcachefs read, write
 * or build by value, and of those behind the kernel crate's types and
 * methods they use.  Never linked: Kbuild compiles it to assembly (as it
 * does asm-offsets.c, with <linux/kbuild.h>'s DEFINE()), turns the "->NAME
 * VALUE" lines into layout_c.rs, and rust/dcache/layout.rs compares each
 * with the bindings at build time, so a binding whose layout disagrees with
 * C's fails `make module`, not a boot.
 *
 * Why: bindgen can be wrong.  bindgen 0.73.2 drops the align(64) of an
 * empty struct, so with CONFIG_SCHEDSTATS=n every task_struct field after
 * the empty, ____cacheline_aligned `stats` sits 48 bytes early in Rust
 * (docs/reports/bindgen-empty-aligned.md); the kernel turns bindgen's own
 * layout tests off.
 *
 * RDC_LAYOUT_LIE (make RDC_LAYOUT_LIE=1) is the checks' self-test: it
 * reports task_struct.pid 48 bytes early, as that bug does, and the module
 * build must then fail naming it.
 */

#include <linux/completion.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/hrtimer_types.h>
#include <linux/kbuild.h>
#include <linux/list.h>
#include <linux/lockdep_types.h>
#include <linux/lockref.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/spinlock_types.h>
#include <linux/stddef.h>
#include <linux/workqueue_types.h>
#include <kunit/test.h>

/*
 * struct rust_fs_type and struct rust_fs_ops, which fs_type.rs mirrors by
 * hand (RawFsType, RawFsOps), are private to the helper: take them from it
 * (its functions are compiled here too, never linked).
 */
#define __rust_helper
#include "helpers/fs_type.c"

/* rdc_<name>_size and rdc_<name>_align of C type @t. */
#define TYPE(name, t)						\
	DEFINE(rdc_##name##_size, sizeof(t));			\
	DEFINE(rdc_##name##_align, __alignof__(t))
#define STRUCT(s) TYPE(s, struct s)
/* rdc_<s>__<field>: offsetof(struct s, field). */
#define FIELD(s, f) DEFINE(rdc_##s##__##f, offsetof(struct s, f))

#ifdef RDC_LAYOUT_LIE
#define TASK_PID_OFFSET (offsetof(struct task_struct, pid) - 48)
#else
#define TASK_PID_OFFSET offsetof(struct task_struct, pid)
#endif

int main(void);
int main(void)
{
	/* The dcache layer's own objects. */
	STRUCT(dentry);
	FIELD(dentry, d_flags);
	FIELD(dentry, d_parent);
	FIELD(dentry, d_name);
	FIELD(dentry, d_inode);
	FIELD(dentry, d_sb);
	FIELD(dentry, d_lockref);
	FIELD(dentry, d_lru);
	FIELD(dentry, d_sib);
	FIELD(dentry, d_children);
	STRUCT(lockref);
	STRUCT(list_head);
	FIELD(list_head, next);
	FIELD(list_head, prev);
	STRUCT(super_block);
	FIELD(super_block, s_active);
	FIELD(super_block, s_root);
	FIELD(super_block, s_type);
	FIELD(super_block, s_id);
	STRUCT(inode);
	FIELD(inode, i_ino);
	FIELD(inode, i_mode);
	FIELD(inode, i_sb);
	FIELD(inode, i_generation);
	STRUCT(kiocb);
	FIELD(kiocb, ki_filp);

	/* Built by value (fs_type.rs): the type and its operation tables. */
	STRUCT(file_system_type);
	FIELD(file_system_type, name);
	FIELD(file_system_type, owner);
	FIELD(file_system_type, kill_sb);
	STRUCT(super_operations);
	FIELD(super_operations, evict_inode);
	FIELD(super_operations, drop_inode);
	FIELD(super_operations, statfs);
	STRUCT(dentry_operations);
	FIELD(dentry_operations, d_release);
	FIELD(dentry_operations, d_iput);
	FIELD(dentry_operations, d_delete);
	STRUCT(inode_operations);
	FIELD(inode_operations, lookup);
	STRUCT(file_operations);
	FIELD(file_operations, llseek);
	FIELD(file_operations, read);
	FIELD(file_operations, read_iter);
	FIELD(file_operations, iterate_shared);
	/* kernel::debugfs builds these (control.rs, bench.rs). */
	FIELD(file_operations, owner);
	FIELD(file_operations, open);
	FIELD(file_operations, write);
	FIELD(file_operations, release);

	/* Mirrored by hand in fs_type.rs. */
	STRUCT(rust_fs_type);
	FIELD(rust_fs_type, fst);
	FIELD(rust_fs_type, ops);
	STRUCT(rust_fs_ops);
	FIELD(rust_fs_ops, nparams);
	FIELD(rust_fs_ops, param_name);
	FIELD(rust_fs_ops, opts_alloc);
	FIELD(rust_fs_ops, opts_free);
	FIELD(rust_fs_ops, set_param);
	FIELD(rust_fs_ops, validate);
	FIELD(rust_fs_ops, fill_super);

#ifdef CONFIG_KUNIT
	/* Built by value by #[kunit_tests] (kernel::kunit). */
	STRUCT(kunit_case);
	STRUCT(kunit_suite);
#endif

	/*
	 * Behind the kernel crate: Task::pid() and current!() (task_struct),
	 * SpinLock and Mutex (spinlock_t, struct mutex, a static
	 * lock_class_key each), the workqueue's Work (work_struct), Arc
	 * (refcount_t), all embedded by value in Rust-owned memory.
	 */
	STRUCT(task_struct);
	DEFINE(rdc_task_struct__pid, TASK_PID_OFFSET);
	FIELD(task_struct, tgid);
	FIELD(task_struct, group_leader);
	FIELD(task_struct, mm);
	TYPE(spinlock_t, spinlock_t);
	STRUCT(mutex);
	STRUCT(lock_class_key);
	STRUCT(work_struct);
	TYPE(refcount_t, refcount_t);
	/* hardirq.rs: HrTimer (struct hrtimer) and Completion, by value. */
	STRUCT(hrtimer);
	STRUCT(completion);
	return 0;
}
