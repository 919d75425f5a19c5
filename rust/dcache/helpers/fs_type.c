// SPDX-License-Identifier: GPL-2.0

/*
 * Helpers for the Rust file system type, superblock and mount abstractions
 * (rust/kernel/fs/): the fs_context plumbing of a type registered from Rust
 * (linux/fs_context.h and linux/fs_parser.h are not in the bindings), and
 * accessors for what sits behind unions, macros or static inlines.
 */

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/mount.h>
#include <linux/slab.h>
#include <linux/uio.h>

/* ---- filesystem types: fs_context plumbing ------------------------------ */

/*
 * A filesystem type registered from Rust (fs_type.rs): its options are
 * unsigned integers parsed by fs_parse() against a spec built from their
 * names; everything else is a callback into the Rust side.
 */
#define RUST_FS_MAX_PARAMS 16

/* Mirrored by `RawFsOps` in fs_type.rs. */
struct rust_fs_ops {
	unsigned int nparams;
	const char *(*param_name)(unsigned int i);
	void *(*opts_alloc)(void);
	void (*opts_free)(void *opts);
	int (*set_param)(struct fs_context *fc, void *opts, unsigned int opt, u32 value);
	int (*validate)(struct fs_context *fc, void *opts);
	int (*fill_super)(struct super_block *sb, void *opts);
};

/* Mirrored by `RawFsType` in fs_type.rs: #[repr(C)], the same two fields. */
struct rust_fs_type {
	struct file_system_type fst;
	const struct rust_fs_ops *ops;
};

static inline struct vfsmount *rust_fs_kern_mount_type(struct file_system_type *type,
						       const char *data);

static int rust_fs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct rust_fs_type *t = container_of(fc->fs_type, struct rust_fs_type, fst);

	return t->ops->fill_super(sb, fc->fs_private);
}

static int rust_fs_get_tree(struct fs_context *fc)
{
	struct rust_fs_type *t = container_of(fc->fs_type, struct rust_fs_type, fst);
	int ret = t->ops->validate(fc, fc->fs_private);

	return ret ? ret : get_tree_nodev(fc, rust_fs_fill_super);
}

/*
 * One option, parsed by fs_parse() against a spec built here, on the stack,
 * from the type's option names: nothing outlives the call, so the type needs
 * no spec storage that would have to be freed while superblocks or
 * fs_contexts of it may still exist.
 */
static int rust_fs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct rust_fs_type *t = container_of(fc->fs_type, struct rust_fs_type, fst);
	struct fs_parameter_spec spec[RUST_FS_MAX_PARAMS + 1] = {};
	struct fs_parse_result result;
	unsigned int i, n = t->ops->nparams;
	int opt;

	if (WARN_ON_ONCE(n > RUST_FS_MAX_PARAMS))
		return -EINVAL;
	for (i = 0; i < n; i++)
		spec[i] = (struct fs_parameter_spec)__fsparam(fs_param_is_u32,
							      t->ops->param_name(i), i, 0,
							      (void *)10);
	opt = fs_parse(fc, spec, param, &result);
	if (opt < 0)
		return opt;
	return t->ops->set_param(fc, fc->fs_private, opt, result.uint_32);
}

static void rust_fs_free_fc(struct fs_context *fc)
{
	struct rust_fs_type *t = container_of(fc->fs_type, struct rust_fs_type, fst);

	if (fc->fs_private)
		t->ops->opts_free(fc->fs_private);
}

static const struct fs_context_operations rust_fs_context_ops = {
	.parse_param	= rust_fs_parse_param,
	.get_tree	= rust_fs_get_tree,
	.free		= rust_fs_free_fc,
};

static inline int rust_fs_init_fs_context(struct fs_context *fc)
{
	struct rust_fs_type *t = container_of(fc->fs_type, struct rust_fs_type, fst);

	fc->fs_private = t->ops->opts_alloc();
	if (!fc->fs_private)
		return -ENOMEM;
	fc->ops = &rust_fs_context_ops;
	return 0;
}

/*
 * Fill in the fs_context hook of @fst, the first field of a struct
 * rust_fs_type whose name, owner, kill_sb and ops the caller set.  At most
 * RUST_FS_MAX_PARAMS options.
 */
__rust_helper int rdc_fs_type_init(struct file_system_type *fst)
{
	struct rust_fs_type *t = container_of(fst, struct rust_fs_type, fst);

	if (t->ops->nparams > RUST_FS_MAX_PARAMS)
		return -EINVAL;
	t->fst.init_fs_context = rust_fs_init_fs_context;
	return 0;
}

/*
 * A mount of @type, which the caller registered, with the legacy option
 * string @data (NULL for none).  ENODEV unless @type is the one registered
 * under its name now (get_fs_type() finds it; its reference is held during
 * the mount).
 */
