// SPDX-License-Identifier: GPL-2.0

/*
 * dcache helpers for the Rust dentry, shrink-list and inode abstractions
 * (rust/kernel/fs/): the static inlines and macros of linux/dcache.h and
 * linux/spinlock.h they need.
 */

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/lockref.h>
#include <linux/namei.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

/* d_lockref.count: negative (-128) once the dentry is dead. */
__rust_helper int rdc_d_count(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_lockref.count);
}

/*
 * Saturating reference counts.  d_lockref.count, i_count and s_active are
 * plain ints that wrap: lockref_get() is a bare increment, ihold() and
 * atomic_inc_not_zero() are atomic_t's.  Leaking a reference is safe Rust
 * (mem::forget()), so 2^32 leaked references would bring a count back to 0
 * under live ones, and the next put would free what they point to.  As
 * refcount_t does (include/linux/refcount.h), the Rust layer stops counting
 * instead:
 *
 * - a count a Rust reference is taken on that reads RUST_REF_SATURATE or
 *   more is set to RUST_REF_SATURATED (if below), and the new reference
 *   adds nothing to it (one a C call gave, a lookup's, is taken back out);
 * - a Rust reference dropped, or put into a shrink list, while its count
 *   reads RUST_REF_SATURATE or more gives nothing back.
 *
 * The object is then leaked for ever, which is what the leaks asked for:
 * busy at umount, as in C.  Below RUST_REF_SATURATE every Rust reference is
 * counted, so one that gives nothing back was counted or was taken after the
 * count was set to RUST_REF_SATURATED, and once set the count stays at or
 * above RUST_REF_SATURATE: every Rust give-back is checked just before it
 * is made (a drop, a put, each entry of a batch), so at most one per task
 * is in flight past its check, and the gap of 2^29 between the two absorbs
 * those, the racing increments of tasks that read the count just below,
 * and the C references then held (as for refcount_t, C would need 2^29
 * references to one object to cross it; a KernMount holds one on its
 * root's count and s_active, and 2^29 of them would take some 100 GiB).
 */
#define RUST_REF_SATURATE	0x40000000	/* 2^30 */
#define RUST_REF_SATURATED	0x60000000	/* 3 * 2^29 */

static inline void rust_ref_saturated(const char *what)
{
	pr_warn_ratelimited("dcache: %s reference count saturated: it no longer counts Rust references, and the object is leaked for ever\n",
			    what);
}

/* Whether @dentry's count, on which the caller holds one, reads saturated. */
__rust_helper bool rdc_d_saturated(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_lockref.count) >= RUST_REF_SATURATE;
}

/*
 * Take back into @dentry's saturated count the reference a C call just gave
 * the caller (a lookup's, dget_parent()'s), under its d_lock, which the
 * caller may take: the reference then counts for nothing, like one taken
 * on the saturated count.  A count that fell below RUST_REF_SATURATE
 * meanwhile keeps the reference counted.
 */
__rust_helper void rdc_d_absorb(struct dentry *dentry)
{
	int *count = &dentry->d_lockref.count;

	spin_lock(&dentry->d_lock);
	if (*count > RUST_REF_SATURATED) {
		(*count)--;
	} else if (*count >= RUST_REF_SATURATE) {
		*count = RUST_REF_SATURATED;
		rust_ref_saturated("a dentry's");
	}
	spin_unlock(&dentry->d_lock);
}

/*
 * Whether the reference @count, atomic_t, reads saturated; the caller holds
 * one on it.
 */
static inline bool rust_ref_count_saturated(atomic_t *count)
{
	return atomic_read(count) >= RUST_REF_SATURATE;
}

/*
 * Take a reference on the atomic_t @count: false if it is 0, else counted
 * up to RUST_REF_SATURATE, from there saturated (see above).  @what names the
 * count in the warning.
 */
static inline bool rust_ref_get_not_zero(atomic_t *count, const char *what)
{
	int c = atomic_read(count), new;

	do {
		if (!c)
			return false;
		if (likely(c < RUST_REF_SATURATE))
			new = c + 1;
		else if (c < RUST_REF_SATURATED)
			new = RUST_REF_SATURATED;
		else
			return true;
	} while (!atomic_try_cmpxchg(count, &c, new));
	if (new == RUST_REF_SATURATED)
		rust_ref_saturated(what);
	return true;
}

