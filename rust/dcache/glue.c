// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for rdcache's dcache layer (rust/dcache/).
 *
 * Only what the kernel's Rust bindings lack lives here:
 *  - static inlines and macros of linux/dcache.h, linux/fs.h and
 *    linux/spinlock.h, which have no rust/helpers/ counterpart;
 *  - dput_to_list(), which fs/dcache.c keeps to itself (fs/internal.h);
 *  - the fs_context plumbing and fs_parse() specs, since linux/fs_context.h
 *    and linux/fs_parser.h are not in the bindings;
 *  - small accessors for fields behind unions or macros (d_name, i_private,
 *    dir_context, kiocb), so the Rust side has one place for each;
 *  - offsetof() values the layout tests compare with the bindings.
 * Everything is called from rust/dcache/ only; glue.h declares it.
 */

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/lockref.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "glue.h"

/* ---- linux/dcache.h inlines ------------------------------------------- */

struct dentry *rdc_dget(struct dentry *dentry)
{
	return dget(dentry);
}

/* d_lockref.count: negative (-128) once the dentry is dead. */
int rdc_d_count(const struct dentry *dentry)
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
struct inode *rdc_d_inode(const struct dentry *dentry)
{
	return d_inode_rcu(dentry);
}

/* d_mark_dontcache() of a positive dentry's inode; -ENOENT for a negative one. */
int rdc_d_mark_dontcache(struct dentry *dentry)
{
	struct inode *inode = d_inode_rcu(dentry);

	if (!inode)
		return -ENOENT;
	d_mark_dontcache(inode);
	return 0;
}

bool rdc_d_unhashed(const struct dentry *dentry)
{
	return d_unhashed(dentry);
}

/* d_name; stable while the caller holds d_lock (or otherwise excludes renames). */
const unsigned char *rdc_d_name(const struct dentry *dentry, unsigned int *len)
{
	*len = dentry->d_name.len;
	return dentry->d_name.name;
}

bool rdc_d_on_shrink_list(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_flags) & DCACHE_SHRINK_LIST;
}

bool rdc_d_on_lru(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_flags) & DCACHE_LRU_LIST;
}

bool rdc_d_is_cursor(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_flags) & DCACHE_DENTRY_CURSOR;
}

/*
 * The child @name of @base with a reference, positive or negative, asking
 * the filesystem if it is not cached (lookup_noperm_unlocked()); or an
 * ERR_PTR.  May sleep.
 */
struct dentry *rdc_lookup(struct dentry *base, const char *name)
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
struct dentry *rdc_try_lookup(struct dentry *base, const char *name)
{
	if (!d_can_lookup(base))
		return ERR_PTR(-ENOTDIR);
	return try_lookup_noperm(&QSTR(name), base);
}

void rdc_d_lock(struct dentry *dentry)
{
	spin_lock(&dentry->d_lock);
}

/*
 * ChildrenGuards held on this CPU.  A guard holds a spinlock, so (without
 * PREEMPT_RT) its task is not preempted and stays on this CPU until it drops
 * the guard: a non-zero count here means the running task, or the one this
 * interrupt interrupted, holds one.  With PREEMPT_RT (d_lock sleeps, the task
 * only stays on its CPU) another task may find the count set and be refused
 * for nothing.
 */
static DEFINE_PER_CPU(unsigned int, rdc_guards);

/*
 * Lock @dentry's d_lock for a ChildrenGuard, unless this context holds a
 * guard already: two directories' d_locks would nest in one lock class
 * (lockdep's "possible recursive locking"), or invert d_walk()'s
 * parent-then-child order against shrink_dcache_parent() on another CPU.
 */
bool rdc_guard_lock(struct dentry *dentry)
{
	if (this_cpu_read(rdc_guards))
		return false;
	spin_lock(&dentry->d_lock);
	this_cpu_inc(rdc_guards);
	return true;
}

void rdc_guard_unlock(struct dentry *dentry)
{
	this_cpu_dec(rdc_guards);
	spin_unlock(&dentry->d_lock);
}

/* A child's d_lock, taken while its parent's d_lock is held. */
void rdc_d_lock_nested(struct dentry *dentry)
{
	spin_lock_nested(&dentry->d_lock, DENTRY_D_LOCK_NESTED);
}

void rdc_d_unlock(struct dentry *dentry)
{
	spin_unlock(&dentry->d_lock);
}

