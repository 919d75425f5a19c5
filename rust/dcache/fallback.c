// SPDX-License-Identifier: GPL-2.0

/*
 * dput_to_list() for a kernel that keeps it to fs/ (stock 7.3: fs/internal.h),
 * rebuilt from what fs/dcache.c exports, with the deferred step that
 * d_lru_add() being private makes necessary.
 *
 * rdcache's own, not the layer's: built only when the kernel does not export
 * dput_to_list() (rust/Kbuild decides), and left out of the upstream series,
 * whose first patch exports it.  ShrinkList::put() and ::shrink() call these
 * under cfg(not(rdc_dput_to_list)).
 */

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/lockref.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>

#include "glue.h"

/* What rdc_dput_last_to_list() did; mirrored by `PutResult` in shrink_list.rs. */
enum {
	RUST_DPUT_DROPPED = 0,
	RUST_DPUT_CACHED = 1,
	RUST_DPUT_DEFERRED = 2,
	RUST_DPUT_LISTED = 3,
	RUST_DPUT_OTHER_LIST = 4,
};

/*
 * Whether dput() would keep @dentry cached once its count is 0: the tests of
 * retain_dentry(dentry, true) (fs/dcache.c, 7.3) before its LRU
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
int rdc_dput_last_to_list(struct dentry *dentry, struct list_head *kill,
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
size_t rdc_shrink_keep(struct list_head *keep)
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
		/*
		 * super_trylock_shared()'s tests.  The second (dying, no root,
		 * not born) cannot pass on 7.3 for an entry that is unused and
		 * alive here.  A superblock not born yet has s_umount held for
		 * writing (from alloc_super() until vfs_get_tree() has set
		 * SB_BORN, or until it is killed).  s_root is cleared
		 * (shrink_dcache_for_umount()) and SB_DYING set
		 * (generic_shutdown_super()) under that lock, and before umount
		 * lets it go it has killed every unused dentry of the superblock,
		 * those on shrink lists too (select_collect2()); every dentry the
		 * layer makes is in the tree (d_alloc_name(), lookups).  One in
		 * use then survives (umount_check() reports it), but no reference
		 * to it can reach put() after umount: a DentryRef keeps its
		 * superblock active for its 'pin, a forgotten one is never put,
		 * and one given up with into_raw() goes back through C's dput().
		 * Kept for a kernel that could get there: such an entry is killed
		 * with the rest, never kept through dput().
		 */
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