/*
 * ihold() that saturates: @inode is alive with i_count > 0 (a reference the
 * caller holds, or its dentry's alias), as ihold() requires.
 */
__rust_helper void rdc_ihold_saturating(struct inode *inode)
{
	/*
	 * A count of 0 breaks the caller's promise: warned, and counted
	 * anyway (7.3's ihold() would BUG with CONFIG_DEBUG_VFS, else warn and
	 * count).
	 */
	if (WARN_ON(!rust_ref_get_not_zero(&inode->i_count, "an inode's")))
		atomic_inc(&inode->i_count);
}

/* Whether @inode's i_count, on which the caller holds one, reads saturated. */
__rust_helper bool rdc_i_saturated(struct inode *inode)
{
	return rust_ref_count_saturated(&inode->i_count);
}

/*
 * Take an active reference if @sb is set up and not being shut down.  The
 * caller guarantees @sb is not freed meanwhile.
 */
__rust_helper bool rdc_sb_try_activate(struct super_block *sb)
{
	/*
	 * SB_BORN is set by super_wake() with smp_store_release(), which
	 * vfs_get_tree() calls after fill_super set s_root (fs/super.c); the
	 * acquire pairs with it, as super_flags() does.
	 */
	if (!(smp_load_acquire(&sb->s_flags) & SB_BORN) || !READ_ONCE(sb->s_root))
		return false;
	/* atomic_inc_not_zero(), saturating. */
	return rust_ref_get_not_zero(&sb->s_active, "a superblock's active");
}

/* Whether @sb's s_active, on which the caller holds one, reads saturated. */
__rust_helper bool rdc_sb_active_saturated(struct super_block *sb)
{
	return rust_ref_count_saturated(&sb->s_active);
}

/*
 * Tests only: set @dentry's count to @count, under its d_lock, and return
 * the old one: a stand-in for 2^30 leaked references, which a loop of
 * mem::forget() would take minutes to make.
 */
__rust_helper int rdc_test_d_set_count(struct dentry *dentry, int count)
{
	int old;

	spin_lock(&dentry->d_lock);
	old = dentry->d_lockref.count;
	dentry->d_lockref.count = count;
	spin_unlock(&dentry->d_lock);
	return old;
}

/* Tests only: as rdc_test_d_set_count(), for @inode's i_count. */
__rust_helper int rdc_test_i_set_count(struct inode *inode, int count)
{
	return atomic_xchg(&inode->i_count, count);
}

/* Tests only: as rdc_test_d_set_count(), for @sb's s_active. */
__rust_helper int rdc_test_sb_set_active(struct super_block *sb, int count)
{
	return atomic_xchg(&sb->s_active, count);
}

/*
 * d_inode, read once.  For a dentry the caller holds a count on, a non-NULL
 * value stays: a positive dentry turns negative only in dentry_unlink_inode(),
 * from d_delete() with a count of 1 (the unlinker's own) or from the kill of
 * an unused dentry (fs/dcache.c, d_delete() and dentry_kill()), and its alias
 * holds the inode's reference until then.
 */
__rust_helper struct inode *rdc_d_inode(const struct dentry *dentry)
{
	return d_inode_rcu(dentry);
}

__rust_helper bool rdc_d_unhashed(const struct dentry *dentry)
{
	return d_unhashed(dentry);
}

/* d_name; stable while the caller holds d_lock (or otherwise excludes renames). */
__rust_helper const unsigned char *rdc_d_name(const struct dentry *dentry,
					      unsigned int *len)
{
	*len = dentry->d_name.len;
	return dentry->d_name.name;
}

__rust_helper bool rdc_d_on_shrink_list(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_flags) & DCACHE_SHRINK_LIST;
}

__rust_helper bool rdc_d_on_lru(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_flags) & DCACHE_LRU_LIST;
}

__rust_helper bool rdc_d_referenced(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_flags) & DCACHE_REFERENCED;
}

__rust_helper bool rdc_d_is_cursor(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_flags) & DCACHE_DENTRY_CURSOR;
}

/*
 * The child @name of @base with a reference, positive or negative, asking
 * the filesystem if it is not cached (lookup_noperm_unlocked()); or an
 * ERR_PTR.  May sleep.
 */
