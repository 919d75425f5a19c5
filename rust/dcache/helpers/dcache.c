// SPDX-License-Identifier: GPL-2.0

/*
 * dcache helpers for the Rust dentry, shrink-list and inode abstractions
 * (rust/kernel/fs/): the static inlines and macros of linux/dcache.h and
 * linux/spinlock.h they need, and dput_to_list() rebuilt from what
 * fs/dcache.c exports (its own is private to fs/, fs/internal.h).
 */

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/lockref.h>
#include <linux/namei.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>

/* What rdc_dput_last_to_list() did; mirrored by `PutResult` in shrink_list.rs. */
enum {
	RUST_DPUT_DROPPED = 0,
	RUST_DPUT_CACHED = 1,
	RUST_DPUT_DEFERRED = 2,
	RUST_DPUT_LISTED = 3,
	RUST_DPUT_OTHER_LIST = 4,
};

/* rdc_dying_state()'s bits; mirrored in fs_type.rs (`Dying::facts()`). */
enum {
	RUST_DYING_ON_LIST = 1,
	RUST_DYING_WAITED = 2,
};

/* d_lockref.count: negative (-128) once the dentry is dead. */
__rust_helper int rdc_d_count(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_lockref.count);
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

/* rdc_lock_context()'s answers; mirrored in dentry.rs (`may_lock()`). */
enum {
	RUST_LOCK_OK = 0,
	RUST_LOCK_GUARD = 1,
	RUST_LOCK_NOT_TASK = 2,
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
	/* A guard holder cannot migrate; anyone else reads a slot not its own. */
	if (READ_ONCE(*raw_cpu_ptr(&rust_dentry_guard_owner)) == current)
		return RUST_LOCK_GUARD;
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
	if (this_cpu_read(rust_dentry_guard_owner)) {
		spin_unlock(&dentry->d_lock);
		migrate_enable();
		return false;
	}
	this_cpu_write(rust_dentry_guard_dir, dentry);
	this_cpu_write(rust_dentry_guard_child, NULL);
	this_cpu_write(rust_dentry_guard_owner, get_task_struct(current));
	return true;
}