__rust_helper struct vfsmount *rdc_kern_mount_registered(struct file_system_type *type,
							 const char *data)
{
	struct file_system_type *found = get_fs_type(type->name);
	struct vfsmount *mnt;

	if (!found)
		return ERR_PTR(-ENODEV);
	mnt = found == type ? rust_fs_kern_mount_type(type, data) : ERR_PTR(-ENODEV);
	/* put_filesystem() is not exported; it is module_put() of the owner. */
	module_put(found->owner);
	return mnt;
}

/* Log @msg against the mount (dmesg, or the fsconfig() log) and return -EINVAL. */
__rust_helper int rdc_fc_invalf(struct fs_context *fc, const char *msg)
{
	return invalf(fc, "%s: %s", fc->fs_type->name, msg);
}

/* ---- filesystem types: VFS objects ------------------------------------- */

/* Emit "." and ".." (dir_emit_dots()), then tell whether @pos is past them. */
__rust_helper bool rdc_dir_emit_dots(struct file *file, struct dir_context *ctx)
{
	return dir_emit_dots(file, ctx);
}

__rust_helper bool rdc_dir_emit(struct dir_context *ctx, const char *name, int len, u64 ino,
				bool dir)
{
	return dir_emit(ctx, name, len, ino, dir ? DT_DIR : DT_REG);
}

__rust_helper loff_t rdc_dir_pos(const struct dir_context *ctx)
{
	return ctx->pos;
}

__rust_helper void rdc_dir_set_pos(struct dir_context *ctx, loff_t pos)
{
	ctx->pos = pos;
}

__rust_helper struct inode *rdc_file_inode(const struct file *file)
{
	return file_inode(file);
}

/* read_iter over a buffer of @len bytes: what simple_read_from_buffer() is for read(). */
__rust_helper ssize_t rdc_read_iter_buffer(struct kiocb *iocb, struct iov_iter *to,
					   const void *buf, size_t len)
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
 * A new inode on @sb for a lookup: number, mode, timestamps, the layer's
 * @private record (i_private, freed by the layer's ->evict_inode()), and the
 * given operations.
 */
__rust_helper struct inode *rdc_make_inode(struct super_block *sb, umode_t mode,
					   void *private, loff_t size,
					   const struct inode_operations *iops,
					   const struct file_operations *fops)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode->i_mode = mode;
	inode->i_private = private;
	inode->i_size = size;
	simple_inode_init_ts(inode);
	if (iops)
		inode->i_op = iops;
	if (fops)
		inode->i_fop = fops;
	set_nlink(inode, S_ISDIR(mode) ? 2 : 1);
	return inode;
}

__rust_helper void *rdc_inode_private(const struct inode *inode)
{
	return inode->i_private;
}

__rust_helper void rdc_inode_set_private(struct inode *inode, void *private)
{
	inode->i_private = private;
}

__rust_helper void rdc_d_set_fsdata(struct dentry *dentry, void *data)
{
	dentry->d_fsdata = data;
}

__rust_helper void *rdc_d_fsdata(const struct dentry *dentry)
{
	return dentry->d_fsdata;
}

__rust_helper void *rdc_sb_fs_info(const struct super_block *sb)
{
	return sb->s_fs_info;
}

/* Superblock set-up common to every Rust filesystem type. */
__rust_helper void rdc_sb_setup(struct super_block *sb, unsigned long magic, void *fs_info,
				const struct super_operations *sops,
				const struct dentry_operations *dops)
{
	sb->s_magic = magic;
	sb->s_fs_info = fs_info;
	sb->s_op = sops;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_time_gran = 1;
	set_default_d_op(sb, dops);
}

__rust_helper void rdc_evict_inode_common(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
}

/*
 * Superblocks: rdc_sb_try_activate() and rdc_sb_active_saturated() are in
 * helpers/dcache.c, beside the saturating counts they share.
 */

/* ---- internal mounts ---------------------------------------------------- */

/*
 * kern_mount() of @type, which the caller holds a reference to, with the
 * legacy option string @data (NULL for none).  With options it is
 * vfs_kern_mount(), which parses a copy (the parser writes into it);
 * kern_unmount() undoes either.
 */
static inline struct vfsmount *rust_fs_kern_mount_type(struct file_system_type *type,
						       const char *data)
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
__rust_helper struct vfsmount *rdc_kern_mount_by_name(const char *name, const char *data)
{
	struct file_system_type *type = get_fs_type(name);
	struct vfsmount *mnt;

	if (!type)
		return ERR_PTR(-ENODEV);
	mnt = rust_fs_kern_mount_type(type, data);
	/* put_filesystem() is not exported; it is module_put() of the owner. */
	module_put(type->owner);
	return mnt;
}

__rust_helper struct super_block *rdc_mnt_sb(struct vfsmount *mnt)
{
	return mnt->mnt_sb;
}