__rust_helper struct dentry *rdc_lookup(struct dentry *base, const char *name)
{
	/*
	 * lookup_noperm_unlocked() takes the base's inode lock: a negative or
	 * non-directory base would be a NULL or bogus dereference.  A base we
	 * hold a reference to cannot turn negative (d_delete() only unhashes a
	 * dentry someone else holds).
	 */
	if (!d_can_lookup(base))
		return ERR_PTR(-ENOTDIR);
	return lookup_noperm_unlocked(&QSTR(name), base);
}

/* The cached child @name of @base with a reference, NULL, or an ERR_PTR. */
__rust_helper struct dentry *rdc_try_lookup(struct dentry *base, const char *name)
{
	if (!d_can_lookup(base))
		return ERR_PTR(-ENOTDIR);
	return try_lookup_noperm(&QSTR(name), base);
}

__rust_helper void rdc_d_lock(struct dentry *dentry)
{
	spin_lock(&dentry->d_lock);
}

/*
 * The dentry guard held on this CPU: a ChildrenGuard (a directory's d_lock)
 * and, inside it, at most one LockedDentry (a child's d_lock, nested), with
 * the task that holds them.  Every check compares the owner with current,
 * so a record is only ever about the task that reads it, and a task that
 * holds a guard always finds its record on the CPU it runs on:
 *  - a guard disables migration while it lives (migrate_disable(), which
 *    PREEMPT_RT's spin_lock() does anyway): its task stays on this CPU even
 *    if it is preempted (PREEMPT_RT) or sleeps inside the guard (a bug,
 *    "scheduling while atomic", after which the checks still apply);
 *  - another task that runs here meanwhile is not the owner, so none of the
 *    record applies to it; only its own lock_children() is refused while
 *    the slot is taken;
 *  - the record holds a reference to its owner's task_struct, so a guard
 *    that is never dropped (mem::forget()) cannot make a later task at the
 *    same address its owner; it keeps its d_lock held for ever, as in C, its
 *    task pinned to this CPU (which then cannot go offline: nr_pinned), and
 *    the slot taken, so this CPU refuses every other task's lock_children();
 *  - a record is read with preemption disabled, so its three words come
 *    from one CPU.
 * In an interrupt the interrupted task's record would be visible, so the
 * checks refuse non-task context outright (d_lock is not IRQ-safe).
 *
 * Not static: a helper is an inline function with external linkage
 * (__rust_helper), which may not use a static variable.  With
 * CONFIG_RUST_INLINE_HELPERS every Rust crate links a copy of the helpers,
 * and of these, into itself: guards taken by code of two crates then do not
 * see each other, and a nesting of the two is left to lockdep.
 */
DEFINE_PER_CPU(struct task_struct *, rust_dentry_guard_owner);
DEFINE_PER_CPU(struct dentry *, rust_dentry_guard_dir);
DEFINE_PER_CPU(struct dentry *, rust_dentry_guard_child);

/*
 * The task running a file system callback that the dcache calls under a
 * dentry's d_lock (->d_delete(), from retain_dentry()), on this CPU: layer
 * calls that may take a d_lock are refused there as under a guard.  Written
 * with that d_lock held, so its task stays on this CPU and, without
 * PREEMPT_RT, runs the callback with preemption off: nothing else runs on
 * this CPU until the matching exit.  With PREEMPT_RT another task of this
 * CPU may enter its own callback meanwhile; entries then save and restore
 * out of order, and a callback may go unmarked (its layer calls not
 * refused) or a task stay marked (its later layer calls refused, and their
 * references leaked): PREEMPT_RT is not a configuration this layer is built
 * or tested for.
 */
DEFINE_PER_CPU(struct task_struct *, rust_dentry_callback_owner);

/*
 * The tasks running a file system callback that the VFS may call with a
 * directory's i_rwsem of its superblock held: ->lookup() (shared, the name's
 * dentry pending in d_alloc_parallel(); or exclusive, from unlink, mkdir,
 * rename or an O_CREAT open), ->iterate_shared() (shared), and the teardown
 * callbacks ->d_release(), ->d_iput() and ->evict_inode(), which a dput() or
 * an iput() runs under such a lock (a failed lookup's dentry in
 * __lookup_slow(), lookup_one_qstr_excl()'s, reclaim in d_alloc()) or
 * without one, which the layer cannot tell apart.  One record each, listed
 * for the call.  A layer call that takes a directory's i_rwsem of the same
 * superblock (a lookup, create_child()) is refused there: the same name
 * waits for itself in d_wait_lookup(), inode_lock() for the task's own
 * hold, a second read hold behind any writer queued meanwhile.
 *
 * A record is allocated, not on the task's stack, and holds a reference to
 * its task: a callback that oopses (a Rust panic is a BUG()) never returns
 * to unlist it, and its record then stays listed, leaked, naming a task no
 * new one can be mistaken for, instead of a freed stack.  One lock for
 * every superblock: only the slow paths (a lookup that missed the dcache, a
 * readdir, a kill or an eviction) and those layer calls take it.  Not
 * static, as above; with CONFIG_RUST_INLINE_HELPERS each crate's callbacks
 * and refusals see only its own copy.
 */
