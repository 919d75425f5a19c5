// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for rdcache's dcache layer (rust/dcache/).
 *
 * Only what the kernel's Rust bindings lack lives here:
 *  - static inlines and macros of linux/dcache.h, linux/fs.h and
 *    linux/spinlock.h, which have no rust/helpers/ counterpart;
 *  - dput_to_list(), which fs/dcache.c keeps to itself (fs/internal.h);
 *  - the fs_context plumbing, since linux/fs_context.h is not in the bindings;
 *  - offsetof() values the layout tests compare with the bindings.
 * Everything is called from rust/dcache/ only; glue.h declares it.
 */

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/lockref.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>

#include "glue.h"

/* "rdcf" */
#define RDCACHEFS_MAGIC 0x72646366

/* ---- linux/dcache.h inlines ------------------------------------------- */

struct dentry *rdc_dget(struct dentry *dentry)
{
	return dget(dentry);
}

unsigned int rdc_d_count(const struct dentry *dentry)
{
	return d_count(dentry);
}

struct inode *rdc_d_inode(const struct dentry *dentry)
{
	return d_inode(dentry);
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

/* The cached child @name of @base with a reference, NULL, or an ERR_PTR. */
struct dentry *rdc_try_lookup(struct dentry *base, const char *name)
{
	return try_lookup_noperm(&QSTR(name), base);
}

void rdc_d_lock(struct dentry *dentry)
{
	spin_lock(&dentry->d_lock);
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
 * dput_to_list() for code outside fs/dcache.c (Al Viro, LKML, April 2019;
 * fs/dcache.c has its own since 5.3 but does not export it).
 *
 * Drops the caller's reference.  A reference that is not the last is just
 * dropped (locklessly where lockref can).  The last one leaves the dentry
 * unused, and instead of being killed here it is moved to @list, unless it
 * already sits on another shrink list, whose owner then deals with it.
 * Unlike dput(), retain_dentry() is not consulted (it is private to
 * fs/dcache.c): a dentry whose last reference goes this way is evicted by
 * the next shrink_dentry_list(@list), not kept on the LRU.
 *
 * Never sleeps: only d_lock is taken.  Returns true if @list took the dentry.
 */
bool rdc_dput_to_list(struct dentry *dentry, struct list_head *list)
{
	bool moved;

	if (lockref_put_or_lock(&dentry->d_lockref))
		return false;
	/* d_lock held; ours is the last reference. */
	if (WARN_ON_ONCE(dentry->d_lockref.count != 1)) {
		spin_unlock(&dentry->d_lock);
		return false;
	}
	dentry->d_lockref.count = 0;
	moved = __move_to_shrink_list(dentry, list);
	spin_unlock(&dentry->d_lock);
	return moved;
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

/* ---- fs_context -------------------------------------------------------- */

static int rdc_fill_super(struct super_block *sb, struct fs_context *fc)
{
	static const struct tree_descr no_files[] = { { "" } };

	return simple_fill_super(sb, RDCACHEFS_MAGIC, no_files);
}

static int rdc_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, rdc_fill_super);
}

static const struct fs_context_operations rdc_context_ops = {
	.get_tree = rdc_get_tree,
};

int rdc_init_fs_context(struct fs_context *fc)
{
	fc->ops = &rdc_context_ops;
	return 0;
}

/* ---- superblocks ------------------------------------------------------- */

/*
 * Take an active reference if @sb is set up and not being shut down.  The
 * caller guarantees @sb is not freed meanwhile.
 */
bool rdc_sb_try_activate(struct super_block *sb)
{
	if (!(READ_ONCE(sb->s_flags) & SB_BORN) || !READ_ONCE(sb->s_root))
		return false;
	return atomic_inc_not_zero(&sb->s_active);
}

/* ---- internal mounts ---------------------------------------------------- */

/* kern_mount() of the registered type called @name; drops the type reference. */
struct vfsmount *rdc_kern_mount_by_name(const char *name)
{
	struct file_system_type *type = get_fs_type(name);
	struct vfsmount *mnt;

	if (!type)
		return ERR_PTR(-ENODEV);
	mnt = kern_mount(type);
	/* put_filesystem() is not exported; it is module_put() of the owner. */
	module_put(type->owner);
	return mnt;
}

struct super_block *rdc_mnt_sb(struct vfsmount *mnt)
{
	return mnt->mnt_sb;
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