/* The first child on @parent's d_children, or NULL; caller holds parent's d_lock. */
struct dentry *rdc_d_first_child(struct dentry *parent)
{
	lockdep_assert_held(&parent->d_lock);
	return hlist_entry_safe(parent->d_children.first, struct dentry, d_sib);
}

/* The next sibling of @child, or NULL; caller holds the parent's d_lock. */
struct dentry *rdc_d_next_sibling(struct dentry *child)
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
static bool rdc_would_retain(struct dentry *dentry)
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
 * dput_to_list() for code outside fs/dcache.c: the seed's
 *	if (!fast_dput(dentry) && !retain_dentry(dentry)) __dput_to_list(dentry, list);
 * rebuilt from what 7.3 exports (fast_dput(), retain_dentry() and
 * d_lru_add() are private to fs/dcache.c).
 *
 * Drops the caller's reference.  Returns what became of the dentry:
 *  RDC_PUT_DROPPED	not the last reference: just dropped, locklessly where
 *			lockref can;
 *  RDC_PUT_CACHED	the last one, and dput() would keep the dentry: it was
 *			on the LRU already and is marked referenced, as
 *			retain_dentry() marks it;
 *  RDC_PUT_DEFERRED	the last one, dput() would keep it, but keeping it needs
 *			d_lru_add(): it goes onto @keep (unreferenced, like any
 *			shrink-list entry), and rdc_shrink_keep() puts it on the
 *			LRU later through dput() itself;
 *  RDC_PUT_LISTED	the last one, dput() would kill it: it goes onto @kill,
 *			and shrink_dentry_list(@kill) kills it;
 *  RDC_PUT_OTHER_LIST	the last one, but the dentry sits on a shrink list
 *			already (another thread's, or @keep after a lookup
 *			found a deferred entry again), whose shrink disposes
 *			of it, as the seed's dput_to_list() leaves it.
 *
 * Never sleeps where spinlocks do not: only spinlocks are taken (d_lock, the
 * LRU's lock in d_lru_del()), and ->d_delete() is called under d_lock exactly
 * as retain_dentry() calls it.
 */
int rdc_dput_to_list(struct dentry *dentry, struct list_head *kill, struct list_head *keep)
{
	int ret;

	if (lockref_put_or_lock(&dentry->d_lockref))
		return RDC_PUT_DROPPED;
	/* d_lock held and count <= 1; we own one, so it is exactly 1. */
	if (WARN_ON_ONCE(dentry->d_lockref.count != 1)) {
		spin_unlock(&dentry->d_lock);
		return RDC_PUT_DROPPED;
	}
	dentry->d_lockref.count = 0;
	if (dentry->d_flags & DCACHE_SHRINK_LIST) {
		/* Another thread's list: it kills the dentry whatever we decide. */
		ret = RDC_PUT_OTHER_LIST;
	} else if (!rdc_would_retain(dentry)) {
		ret = __move_to_shrink_list(dentry, kill) ? RDC_PUT_LISTED : RDC_PUT_OTHER_LIST;
	} else if (dentry->d_flags & DCACHE_LRU_LIST) {
		/* retain_dentry()'s own step for a dentry already on the LRU. */
		dentry->d_flags |= DCACHE_REFERENCED;
		ret = RDC_PUT_CACHED;
	} else {
		ret = __move_to_shrink_list(dentry, keep) ? RDC_PUT_DEFERRED : RDC_PUT_OTHER_LIST;
	}
	spin_unlock(&dentry->d_lock);
	return ret;
}

/*
 * The deferred step of rdc_dput_to_list(): dispose of every entry of @keep,
 * keeping cached what dput() keeps.  For each entry, under its d_lock:
 *  - a dead one (umount, or someone's shrink_dcache_parent(), is killing it
 *    or has killed it: lockref_is_dead(), set by dentry_kill() before it
 *    lets go of d_lock, fs/dcache.c:811-822) is only taken off the list; a
 *    husk (DCACHE_DENTRY_KILLED) is freed there, one still being killed is
 *    then freed by its killer, which sees it off every list;
 *  - a live one (unused, or in use again: a lookup found it) whose superblock
 *    can still be pinned (s_active not 0) gets a reference covered by that
 *    pin (dget_dlock()), is taken off the list, and goes through dput(),
 *    which keeps it on the LRU, kills it, or (in use) just drops our count,
 *    as it decides now; then the pin is dropped (deactivate_super(), which
 *    runs ->kill_sb() if it was the last);
 *  - a live one whose superblock is being shut down is killed with the
 *    others left so, as umount would kill it.
 * Taking an entry off the list is shrink_dentry_list() of a one-entry list:
 * it unlinks the entry (d_shrink_del()), frees a husk, and leaves alone a
 * dentry in use or dead (lock_for_kill() refuses a non-zero count,
 * fs/dcache.c:737-743).  Every live entry is handled the same way, so none is
 * killed that its user's dput() would have kept.  The superblock is not
 * freed under us: the entry is alive and not dead while we hold its d_lock,
 * and umount kills every dentry (under its d_lock) before
 * generic_shutdown_super() returns.  Returns how many entries went through
 * dput().  May sleep.
 */
size_t rdc_shrink_keep(struct list_head *keep)
{
	size_t kept = 0;
	LIST_HEAD(kill);

	might_sleep();
	while (!list_empty(keep)) {
		struct dentry *dentry = list_last_entry(keep, struct dentry, d_lru);
		struct super_block *sb = NULL;
		LIST_HEAD(one);

		spin_lock(&dentry->d_lock);
		if (!lockref_is_dead(&dentry->d_lockref)) {
			if (!atomic_inc_not_zero(&dentry->d_sb->s_active)) {
				list_move(&dentry->d_lru, &kill);
				spin_unlock(&dentry->d_lock);
				continue;
			}
			sb = dentry->d_sb;
			dget_dlock(dentry);
		}
		list_move(&dentry->d_lru, &one);
		spin_unlock(&dentry->d_lock);
		shrink_dentry_list(&one);
		if (sb) {
			dput(dentry);
			deactivate_super(sb);
			kept++;
		}
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
void rdc_shrink_list_census(struct list_head *list, size_t *entries, size_t *husks,
			    size_t *in_use)
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
 * RDC_DYING_ON_LIST: the dentry sits on a shrink list (DCACHE_SHRINK_LIST).
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
 * RDC_DYING_WAITED: a task found the dentry dying and sleeps until
 * dentry_unlist() completes its waiter: shrink_dcache_tree()
 * (d_add_waiter(), fs/dcache.c:1763-1770), or shrink_dcache_for_umount()'s
 * loop over secondary roots (1846-1851).  ->waiters shares a union with
 * ->d_alias (include/linux/dcache.h:127-140) and is the member in use once
 * the dentry is negative: dentry_unlink_inode() removed the alias and set
 * ->waiters to NULL (fs/dcache.c:476-481) before ->d_iput() and
 * ->d_release(); from then on only d_add_waiter() and d_complete_waiters()
 * write it, under d_lock.  Waiters added after this read are not seen.
 */
u32 rdc_dying_state(struct dentry *dentry)
{
	u32 state = 0;

	spin_lock(&dentry->d_lock);
	if (dentry->d_flags & DCACHE_SHRINK_LIST)
		state |= RDC_DYING_ON_LIST;
	if (dentry->waiters)
		state |= RDC_DYING_WAITED;
	spin_unlock(&dentry->d_lock);
	return state;
}

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

/* ---- creating entries, as simple_fill_super() does -------------------- */

/*
 * Create @name under @parent with a new inode of @mode (S_IFDIR or S_IFREG),
 * under the parent directory's inode lock.  Returns the new dentry with one
 * reference, ERR_PTR(-EEXIST) if @name is in the dcache already, or another
 * ERR_PTR.  May sleep.
 */
struct dentry *rdc_create_child(struct dentry *parent, const char *name, umode_t mode)
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

/* ---- filesystem types: fs_context plumbing ------------------------------ */

static struct vfsmount *rdc_kern_mount_type(struct file_system_type *type, const char *data);

/*
 * A filesystem type registered from Rust (rust/dcache/fs.rs): its options are
 * unsigned integers parsed by fs_parse() against a spec built from their
 * names; everything else is a callback into the Rust side.
 */

static int rdc_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct rdc_fs_type *t = container_of(fc->fs_type, struct rdc_fs_type, fst);

	return t->ops->fill_super(sb, fc->fs_private);
}

static int rdc_get_tree(struct fs_context *fc)
{
	struct rdc_fs_type *t = container_of(fc->fs_type, struct rdc_fs_type, fst);
	int ret = t->ops->validate(fc, fc->fs_private);

	return ret ? ret : get_tree_nodev(fc, rdc_fill_super);
}

/*
 * One option, parsed by fs_parse() against a spec built here, on the stack,
 * from the type's option names: nothing outlives the call, so the type needs
 * no spec storage that would have to be freed while superblocks or
 * fs_contexts of it may still exist.
 */
static int rdc_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct rdc_fs_type *t = container_of(fc->fs_type, struct rdc_fs_type, fst);
	struct fs_parameter_spec spec[RDC_MAX_PARAMS + 1] = {};
	struct fs_parse_result result;
	unsigned int i, n = t->ops->nparams;
	int opt;

	if (WARN_ON_ONCE(n > RDC_MAX_PARAMS))
		return -EINVAL;
	for (i = 0; i < n; i++)
		spec[i] = (struct fs_parameter_spec)__fsparam(fs_param_is_u32, t->ops->param_name(i),
							      i, 0, (void *)10);
	opt = fs_parse(fc, spec, param, &result);
	if (opt < 0)
		return opt;
	return t->ops->set_param(fc, fc->fs_private, opt, result.uint_32);
}

static void rdc_free_fc(struct fs_context *fc)
{
	struct rdc_fs_type *t = container_of(fc->fs_type, struct rdc_fs_type, fst);

	if (fc->fs_private)
		t->ops->opts_free(fc->fs_private);
}

static const struct fs_context_operations rdc_context_ops = {
	.parse_param	= rdc_parse_param,
	.get_tree	= rdc_get_tree,
	.free		= rdc_free_fc,
};

static int rdc_init_fs_context(struct fs_context *fc)
{
	struct rdc_fs_type *t = container_of(fc->fs_type, struct rdc_fs_type, fst);

	fc->fs_private = t->ops->opts_alloc();
	if (!fc->fs_private)
		return -ENOMEM;
	fc->ops = &rdc_context_ops;
	return 0;
}

/*
 * Fill in the fs_context hook of @t, whose name, owner, kill_sb and ops the
 * caller set.  At most RDC_MAX_PARAMS options.
 */
int rdc_fs_type_init(struct rdc_fs_type *t)
{
	if (t->ops->nparams > RDC_MAX_PARAMS)
		return -EINVAL;
	t->fst.init_fs_context = rdc_init_fs_context;
	return 0;
}

/*
 * A mount of @type, which the caller registered, with the legacy option
 * string @data (NULL for none).  ENODEV unless @type is the one registered
 * under its name now (get_fs_type() finds it; its reference is held during
 * the mount).
 */
struct vfsmount *rdc_kern_mount_registered(struct file_system_type *type, const char *data)
{
	struct file_system_type *found = get_fs_type(type->name);
	struct vfsmount *mnt;

	if (!found)
		return ERR_PTR(-ENODEV);
	mnt = found == type ? rdc_kern_mount_type(type, data) : ERR_PTR(-ENODEV);
	/* put_filesystem() is not exported; it is module_put() of the owner. */
	module_put(found->owner);
	return mnt;
}

/* Log @msg against the mount (dmesg, or the fsconfig() log) and return -EINVAL. */
int rdc_fc_invalf(struct fs_context *fc, const char *msg)
{
	return invalf(fc, "%s: %s", fc->fs_type->name, msg);
}

/* ---- filesystem types: VFS objects ------------------------------------- */

/* Emit "." and ".." (dir_emit_dots()), then tell whether @pos is past them. */
bool rdc_dir_emit_dots(struct file *file, struct dir_context *ctx)
{
	return dir_emit_dots(file, ctx);
}

bool rdc_dir_emit(struct dir_context *ctx, const char *name, int len, u64 ino, bool dir)
{
	return dir_emit(ctx, name, len, ino, dir ? DT_DIR : DT_REG);
}

loff_t rdc_dir_pos(const struct dir_context *ctx)
{
	return ctx->pos;
}

void rdc_dir_set_pos(struct dir_context *ctx, loff_t pos)
{
	ctx->pos = pos;
}

struct inode *rdc_file_inode(const struct file *file)
{
	return file_inode(file);
}

/* read_iter over a buffer of @len bytes: what simple_read_from_buffer() is for read(). */
ssize_t rdc_read_iter_buffer(struct kiocb *iocb, struct iov_iter *to, const void *buf, size_t len)
{
	loff_t pos = iocb->ki_pos;
	size_t n;

	if (!iov_iter_count(to))
		return 0;
	if (pos < 0)
		return -EINVAL;
	if (pos >= len)
		return 0;
	n = copy_to_iter(buf + pos, len - pos, to);
	if (!n)
		return -EFAULT;
	iocb->ki_pos = pos + n;
	return n;
}

/*
 * A new inode on @sb for a lookup: number, mode, timestamps, the filesystem's
 * @private word and @tag (kept in i_private / i_generation, so callbacks can
 * read them without touching the superblock), and the given operations.
 */
struct inode *rdc_new_inode(struct super_block *sb, umode_t mode, u64 private, u32 tag,
			    loff_t size, const struct inode_operations *iops,
			    const struct file_operations *fops)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode->i_mode = mode;
	inode->i_private = (void *)(uintptr_t)private;
	inode->i_generation = tag;
	inode->i_size = size;
	simple_inode_init_ts(inode);
	if (iops)
		inode->i_op = iops;
	if (fops)
		inode->i_fop = fops;
	set_nlink(inode, S_ISDIR(mode) ? 2 : 1);
	return inode;
}