__rust_helper void rdc_guard_unlock(struct dentry *dentry)
{
	struct task_struct *owner = this_cpu_read(rust_dentry_guard_owner);

	/* Migration is disabled: the record is on this CPU, and ours. */
	if (!WARN_ON_ONCE(owner != current || this_cpu_read(rust_dentry_guard_dir) != dentry)) {
		this_cpu_write(rust_dentry_guard_owner, NULL);
		this_cpu_write(rust_dentry_guard_dir, NULL);
		this_cpu_write(rust_dentry_guard_child, NULL);
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

/* dget_dlock(): a reference taken under the d_lock the caller holds. */
__rust_helper void rdc_dget_dlock(struct dentry *dentry)
{
	lockdep_assert_held(&dentry->d_lock);
	dget_dlock(dentry);
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
 * Whether dput() would keep @dentry cached once its count is 0: the tests of
 * retain_dentry(dentry, true) (fs/dcache.c:876 in 7.3.4) before its LRU
 * step.  Caller holds d_lock, as retain_dentry() does when it calls
 * ->d_delete().
 */
static inline bool rust_dentry_would_retain(struct dentry *dentry)
{
	unsigned int d_flags = dentry->d_flags;

	lockdep_assert_held(&dentry->d_lock);
	if (d_unhashed(dentry))
		return false;
	if (d_flags & DCACHE_DISCONNECTED)
		return false;
	if ((d_flags & DCACHE_OP_DELETE) && dentry->d_op->d_delete(dentry))
		return false;
	if (d_flags & DCACHE_DONTCACHE)
		return false;
	return true;
}

/*
 * dput_to_list() for code outside fs/dcache.c: Al Viro's (April 2019)
 *	if (!fast_dput(dentry) && !retain_dentry(dentry)) __dput_to_list(dentry, list);
 * rebuilt from what 7.3 exports (fast_dput(), retain_dentry() and
 * d_lru_add() are private to fs/dcache.c).
 *
 * Its first step is the caller's: lockref_put_or_lock(&dentry->d_lockref)
 * dropped a reference that was not the last (ShrinkList::put calls the
 * exported function itself, as C's inlined code would, so that the common
 * case costs no helper call), or failed and returned with d_lock held and
 * the count at most 1.  This is the rest, for the last reference: called
 * with d_lock held and the caller's count of 1, it drops both and returns
 * what became of the dentry:
 *  RUST_DPUT_DROPPED	the count was not 1 after all (a caller bug, warned
 *			about): just unlocked;
 *  RUST_DPUT_CACHED	the last one, and dput() would keep the dentry: it was
 *			on the LRU already and is marked referenced, as
 *			retain_dentry() marks it;
 *  RUST_DPUT_DEFERRED	the last one, dput() would keep it, but keeping it needs
 *			d_lru_add(): it goes onto @keep (with no count of ours,
 *			like any shrink-list entry), and rdc_shrink_keep() puts it
 *			on the LRU later through dput() itself;
 *  RUST_DPUT_LISTED	the last one, dput() would kill it: it goes onto @kill,
 *			and shrink_dentry_list(@kill) kills it;
 *  RUST_DPUT_OTHER_LIST	the last one, but the dentry sits on a shrink list
 *			already (another thread's, or @keep after a lookup
 *			found a deferred entry again), whose shrink disposes
 *			of it, as that dput_to_list() leaves it.
 *
 * Never sleeps where spinlocks do not: only spinlocks are taken (d_lock, the
 * LRU's lock in d_lru_del()), and ->d_delete() is called under d_lock exactly
 * as retain_dentry() calls it.
 */
__rust_helper int rdc_dput_last_to_list(struct dentry *dentry, struct list_head *kill,
					struct list_head *keep)
{
	int ret;

	lockdep_assert_held(&dentry->d_lock);
	/* d_lock held and count <= 1; the caller owns one, so it is exactly 1. */
	if (WARN_ON_ONCE(dentry->d_lockref.count != 1)) {
		spin_unlock(&dentry->d_lock);
		return RUST_DPUT_DROPPED;
	}
	dentry->d_lockref.count = 0;
	if (dentry->d_flags & DCACHE_SHRINK_LIST) {
		/*
		 * A list has it already (another thread's, or @keep): that
		 * list's shrink disposes of it.  A shrink-list entry carries
		 * DCACHE_LRU_LIST, so retain_dentry() would mark it referenced
		 * if it keeps it; so does this.
		 */
		if (rust_dentry_would_retain(dentry))
			dentry->d_flags |= DCACHE_REFERENCED;
		ret = RUST_DPUT_OTHER_LIST;
	} else if (!rust_dentry_would_retain(dentry)) {
		ret = __move_to_shrink_list(dentry, kill) ? RUST_DPUT_LISTED : RUST_DPUT_OTHER_LIST;
	} else if (dentry->d_flags & DCACHE_LRU_LIST) {
		/* retain_dentry()'s own step for a dentry already on the LRU. */
		dentry->d_flags |= DCACHE_REFERENCED;
		ret = RUST_DPUT_CACHED;
	} else {
		ret = __move_to_shrink_list(dentry, keep) ? RUST_DPUT_DEFERRED
							  : RUST_DPUT_OTHER_LIST;
	}
	spin_unlock(&dentry->d_lock);
	return ret;
}

/*
 * Take @dentry, whose d_lock the caller holds, off the private list it is on
 * without killing it: shrink_dentry_list() of a one-entry list unlinks it
 * (d_shrink_del()) and then leaves alone a dentry in use or dead
 * (dentry_kill() -> lock_for_kill() refuses a non-zero count), or frees a
 * husk (DCACHE_DENTRY_KILLED).  Drops d_lock.  May sleep.
 */
static inline void rust_shrink_one(struct dentry *dentry)
{
	LIST_HEAD(one);

	list_move(&dentry->d_lru, &one);
	spin_unlock(&dentry->d_lock);
	shrink_dentry_list(&one);
}

/*
 * The deferred step of rdc_dput_last_to_list(): dispose of every entry of
 * @keep, keeping cached what dput() keeps, without ever taking or dropping
 * an active reference (s_active) to a superblock, so that ->kill_sb() never
 * runs here.  Each entry is judged under its d_lock, newest first:
 *
 *  - dead (lockref_is_dead(): umount, a shrink_dcache_parent(), or the
 *    last dput() of a holder that found it again killed it or is killing it,
 *    dentry_kill()): only taken off the list; a husk is freed, one still
 *    being killed is freed by its killer once it sees it off every list;
 *
 *  - in use again (a count: a lookup found it after its last reference was
 *    put): only taken off the list, alive, and marked referenced (as its
 *    holder's dput() would mark it on the LRU, where dput() would have
 *    left it), so that its holder's dput() puts it on the LRU
 *    (retain_dentry() -> d_lru_add()) as dput() would have it.  Its d_sb is never
 *    read: a leaked reference (mem::forget() of a DentryRef) keeps the
 *    dentry, not its superblock, and umount frees the superblock anyway
 *    (umount_check(), "Busy inodes after unmount").  A holder that drops its
 *    reference between our d_lock and shrink_dentry_list()'s finds the entry
 *    still on the list and leaves it there (retain_dentry() only marks an
 *    entry with DCACHE_LRU_LIST referenced), and it is killed: a lost cache
 *    entry, never a leak or a use-after-free;
 *
 *  - unused and alive: umount has not killed it, and shrink_dcache_for_umount()
 *    kills every unused dentry under its d_lock before generic_shutdown_super()
 *    returns (shrink_dcache_tree() loops until select_collect() finds none,
 *    select_collect2() stealing those on a private list), so d_sb is not
 *    freed yet (and is freed after an RCU grace period, put_super()).  If
 *    s_umount can be taken shared with a trylock and the superblock is born,
 *    has its root and is not dying (what
 *    super_trylock_shared(), private to fs/, tests for the memory shrinker's
 *    super_cache_scan()), ->kill_sb() cannot begin until we let go: the entry
 *    gets a reference (dget_dlock()), comes off the list, and goes through
 *    dput(), which keeps it on the LRU or kills it as it decides now.
 *    Otherwise (umount, a remount or a freeze_super() under way holds
 *    s_umount, or the superblock is going) it is killed with the rest at the
 *    end, as umount would kill it.
 *
 * Returns how many entries went through dput().  May sleep.
 */
__rust_helper size_t rdc_shrink_keep(struct list_head *keep)
{
	size_t kept = 0;
	LIST_HEAD(kill);

	might_sleep();
	while (!list_empty(keep)) {
		struct dentry *dentry = list_last_entry(keep, struct dentry, d_lru);
		struct super_block *sb;

		spin_lock(&dentry->d_lock);
		if (dentry->d_lockref.count) {
			/*
			 * Dead (negative) or in use: never look at d_sb.  One in
			 * use would be on the LRU had dput() kept it at its last
			 * put, and its holder's dput() would then mark it
			 * referenced (retain_dentry()), unless the memory
			 * shrinker took it off the LRU meanwhile
			 * (dentry_lru_isolate()); off the list, it gets the mark
			 * now and goes onto the LRU with it at that dput().
			 */
			if (dentry->d_lockref.count > 0)
				dentry->d_flags |= DCACHE_REFERENCED;
			rust_shrink_one(dentry);
			continue;
		}
		sb = dentry->d_sb;
		if (!down_read_trylock(&sb->s_umount)) {
			list_move(&dentry->d_lru, &kill);
			spin_unlock(&dentry->d_lock);
			continue;
		}
		if ((sb->s_flags & SB_DYING) || !sb->s_root || !(sb->s_flags & SB_BORN)) {
			up_read(&sb->s_umount);
			list_move(&dentry->d_lru, &kill);
			spin_unlock(&dentry->d_lock);
			continue;
		}
		dget_dlock(dentry);
		rust_shrink_one(dentry);
		dput(dentry);
		up_read(&sb->s_umount);
		kept++;
	}
	shrink_dentry_list(&kill);
	return kept;
}

/*
 * A census of the private shrink list @list: how many entries it has, how
 * many are husks (DCACHE_DENTRY_KILLED: killed by someone else, umount or a
 * shrink_dcache_parent(), and left for the list's owner to free) and how many
 * are in use again (alive with a positive count: a lookup found the entry
 * after its last reference went, so shrink_dentry_list() will take it off
 * the list alive, lock_for_kill() refusing it, fs/dcache.c:737-743).  Reads
 * without d_lock (READ_ONCE(), as d_count() callers do): a census is a
 * snapshot, an entry may be found again or killed right after, and taking
 * d_lock would spin on a lock this thread may hold (a LockedDentry or
 * ChildrenGuard of an entry).  Caller owns @list; its entries are not freed
 * while they are on it (a killer leaves a DCACHE_SHRINK_LIST entry to the
 * list's owner, fs/dcache.c:853-856), and only the owner unlinks them.
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

/*
 * What ->d_release() can learn of the kill it is part of, read in one d_lock
 * section (the caller holds no lock: dentry_kill() dropped d_lock and i_lock
 * before fs/dcache.c:842 calls ->d_release(), and retakes d_lock for
 * dentry_unlist() at 850).
 *
 * RUST_DYING_ON_LIST: the dentry sits on a shrink list (DCACHE_SHRINK_LIST).
 * An owner unlinks an entry before it kills it (d_shrink_del() in
 * shrink_dentry_list(), fs/dcache.c:1298), so this kill is someone else's,
 * or the owner's own shrink_kill() pruning the entry as the parent of one it
 * killed (__dentry_kill() returns a parent whose count fell to 0 whatever
 * list it is on, fs/dcache.c:857-861).  The bit can go from set to clear
 * during the callback (the owner's shrink_dentry_list() unlinks it, then
 * lock_for_kill() refuses the dead count and the killer frees it,
 * fs/dcache.c:853-856), never from clear to set (__move_to_shrink_list()
 * refuses a dead, negative count, fs/dcache.c:1089).
 *
 * RUST_DYING_WAITED: a task found the dentry dying and sleeps until
 * dentry_unlist() completes its waiter: shrink_dcache_tree()
 * (d_add_waiter(), fs/dcache.c:1763-1770), or shrink_dcache_for_umount()'s
 * loop over secondary roots (1846-1851).  ->waiters shares a union with
 * ->d_alias (include/linux/dcache.h:127-140) and is the member in use once
 * the dentry is negative: dentry_unlink_inode() removed the alias and set
 * ->waiters to NULL (fs/dcache.c:476-481) before ->d_iput() and
 * ->d_release(); from then on only d_add_waiter() and d_complete_waiters()
 * write it, under d_lock.  Waiters added after this read are not seen.
 */
__rust_helper u32 rdc_dying_state(struct dentry *dentry)
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
	/* No tag: the filesystem's callbacks must not count this inode. */
	inode->i_generation = 0;
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
