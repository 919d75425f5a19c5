/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between rust/dcache/ and glue.c.  Every declaration here has a
 * matching one in rust/dcache/glue.rs; keep the two in step.
 */
#ifndef RDCACHE_GLUE_H
#define RDCACHE_GLUE_H

#include <linux/fs.h>
#include <linux/types.h>

struct dentry;
struct fs_context;
struct inode;
struct list_head;
struct super_block;
struct vfsmount;

struct dentry *rdc_dget(struct dentry *dentry);
int rdc_d_count(const struct dentry *dentry);
struct inode *rdc_d_inode(const struct dentry *dentry);
int rdc_d_mark_dontcache(struct dentry *dentry);
bool rdc_d_unhashed(const struct dentry *dentry);
const unsigned char *rdc_d_name(const struct dentry *dentry, unsigned int *len);
bool rdc_d_on_shrink_list(const struct dentry *dentry);
bool rdc_d_on_lru(const struct dentry *dentry);
bool rdc_d_is_cursor(const struct dentry *dentry);
struct dentry *rdc_try_lookup(struct dentry *base, const char *name);
struct dentry *rdc_lookup(struct dentry *base, const char *name);
void rdc_d_lock(struct dentry *dentry);
void rdc_d_lock_nested(struct dentry *dentry);
bool rdc_guard_lock(struct dentry *dentry);
void rdc_guard_unlock(struct dentry *dentry);
void rdc_d_unlock(struct dentry *dentry);
struct dentry *rdc_d_first_child(struct dentry *parent);
struct dentry *rdc_d_next_sibling(struct dentry *child);
/* What rdc_dput_to_list() did; mirrored by `PutResult` in rust/dcache/shrink_list.rs. */
enum {
	RDC_PUT_DROPPED = 0,
	RDC_PUT_CACHED = 1,
	RDC_PUT_DEFERRED = 2,
	RDC_PUT_LISTED = 3,
	RDC_PUT_OTHER_LIST = 4,
};

int rdc_dput_to_list(struct dentry *dentry, struct list_head *kill, struct list_head *keep);
size_t rdc_shrink_keep(struct list_head *keep);
void rdc_shrink_list_census(struct list_head *list, size_t *entries, size_t *husks,
			    size_t *in_use);
enum {
	RDC_DYING_ON_LIST = 1,
	RDC_DYING_WAITED = 2,
};
u32 rdc_dying_state(struct dentry *dentry);
pid_t rdc_current_pid(void);
struct dentry *rdc_create_child(struct dentry *parent, const char *name, umode_t mode);

bool rdc_sb_try_activate(struct super_block *sb);

/* Callbacks of a filesystem type registered from Rust (rust/dcache/fs.rs). */
#define RDC_MAX_PARAMS 16

struct rdc_fs_ops {
	unsigned int nparams;
	const char *(*param_name)(unsigned int i);
	void *(*opts_alloc)(void);
	void (*opts_free)(void *opts);
	int (*set_param)(struct fs_context *fc, void *opts, unsigned int opt, u32 value);
	int (*validate)(struct fs_context *fc, void *opts);
	int (*fill_super)(struct super_block *sb, void *opts);
};

/* Mirrored by `RdcFsType` in rust/dcache/fs.rs; the layout test checks it. */
struct rdc_fs_type {
	struct file_system_type fst;
	const struct rdc_fs_ops *ops;
};

int rdc_fs_type_init(struct rdc_fs_type *t);
struct vfsmount *rdc_kern_mount_registered(struct file_system_type *type, const char *data);
int rdc_fc_invalf(struct fs_context *fc, const char *msg);

struct dir_context;
struct file;
struct kiocb;
struct iov_iter;
struct inode_operations;
struct file_operations;
struct super_operations;
struct dentry_operations;

bool rdc_dir_emit_dots(struct file *file, struct dir_context *ctx);
bool rdc_dir_emit(struct dir_context *ctx, const char *name, int len, u64 ino, bool dir);
loff_t rdc_dir_pos(const struct dir_context *ctx);
void rdc_dir_set_pos(struct dir_context *ctx, loff_t pos);
struct inode *rdc_file_inode(const struct file *file);
ssize_t rdc_read_iter_buffer(struct kiocb *iocb, struct iov_iter *to, const void *buf, size_t len);
struct inode *rdc_new_inode(struct super_block *sb, umode_t mode, u64 private, u32 tag,
			    loff_t size, const struct inode_operations *iops,
			    const struct file_operations *fops);
u64 rdc_inode_private(const struct inode *inode);
u32 rdc_inode_tag(const struct inode *inode);
void rdc_d_set_fsdata(struct dentry *dentry, u64 word);
u64 rdc_d_fsdata(const struct dentry *dentry);
void *rdc_sb_fs_info(const struct super_block *sb);
void rdc_sb_setup(struct super_block *sb, unsigned long magic, void *fs_info,
		  const struct super_operations *sops, const struct dentry_operations *dops);
void rdc_evict_inode_common(struct inode *inode);

struct vfsmount *rdc_kern_mount_by_name(const char *name, const char *data);
struct super_block *rdc_mnt_sb(struct vfsmount *mnt);

struct workqueue_struct *rdc_alloc_workqueue(const char *name, unsigned int max_active);

void rdc_peer_dget_dput(struct dentry *dentry, u64 n);
void rdc_peer_dput_each(struct dentry **v, size_t n);

#endif /* RDCACHE_GLUE_H */