u64 rdc_inode_private(const struct inode *inode)
{
	return (uintptr_t)inode->i_private;
}

u32 rdc_inode_tag(const struct inode *inode)
{
	return inode->i_generation;
}

void rdc_d_set_fsdata(struct dentry *dentry, u64 word)
{
	dentry->d_fsdata = (void *)(uintptr_t)word;
}

u64 rdc_d_fsdata(const struct dentry *dentry)
{
	return (uintptr_t)dentry->d_fsdata;
}

void *rdc_sb_fs_info(const struct super_block *sb)
{
	return sb->s_fs_info;
}

/* Superblock set-up common to every Rust filesystem type. */
void rdc_sb_setup(struct super_block *sb, unsigned long magic, void *fs_info,
		  const struct super_operations *sops, const struct dentry_operations *dops)
{
	sb->s_magic = magic;
	sb->s_fs_info = fs_info;
	sb->s_op = sops;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_time_gran = 1;
	set_default_d_op(sb, dops);
}

void rdc_evict_inode_common(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
}

/* ---- superblocks ------------------------------------------------------- */

/*
 * Take an active reference if @sb is set up and not being shut down.  The
 * caller guarantees @sb is not freed meanwhile.
 */
bool rdc_sb_try_activate(struct super_block *sb)
{
	/*
	 * SB_BORN is set by super_wake() with smp_store_release() after
	 * fill_super set s_root (fs/super.c:154-165, 1949-1955); the acquire
	 * pairs with it, as super_flags() does (fs/super.c:91-94).
	 */
	if (!(smp_load_acquire(&sb->s_flags) & SB_BORN) || !READ_ONCE(sb->s_root))
		return false;
	return atomic_inc_not_zero(&sb->s_active);
}