LIST_HEAD(rust_dir_callbacks);
DEFINE_SPINLOCK(rust_dir_callbacks_lock);

struct rust_dir_callback {
	struct list_head node;
	struct task_struct *task;	/* counted */
	const struct super_block *sb;	/* only compared */
};

/*
 * Runs @fn(@arg), a callback of @sb's file system type of the kind above,
 * with the running task listed as in one; returns true.  Returns false,
 * calling nothing, if no record could be allocated: with GFP_KERNEL if
 * @may_wait, else with GFP_NOWAIT (the teardown callbacks run in reclaim).
 */
__rust_helper bool rdc_dir_callback_run(const struct super_block *sb, bool may_wait,
					void (*fn)(void *), void *arg)
{
	struct rust_dir_callback *c;

	c = kmalloc_obj(*c, may_wait ? GFP_KERNEL : GFP_NOWAIT | __GFP_NOWARN);
	if (!c)
		return false;
	c->task = get_task_struct(current);
	c->sb = sb;
	spin_lock(&rust_dir_callbacks_lock);
	list_add(&c->node, &rust_dir_callbacks);
	spin_unlock(&rust_dir_callbacks_lock);
	fn(arg);
	spin_lock(&rust_dir_callbacks_lock);
	list_del(&c->node);
	spin_unlock(&rust_dir_callbacks_lock);
	put_task_struct(c->task);
	kfree(c);
	return true;
}

/*
 * Whether the running task has a record listed: of @sb, or of any
 * superblock if @sb is NULL.  Never outside task context, where no such
 * callback runs and the lock, not IRQ-safe, may be held by the task
 * interrupted.
 */
static inline bool rust_dir_callback_listed(const struct super_block *sb)
{
	struct rust_dir_callback *c;
	bool in = false;

	if (!in_task())
		return false;
	/*
	 * Unlocked, the common case: a task's own record, listed by itself
	 * before, is seen by it here, so an empty list means none is its.
	 */
	if (list_empty(&rust_dir_callbacks))
		return false;
	spin_lock(&rust_dir_callbacks_lock);
	list_for_each_entry(c, &rust_dir_callbacks, node) {
		if (c->task == current && (!sb || c->sb == sb)) {
			in = true;
			break;
		}
	}
	spin_unlock(&rust_dir_callbacks_lock);
	return in;
}

/* Whether the running task is in such a callback of any superblock. */
__rust_helper bool rdc_in_any_dir_callback(void)
{
	return rust_dir_callback_listed(NULL);
}

/* Whether the running task is in such a callback of @sb (see above). */
__rust_helper bool rdc_in_dir_callback(const struct super_block *sb)
{
	return rust_dir_callback_listed(sb);
}

/*
 * Whether the running task holds a dentry guard.  A guard holder cannot
 * migrate, so it finds its record on the CPU it runs on; anyone else reads a
 * slot not its own.
 */
static inline bool rust_guard_owned(void)
{
	return READ_ONCE(*raw_cpu_ptr(&rust_dentry_guard_owner)) == current;
}

/* rdc_lock_context()'s answers; mirrored in dentry.rs (`may_lock()`). */
enum {
	RUST_LOCK_OK = 0,
	RUST_LOCK_GUARD = 1,
	RUST_LOCK_NOT_TASK = 2,
	RUST_LOCK_CALLBACK = 3,
	RUST_LOCK_HELD = 4,
	/* rdc_in_dir_callback(), for rdc_lock_rule_warn() only */
	RUST_LOCK_DIR_CALLBACK = 5,
};

