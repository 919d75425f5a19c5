// SPDX-License-Identifier: GPL-2.0
/*
 * rdcache_splat: a test-only module that makes the kernel splat on purpose,
 * so that the harness can prove each of its detectors fires.
 *
 *   insmod rdcache_splat.ko trigger=<warn|lockdep|kasan|sleep|hung|panic|wedge|leak|race>
 *
 * leak needs kmemleak on (and a scan) to be seen; race needs KCSAN.
 *
 * Never loaded outside the harness self-tests.  Each trigger leaves the kernel
 * tainted or its lock validator off, so the harness boots a fresh VM for each.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>

static char *trigger = "";
module_param(trigger, charp, 0444);
MODULE_PARM_DESC(trigger, "warn, lockdep, kasan, sleep, hung, panic, wedge, leak or race");

static unsigned int hung_ms = 8000;
module_param(hung_ms, uint, 0444);
MODULE_PARM_DESC(hung_ms, "how long the 'hung' thread sleeps uninterruptibly");

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static struct task_struct *hung_thread;
static struct task_struct *race_threads[2];
/* Written by both race threads without any synchronisation. */
static unsigned long racy_counter;

/* Take A then B, later B then A: lockdep reports the inversion at once. */
static void splat_lockdep(void)
{
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);

	spin_lock(&lock_b);
	spin_lock(&lock_a);
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
}

/* Read one byte past a 16-byte allocation. */
static void splat_kasan(void)
{
	char *p = kmalloc(16, GFP_KERNEL);

	if (!p)
		return;
	OPTIMIZER_HIDE_VAR(p);
	pr_info("read past the end: %d\n", ((volatile char *)p)[16]);
	kfree(p);
}

/* Sleep with a spinlock held. */
static void splat_sleep(void)
{
	spin_lock(&lock_a);
	msleep(1);
	spin_unlock(&lock_a);
}

static int hung_fn(void *unused)
{
	/* TASK_UNINTERRUPTIBLE for longer than hung_task_timeout_secs. */
	msleep(hung_ms);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/*
 * Lose the only pointers to 8 allocations of 3 pages: kmemleak's next scans
 * report them.  Page-sized, because small slab objects are easily kept
 * "referenced" by stale words in their neighbours (7.3 kmemleak's dump=
 * showed count = 1 for 32 of 32 such leaks); large kmalloc()s come from the
 * page allocator and have none.
 */
static void splat_leak(void)
{
	int i;

	for (i = 0; i < 8; i++)
		pr_info("leaked object %d at %p\n", i, kmalloc(3 * PAGE_SIZE, GFP_KERNEL));
}

/* Plain read-modify-write from two threads: a data race KCSAN reports. */
static int race_fn(void *unused)
{
	while (!kthread_should_stop()) {
		racy_counter++;
		cond_resched();
	}
	return 0;
}

/* Every CPU spins with interrupts off: the guest stops answering at all. */
static void wedge_fn(void *unused)
{
	for (;;)
		cpu_relax();
}

static int __init splat_init(void)
{
	pr_info("trigger=%s\n", trigger);

	if (!strcmp(trigger, "warn")) {
		WARN(1, "rdcache_splat: deliberate warning\n");
	} else if (!strcmp(trigger, "lockdep")) {
		splat_lockdep();
	} else if (!strcmp(trigger, "kasan")) {
		splat_kasan();
	} else if (!strcmp(trigger, "sleep")) {
		splat_sleep();
	} else if (!strcmp(trigger, "hung")) {
		hung_thread = kthread_run(hung_fn, NULL, "rdcache_hung");
		if (IS_ERR(hung_thread))
			return PTR_ERR(hung_thread);
	} else if (!strcmp(trigger, "wedge")) {
		on_each_cpu(wedge_fn, NULL, 0);
		wedge_fn(NULL);
	} else if (!strcmp(trigger, "leak")) {
		splat_leak();
	} else if (!strcmp(trigger, "race")) {
		int i;

		for (i = 0; i < 2; i++) {
			race_threads[i] = kthread_run(race_fn, NULL, "rdcache_race%d", i);
			if (IS_ERR(race_threads[i])) {
				int err = PTR_ERR(race_threads[i]);

				race_threads[i] = NULL;
				while (i--)
					kthread_stop(race_threads[i]);
				return err;
			}
		}
	} else if (!strcmp(trigger, "panic")) {
		panic("rdcache_splat: deliberate panic\n");
	} else {
		pr_err("unknown trigger '%s'\n", trigger);
		return -EINVAL;
	}
	return 0;
}

static void __exit splat_exit(void)
{
	int i;

	if (hung_thread)
		kthread_stop(hung_thread);
	for (i = 0; i < 2; i++)
		if (race_threads[i])
			kthread_stop(race_threads[i]);
}

module_init(splat_init);
module_exit(splat_exit);
MODULE_DESCRIPTION("rdcache harness self-test: deliberate kernel splats");
MODULE_LICENSE("GPL");
