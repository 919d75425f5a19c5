/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between rust/dcache/ and glue.c.  Every declaration here has a
 * matching one in rust/dcache/glue.rs; keep the two in step.
 */
#ifndef RDCACHE_GLUE_H
#define RDCACHE_GLUE_H

#include <linux/types.h>

struct dentry;
struct fs_context;
struct inode;
struct list_head;
struct super_block;
struct vfsmount;

struct dentry *rdc_dget(struct dentry *dentry);
unsigned int rdc_d_count(const struct dentry *dentry);
struct inode *rdc_d_inode(const struct dentry *dentry);
bool rdc_d_unhashed(const struct dentry *dentry);
const unsigned char *rdc_d_name(const struct dentry *dentry, unsigned int *len);
bool rdc_d_on_shrink_list(const struct dentry *dentry);
bool rdc_d_on_lru(const struct dentry *dentry);
bool rdc_d_is_cursor(const struct dentry *dentry);
struct dentry *rdc_try_lookup(struct dentry *base, const char *name);
void rdc_d_lock(struct dentry *dentry);
void rdc_d_lock_nested(struct dentry *dentry);
void rdc_d_unlock(struct dentry *dentry);
struct dentry *rdc_d_first_child(struct dentry *parent);
struct dentry *rdc_d_next_sibling(struct dentry *child);
bool rdc_dput_to_list(struct dentry *dentry, struct list_head *list);
struct dentry *rdc_create_child(struct dentry *parent, const char *name, umode_t mode);

bool rdc_sb_try_activate(struct super_block *sb);

int rdc_init_fs_context(struct fs_context *fc);

struct vfsmount *rdc_kern_mount_by_name(const char *name);
struct super_block *rdc_mnt_sb(struct vfsmount *mnt);

#endif /* RDCACHE_GLUE_H */
