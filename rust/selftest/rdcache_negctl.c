// SPDX-License-Identifier: GPL-2.0
/*
 * rdcache_negctl: the negative control.  Reproduces the failure Al Viro's
 * April 2019 mail describes, on purpose and on every run: a counted
 * reference to a parent dentry, held outside any superblock pin across
 * umount's ->kill_sb(), and dropped afterwards, so that the dentry's kill
 * (->d_iput(), ->d_release(), iput()) lands on a filesystem that is already
 * torn down.
 *
 *   insmod rdcache_negctl.ko path=/mnt/x/d0/d1   (takes a reference to d0)
 *   umount /mnt/x                                 (->kill_sb() runs to the end)
 *   echo 1 > /sys/module/rdcache_negctl/parameters/release
 *
 * The worker parks on a completion, not a sleep, until the release; it then
 * unhashes the parent and drops the reference, killing it as the seed's
 * shrink_dentry_list() did.  Expected every time: "BUG: Dentry ... still in
 * use", "VFS: Busy inodes after unmount", rdcache's "LATE CALLBACK" and
 * "INODE LEAK", and KASAN reports where the late path touches the freed
 * superblock.  The kernel is corrupted afterwards: the harness runs this in
 * a VM boot of its own.  It is C, not Rust, because it must break the rule
 * that rdcache's Rust types make impossible to break (a counted reference
 * outliving its superblock pin); it is never loaded outside that boot.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/dcache.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/path.h>

static char *path = "";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "a dentry inside an rdcachefs mount; its parent is held");

static DECLARE_COMPLETION(release_done);
static DECLARE_COMPLETION(released);
static struct dentry *held;
static struct task_struct *worker;

static int release_set(const char *val, const struct kernel_param *kp)
{
	complete(&release_done);
	return 0;
}

static const struct kernel_param_ops release_ops = {
	.set = release_set,
};
module_param_cb(release, &release_ops, NULL, 0200);
MODULE_PARM_DESC(release, "write anything once ->kill_sb() has finished: drop the reference");

static int dropped_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", completion_done(&released));
}

static const struct kernel_param_ops dropped_ops = {
	.get = dropped_get,
};
module_param_cb(dropped, &dropped_ops, NULL, 0444);
MODULE_PARM_DESC(dropped, "1 once the held reference was dropped");

static int negctl_worker(void *unused)
{
	/* The deterministic hook: parked until umount's ->kill_sb() is over. */
	wait_for_completion_killable(&release_done);
	pr_warn("dropping the reference to '%pd' after ->kill_sb()\n", held);
	/* Kill it on the last reference, as shrink_dentry_list() kills a parent. */
	d_drop(held);
	dput(held);
	held = NULL;
	complete(&released);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int __init negctl_init(void)
{
	struct path p;
	int err;

	err = kern_path(path, 0, &p);
	if (err) {
		pr_err("path '%s': error %d\n", path, err);
		return err;
	}
	held = dget_parent(p.dentry);
	path_put(&p);
	pr_warn("NEGATIVE CONTROL: holding a reference to '%pd' of %s across ->kill_sb(); "
		"the kernel will report busy dentries and inodes and may be corrupted\n",
		held, held->d_sb->s_type->name);
	worker = kthread_run(negctl_worker, NULL, "rdcache_negctl");
	if (IS_ERR(worker)) {
		dput(held);
		return PTR_ERR(worker);
	}
	return 0;
}

static void __exit negctl_exit(void)
{
	complete(&release_done);
	kthread_stop(worker);
}

module_init(negctl_init);
module_exit(negctl_exit);
MODULE_DESCRIPTION("rdcache negative control: a dentry reference held across ->kill_sb()");
MODULE_LICENSE("GPL");