/*
 * Whether a layer call that may take a d_lock (dget(), dput(), a lookup) or
 * an i_lock may do so here.  Not outside task context: d_lock is not
 * IRQ-safe, and the interrupted task may hold it.  Not while the running
 * task holds a dentry guard: "calling [dget()] under @dentry->d_lock is
 * always a bug; so's calling it under ->d_lock on any of its descendents"
 * (include/linux/dcache.h, dget()), since lockref spins on d_lock when it
 * cannot count locklessly (always, with lockdep); a lookup takes the
 * children's d_locks (__d_lookup()), d_mark_dontcache() takes i_lock, the
 * reverse of lock_for_kill()'s i_lock-then-d_lock.
 */
__rust_helper int rdc_lock_context(void)
{
	if (!in_task())
		return RUST_LOCK_NOT_TASK;
	if (rust_guard_owned())
		return RUST_LOCK_GUARD;
	/* Likewise a task in a callback under a d_lock. */
	if (READ_ONCE(*raw_cpu_ptr(&rust_dentry_callback_owner)) == current)
		return RUST_LOCK_CALLBACK;
	return RUST_LOCK_OK;
}

/*
 * The running task enters a file system callback the dcache calls under a
 * d_lock the caller holds; returns what rdc_dlock_callback_exit() restores.
 */
__rust_helper struct task_struct *rdc_dlock_callback_enter(void)
{
	struct task_struct *prev = this_cpu_read(rust_dentry_callback_owner);

	this_cpu_write(rust_dentry_callback_owner, current);
	return prev;
}

__rust_helper void rdc_dlock_callback_exit(struct task_struct *prev)
{
	this_cpu_write(rust_dentry_callback_owner, prev);
}

/*
 * rdc_lock_context() for taking or dropping a counted reference to @dentry
 * (dget(), dput(), ShrinkList::put()), in one call, since every one pays
 * it: its answers, or RUST_LOCK_HELD if the running task's guard holds
 * @dentry's d_lock itself (a reference may then be taken, or a non-last one
 * dropped, under it).  A
 * guard holder cannot migrate and only it writes its record, so the record
 * it reads is whole without preemption disabled.
 */
__rust_helper int rdc_ref_context(const struct dentry *dentry)
{
	if (!in_task())
		return RUST_LOCK_NOT_TASK;
	if (rust_guard_owned()) {
		if (this_cpu_read(rust_dentry_guard_dir) == dentry ||
		    this_cpu_read(rust_dentry_guard_child) == dentry)
			return RUST_LOCK_HELD;
		return RUST_LOCK_GUARD;
	}
	if (READ_ONCE(*raw_cpu_ptr(&rust_dentry_callback_owner)) == current)
		return RUST_LOCK_CALLBACK;
	return RUST_LOCK_OK;
}

/* Whether the running task's guard holds @dentry's d_lock. */
__rust_helper bool rdc_guard_holds(const struct dentry *dentry)
{
	bool held;

	if (!in_task())
		return false;
	/* One CPU's record, read whole. */
	preempt_disable();
	held = this_cpu_read(rust_dentry_guard_owner) == current &&
	       (this_cpu_read(rust_dentry_guard_dir) == dentry ||
		this_cpu_read(rust_dentry_guard_child) == dentry);
	preempt_enable();
	return held;
}

/* WARN()s about a call rdc_lock_context() refused, naming the rule. */
__rust_helper void rdc_lock_rule_warn(const char *op, int why)
{
	if (why == RUST_LOCK_NOT_TASK)
		WARN(1, "dcache: %s outside task context refused: d_lock is not IRQ-safe\n", op);
	else if (why == RUST_LOCK_DIR_CALLBACK)
		WARN(1, "dcache: %s in a callback called under a directory's i_rwsem (->lookup(), ->iterate_shared(), or maybe ->d_release(), ->d_iput(), ->evict_inode()) refused: taking a directory's i_rwsem of the same superblock again can deadlock\n",
		     op);
	else if (why == RUST_LOCK_CALLBACK)
		WARN(1, "dcache: %s in a callback called under a d_lock (->d_delete()) refused: a d_lock or i_lock taken under a d_lock can deadlock\n",
		     op);
	else
		WARN(1, "dcache: %s while this CPU holds a dentry guard refused: a d_lock or i_lock taken under a d_lock can deadlock (dget() under ->d_lock of the dentry or of any of its descendents is always a bug, include/linux/dcache.h)\n",
		     op);
}

