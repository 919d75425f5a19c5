// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for rdcache's dcache layer.
 *
 * Only what the kernel's Rust bindings lack lives here: linux/fs_context.h is
 * not in the 7.3 bindings, so the fs_context plumbing is C.  Everything is
 * called from rust/dcache/ and nowhere else.
 */

#include <linux/fs.h>
#include <linux/fs_context.h>

#include "glue.h"

/* "rdcf" */
#define RDCACHEFS_MAGIC 0x72646366

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