/* ---- internal mounts ---------------------------------------------------- */

/*
 * kern_mount() of @type, which the caller holds a reference to, with the
 * legacy option string @data (NULL for none).  With options it is
 * vfs_kern_mount(), which parses a copy (the parser writes into it);
 * kern_unmount() undoes either.
 */
static struct vfsmount *rdc_kern_mount_type(struct file_system_type *type, const char *data)
{
	struct vfsmount *mnt;
	char *copy;

	if (!data)
		return kern_mount(type);
	copy = kstrdup(data, GFP_KERNEL);
	mnt = copy ? vfs_kern_mount(type, SB_KERNMOUNT, type->name, copy) : ERR_PTR(-ENOMEM);
	kfree(copy);
	return mnt;
}

/* kern_mount() of the registered type called @name (see above). */
struct vfsmount *rdc_kern_mount_by_name(const char *name, const char *data)
{
	struct file_system_type *type = get_fs_type(name);
	struct vfsmount *mnt;

	if (!type)
		return ERR_PTR(-ENODEV);
	mnt = rdc_kern_mount_type(type, data);
	/* put_filesystem() is not exported; it is module_put() of the owner. */
	module_put(type->owner);
	return mnt;
}

struct super_block *rdc_mnt_sb(struct vfsmount *mnt)
{
	return mnt->mnt_sb;
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
const size_t rdc_sizeof_rdc_fs_type = sizeof(struct rdc_fs_type);
RDC_OFFSET(rdc_fs_type, ops);
const int rdc_put_values[5] = {
	RDC_PUT_DROPPED, RDC_PUT_CACHED, RDC_PUT_DEFERRED, RDC_PUT_LISTED, RDC_PUT_OTHER_LIST,
};
const u32 rdc_dying_values[2] = { RDC_DYING_ON_LIST, RDC_DYING_WAITED };