/*
 * Lock @dentry's d_lock for a ChildrenGuard: in task context, unless the
 * running task holds a guard (two directories' d_locks would nest in one
 * lock class, lockdep's "possible recursive locking", or invert d_walk()'s
 * parent-then-child order against shrink_dcache_parent() on another CPU),
 * and only if this CPU's slot is free (another task's guard: PREEMPT_RT, or
 * one leaked).  Pins the task to this CPU until rdc_guard_unlock().
 */
__rust_helper bool rdc_guard_lock(struct dentry *dentry)
{
	if (rdc_lock_context() != RUST_LOCK_OK)
		return false;
	migrate_disable();
	spin_lock(&dentry->d_lock);
	/*
	 * The slot's check and claim in one piece: with PREEMPT_RT, spin_lock()
	 * leaves preemption on, and another task of this CPU could claim the
	 * slot in between.  The owner is written last.
	 */
	preempt_disable();
	if (this_cpu_read(rust_dentry_guard_owner)) {
		preempt_enable();
		spin_unlock(&dentry->d_lock);
		migrate_enable();
		return false;
	}
	this_cpu_write(rust_dentry_guard_dir, dentry);
	this_cpu_write(rust_dentry_guard_child, NULL);
	this_cpu_write(rust_dentry_guard_owner, get_task_struct(current));
	preempt_enable();
	return true;
}

__rust_helper void rdc_guard_unlock(struct dentry *dentry)
{
	struct task_struct *owner = this_cpu_read(rust_dentry_guard_owner);

	/* Migration is disabled: the record is on this CPU, and ours. */
	if (!WARN_ON_ONCE(owner != current || this_cpu_read(rust_dentry_guard_dir) != dentry)) {
		/* Released in one piece, the owner last (see rdc_guard_lock()). */
		preempt_disable();
		this_cpu_write(rust_dentry_guard_dir, NULL);
		this_cpu_write(rust_dentry_guard_child, NULL);
		this_cpu_write(rust_dentry_guard_owner, NULL);
		preempt_enable();
		put_task_struct(owner);
	}
	spin_unlock(&dentry->d_lock);
	migrate_enable();
}

/* A child's d_lock, taken while its parent's d_lock is held by a ChildrenGuard. */
__rust_helper void rdc_guard_lock_child(struct dentry *dentry)
{
	spin_lock_nested(&dentry->d_lock, DENTRY_D_LOCK_NESTED);
	if (!WARN_ON_ONCE(this_cpu_read(rust_dentry_guard_owner) != current))
		this_cpu_write(rust_dentry_guard_child, dentry);
}

__rust_helper void rdc_guard_unlock_child(struct dentry *dentry)
{
	if (!WARN_ON_ONCE(this_cpu_read(rust_dentry_guard_owner) != current ||
			  this_cpu_read(rust_dentry_guard_child) != dentry))
		this_cpu_write(rust_dentry_guard_child, NULL);
	spin_unlock(&dentry->d_lock);
}

__rust_helper void rdc_d_unlock(struct dentry *dentry)
{
	spin_unlock(&dentry->d_lock);
}

/*
 * dget_dlock(): a reference taken under the d_lock the caller holds,
 * saturating (see RUST_REF_SATURATE).
 */
__rust_helper void rdc_dget_dlock(struct dentry *dentry)
{
	int *count = &dentry->d_lockref.count;

	lockdep_assert_held(&dentry->d_lock);
	if (likely(*count < RUST_REF_SATURATE)) {
		dget_dlock(dentry);
	} else if (*count < RUST_REF_SATURATED) {
		*count = RUST_REF_SATURATED;
		rust_ref_saturated("a dentry's");
	}
}

/*
 * dget() of @dentry, alive, whose count read saturated: under its d_lock,
 * which the caller may take (or, warned, takes anyway, as lockref_get()
 * would: see rdc_lock_rule_warn()).
 */
__rust_helper void rdc_dget_saturating(struct dentry *dentry)
{
	spin_lock(&dentry->d_lock);
	rdc_dget_dlock(dentry);
	spin_unlock(&dentry->d_lock);
}

/*
 * Drop a reference under the d_lock the caller holds, if it is not the last
 * (as dput() does under d_lock for a count above 1, fast_dput()); false,
 * and nothing done, for the last.
 */
__rust_helper bool rdc_dput_dlock(struct dentry *dentry)
{
	lockdep_assert_held(&dentry->d_lock);
	if (dentry->d_lockref.count <= 1)
		return false;
	dentry->d_lockref.count--;
	return true;
}

/* The first child on @parent's d_children, or NULL; caller holds parent's d_lock. */
__rust_helper struct dentry *rdc_d_first_child(struct dentry *parent)
{
	lockdep_assert_held(&parent->d_lock);
	return hlist_entry_safe(parent->d_children.first, struct dentry, d_sib);
}

/* The next sibling of @child, or NULL; caller holds the parent's d_lock. */
__rust_helper struct dentry *rdc_d_next_sibling(struct dentry *child)
{
	lockdep_assert_held(&child->d_parent->d_lock);
	return hlist_entry_safe(child->d_sib.next, struct dentry, d_sib);
}

/*
 * A census of the private shrink list @list: how many entries it has, how
 * many are husks (DCACHE_DENTRY_KILLED: killed by someone else, umount or a
 * shrink_dcache_parent(), and left for the list's owner to free) and how many
 * are in use again (alive with a positive count: a lookup found the entry
 * after its last reference went, so shrink_dentry_list() will take it off
 * the list alive: lock_for_kill() refuses a non-zero count).  Reads
 * without d_lock (READ_ONCE(), as d_count() callers do): a census is a
 * snapshot, an entry may be found again or killed right after, and taking
 * d_lock would spin on a lock this thread may hold (a LockedDentry or
 * ChildrenGuard of an entry).  Caller owns @list; its entries are not freed
 * while they are on it (a killer leaves a DCACHE_SHRINK_LIST entry to the
 * list's owner: dentry_kill() frees it only off every shrink list), and only
 * the owner unlinks them.
 */
__rust_helper void rdc_shrink_list_census(struct list_head *list, size_t *entries,
					  size_t *husks, size_t *in_use)
{
	struct dentry *dentry;

	list_for_each_entry(dentry, list, d_lru) {
		(*entries)++;
		if (READ_ONCE(dentry->d_flags) & DCACHE_DENTRY_KILLED)
			(*husks)++;
		else if (READ_ONCE(dentry->d_lockref.count) > 0)
			(*in_use)++;
	}
}

/* ---- creating entries, as simple_fill_super() does -------------------- */

/*
 * Create @name under @parent with a new inode of @mode (S_IFDIR or S_IFREG),
 * under the parent directory's inode lock.  Returns the new dentry with one
 * reference, ERR_PTR(-EEXIST) if @name is in the dcache already, or another
 * ERR_PTR.  May sleep.
 */
__rust_helper struct dentry *rdc_create_child(struct dentry *parent, const char *name,
					      umode_t mode)
{
	struct inode *dir = d_inode(parent);
	struct dentry *dentry, *old;
	struct inode *inode;
	struct qstr q = QSTR_INIT(name, strlen(name));

	if (!dir || !S_ISDIR(dir->i_mode))
		return ERR_PTR(-ENOTDIR);
	if (!S_ISDIR(mode) && !S_ISREG(mode))
		return ERR_PTR(-EINVAL);

	inode_lock(dir);
	/* A removed directory takes no new entries (as in lookup_open()/may_create()). */
	if (IS_DEADDIR(dir) || d_unlinked(parent)) {
		dentry = ERR_PTR(-ENOENT);
		goto out;
	}
	q.hash = full_name_hash(parent, q.name, q.len);
	old = d_lookup(parent, &q);
	if (old) {
		dput(old);
		dentry = ERR_PTR(-EEXIST);
		goto out;
	}
	dentry = d_alloc_name(parent, name);
	if (!dentry) {
		dentry = ERR_PTR(-ENOMEM);
		goto out;
	}
	inode = new_inode(parent->d_sb);
	if (!inode) {
		dput(dentry);
		dentry = ERR_PTR(-ENOMEM);
		goto out;
	}
	inode->i_ino = get_next_ino();
	inode->i_mode = mode;
	/*
	 * i_private stays NULL (new_inode()): the Rust layer keeps no record of
	 * this inode, which is no node of the filesystem's, so it has no data.
	 */
	simple_inode_init_ts(inode);
	if (S_ISDIR(mode)) {
		inode->i_op = &simple_dir_inode_operations;
		inode->i_fop = &simple_dir_operations;
		set_nlink(inode, 2);
		inc_nlink(dir);
	}
	d_add(dentry, inode);
out:
	inode_unlock(dir);
	return dentry;
}
