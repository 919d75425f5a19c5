// SPDX-License-Identifier: GPL-2.0
/*
 * rdcache_splat: a test-only module that makes the kernel splat on purpose,
 * so that the harness can prove that each of its detectors fires.
 *
 *   insmod rdcache_splat.ko trigger=<name> [hung_ms=N] [stall_ms=N] [flood_lines=N]
 *
 * Each trigger, and the 7.3 report it must produce (the format string, and
 * where it is printed in the 7.3.4 tree):
 *
 *   warn               WARNING: %s:%d at %pS, CPU#%d: %s/%d     kernel/panic.c __warn()
 *   lockdep            WARNING: possible circular locking dependency detected
 *                                           kernel/locking/lockdep.c print_circular_bug_header()
 *   lockdep-irq        WARNING: %s-safe -> %s-unsafe lock order detected (SOFTIRQ)
 *                                           kernel/locking/lockdep.c print_bad_irq_dependency()
 *   lockdep-nest       WARNING: Nested lock was not taken
 *                                           kernel/locking/lockdep.c
 *                                           print_lock_nested_lock_not_held()
 *   lockdep-held-exit  WARNING: %s/%d still has locks held!
 *                                           kernel/locking/lockdep.c print_held_locks_bug(), from
 *                                           debug_check_no_locks_held() in kernel/exit.c do_exit()
 *   lockdep-nonstatic  INFO: trying to register non-static key.
 *                      turning off the locking correctness validator.
 *                                           kernel/locking/lockdep.c assign_lock_key()
 *   lockdep-max        BUG: MAX_LOCKDEP_KEYS too low!
 *                      turning off the locking correctness validator.
 *                                           kernel/locking/lockdep.c register_lock_class(),
 *                                           print_lockdep_off()
 *   spinlock           BUG: spinlock %s on CPU#%d, %s/%d ("bad magic")
 *                                           kernel/locking/spinlock_debug.c spin_dump()
 *   kasan              BUG: KASAN: %s in %pS  mm/kasan/report.c print_error_description()
 *   sleep              BUG: scheduling while atomic: %s/%d/0x%08x
 *                                           kernel/sched/core.c __schedule_bug()
 *   might-sleep        BUG: sleeping function called from invalid context at %s:%d
 *                                           kernel/sched/core.c __might_resched()
 *                      BUG: assuming atomic context at %s:%d       __cant_sleep()
 *                      BUG: scheduling in a non-blocking section: %s/%d/%i
 *                                                                  schedule_debug()
 *                      do not call blocking ops when !TASK_RUNNING; state=%x set at ...
 *                                                                  __might_sleep()
 *   rcu                WARNING: suspicious RCU usage
 *                                           kernel/locking/lockdep.c lockdep_rcu_suspicious()
 *   hung               INFO: task %s:%d blocked%s for more than %ld seconds.
 *                                           kernel/hung_task.c hung_task_info()
 *   hung-io            the same with %s = " in I/O wait" (t->in_iowait)
 *   refcount           refcount_t: underflow; use-after-free.
 *                                           lib/refcount.c refcount_warn_saturate()
 *   list               list_add double add: new=%px, prev=%px, next=%px.
 *                      list_del corruption, %px->next is LIST_POISON1 (%px)
 *                                           lib/list_debug.c __list_add_valid_or_report(),
 *                                           __list_del_entry_valid_or_report() (WARNs:
 *                                           BUG_ON_DATA_CORRUPTION=n)
 *   ubsan              UBSAN: %s in %s:%d:%d (array-index-out-of-bounds), then
 *                      index %s is out of range for type %s
 *                                           lib/ubsan.c __ubsan_handle_out_of_bounds()
 *   ubsan-shift        UBSAN: %s in %s:%d:%d (shift-out-of-bounds), then
 *                      shift exponent %s is too large for %u-bit type %s
 *                                           lib/ubsan.c __ubsan_handle_shift_out_of_bounds()
 *   rcu-stall          rcu: INFO: %s self-detected stall on CPU (rcu_preempt)
 *                                           kernel/rcu/tree_stall.h print_cpu_stall()
 *   rcu-exp-stall      rcu: INFO: %s detected expedited stalls on CPUs/tasks: {
 *                                           kernel/rcu/tree_exp.h synchronize_rcu_expedited_stall()
 *   softlockup         BUG: soft lockup - CPU#%d stuck for %us! [%s:%d] ("watchdog: ")
 *                                           kernel/watchdog.c watchdog_timer_fn()
 *   odebug             ODEBUG: %s %s (active state %u) object: %p object type: %s hint: %pS
 *                      ("activate active", rcu_head), lib/debugobjects.c debug_print_object();
 *                      rcu: %s(): Double-freed CB %p->%pS()!!!
 *                                           kernel/rcu/tree.c __call_rcu_common()
 *   slab               BUG %s (%s): %pV ("Objects remaining on __kmem_cache_shutdown()")
 *                                           mm/slub.c __slab_bug() from list_slab_objects();
 *                      %s %s: Slab cache still has objects when called from %pS
 *                                           mm/slab_common.c kmem_cache_destroy()
 *   flood              ** %lu printk messages dropped **
 *                                           kernel/printk/printk.c console_prepend_dropped(),
 *                                           from kernel/printk/nbcon.c nbcon_emit_next_record()
 *   bug                kernel BUG at %s:%u!      lib/bug.c __report_bug(), then
 *                      Oops: %s: %04lx [#%d]... ("invalid opcode")
 *                                           arch/x86/kernel/dumpstack.c __die_header()
 *   lockdep-recursive, lockdep-inconsistent, lockdep-unbalanced, lockdep-freed,
 *   lockdep-user-return, lockdep-wait-context, lockdep-subclass, lockdep-key
 *                      the other lockdep headers of kernel/locking/lockdep.c
 *                      (see each function below)
 *   rcu-stall-irqsoff  rcu: INFO: %s detected stalls on CPUs/tasks:
 *                                           kernel/rcu/tree_stall.h print_other_cpu_stall()
 *   odebug-stack       ODEBUG: object %p is on stack %p, but NOT annotated.
 *                                           lib/debugobjects.c debug_object_is_on_stack()
 *   delayed-warn       WARNING: ... (as warn), delay_ms after insmod, from a work item
 *   null-deref         BUG: kernel NULL pointer dereference, address: %px
 *                                           arch/x86/mm/fault.c show_fault_oops(), then
 *                      Oops: %s: ... ("Oops")   arch/x86/kernel/dumpstack.c __die_header()
 *   gpf                Oops: general protection fault, probably for non-canonical address ...
 *                                           arch/x86/kernel/traps.c exc_general_protection(),
 *                      KASAN: null-ptr-deref in range [0x%016lx-0x%016lx]
 *                                           mm/kasan/report.c kasan_non_canonical_hook()
 *   panic              Kernel panic - not syncing: %s   kernel/panic.c vpanic()
 *   leak               unreferenced object%s 0x%08lx (size %zu):   mm/kmemleak.c
 *   race               BUG: KCSAN: %s in %ps / %ps   kernel/kcsan/report.c print_report()
 *   wedge              nothing: every CPU stops answering (the harness's own timeout)
 *
 * Boots:
 *   - A lockdep report switches lockdep off for the rest of the boot (every
 *     report calls debug_locks_off()), and so do spinlock (spin_bug()) and
 *     kasan (add_taint(LOCKDEP_NOW_UNRELIABLE)): lockdep, lockdep-irq,
 *     lockdep-nest, lockdep-held-exit, lockdep-nonstatic, lockdep-max and
 *     spinlock each need a boot in which nothing has switched lockdep off
 *     yet, i.e. a boot of their own or the first of these in it.
 *   - rcu needs lockdep on too (PROVE_RCU checks only while debug_locks is
 *     set), but leaves it on; it reports once per module load.
 *   - bug, null-deref and gpf Oops a kthread of the module (insmod itself
 *     survives): the kernel is tainted D and lockdep is off from then on, and
 *     the hung-task detector stops looking (it skips a kernel with TAINT_DIE):
 *     a boot of their own, or last.
 *   - panic and wedge end the boot.
 *   - refcount reports once per boot (WARN_ONCE), so does might-sleep's last
 *     check; debugobjects prints at most 5 reports per boot and odebug uses 2.
 *   - rcu-stall and rcu-exp-stall need 2 or more CPUs and the stall timeouts
 *     lowered first, softlockup a watchdog_thresh of 1 s (harness/splat.sh
 *     does both); softlockup taints the kernel L.  flood overwrites the log
 *     buffer and leaves the console a backlog, so it goes last in its boot.
 *   - leak needs kmemleak on (and a scan) to be seen; race needs KCSAN.
 *   - lockdep-max leaks its keys on purpose (see splat_lockdep_max()).
 *
 * Never loaded outside the harness self-tests.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nmi.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

static char *trigger = "";
module_param(trigger, charp, 0444);
MODULE_PARM_DESC(trigger, "which splat: see the list at the top of rdcache_splat.c");

static unsigned int hung_ms = 8000;
module_param(hung_ms, uint, 0444);
MODULE_PARM_DESC(hung_ms, "how long the 'hung' and 'hung-io' threads sleep uninterruptibly");

static unsigned int stall_ms = 12000;
module_param(stall_ms, uint, 0444);
MODULE_PARM_DESC(stall_ms, "how long 'rcu-stall' and 'rcu-exp-stall' spin non-preemptibly");

static unsigned int flood_lines = 200000;
module_param(flood_lines, uint, 0444);
MODULE_PARM_DESC(flood_lines, "how many lines 'flood' prints");

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

/*
 * lockdep-irq: irq_safe is taken in a timer callback (softirq context), so
 * it becomes SOFTIRQ-safe; irq_unsafe is taken with softirqs enabled, so it
 * becomes SOFTIRQ-unsafe.  Then irq_unsafe is taken while irq_safe is held: a
 * softirq on this CPU could now wait for irq_safe while irq_unsafe's holder
 * is interrupted, and lockdep says "SOFTIRQ-safe -> SOFTIRQ-unsafe lock order
 * detected" when it sees the new dependency.
 */
static DEFINE_SPINLOCK(irq_safe);
static DEFINE_SPINLOCK(irq_unsafe);

/*
 * Take @l once in softirq context (a timer callback) and wait until that is
 * done and the timer is gone: lockdep then knows @l as SOFTIRQ-safe.  One
 * trigger per insmod, so one timer does.
 */
static spinlock_t *softirq_lock;
static struct timer_list softirq_timer;
static DECLARE_COMPLETION(softirq_done);

static void softirq_timer_fn(struct timer_list *unused)
{
	spin_lock(softirq_lock);
	spin_unlock(softirq_lock);
	complete(&softirq_done);
}

static void lock_in_softirq(spinlock_t *l)
{
	softirq_lock = l;
	timer_setup(&softirq_timer, softirq_timer_fn, 0);
	mod_timer(&softirq_timer, jiffies + 1);
	wait_for_completion(&softirq_done);
	timer_delete_sync(&softirq_timer);
}

static void splat_lockdep_irq(void)
{
	lock_in_softirq(&irq_safe);

	spin_lock(&irq_unsafe);
	spin_unlock(&irq_unsafe);

	spin_lock_bh(&irq_safe);
	spin_lock(&irq_unsafe);
	spin_unlock(&irq_unsafe);
	spin_unlock_bh(&irq_safe);
}

/*
 * lockdep-nest: spin_lock_nest_lock() promises that nest_outer is held (the
 * annotation for taking many locks of one class under one outer lock); it is
 * not, and __lock_acquire() says "Nested lock was not taken".
 */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
static DEFINE_MUTEX(nest_outer);
static DEFINE_SPINLOCK(nest_inner);

static void splat_lockdep_nest(void)
{
	spin_lock_nest_lock(&nest_inner, &nest_outer);
	spin_unlock(&nest_inner);
}
#else
/* Without lockdep, spin_lock_nest_lock() does not even look at nest_outer. */
static void splat_lockdep_nest(void)
{
	pr_err("lockdep-nest: needs CONFIG_DEBUG_LOCK_ALLOC\n");
}
#endif

/*
 * Run @fn in a kthread and wait until that thread is dead, for the triggers
 * whose report the thread prints on its way out (do_exit()'s lock check, an
 * Oops): the report is then in the log when insmod returns, and the thread
 * has left the module's code (TASK_DEAD comes after both) before rmmod can
 * free it.
 */
static int run_until_dead(int (*fn)(void *), const char *name)
{
	struct task_struct *t = kthread_create(fn, NULL, "%s", name);
	int i;

	if (IS_ERR(t))
		return PTR_ERR(t);
	get_task_struct(t);
	wake_up_process(t);
	for (i = 0; i < 1000 && READ_ONCE(t->__state) != TASK_DEAD; i++)
		msleep(10);
	if (READ_ONCE(t->__state) != TASK_DEAD) {
		/* It may still run our code: never let rmmod free it (rmmod fails, visibly). */
		pr_err("%s: thread not dead after 10 s; the module stays loaded\n", name);
		__module_get(THIS_MODULE);
	}
	put_task_struct(t);
	return 0;
}

/*
 * lockdep-held-exit: a kthread takes held_mutex and exits with it; do_exit()
 * calls debug_check_no_locks_held(), which says "<comm>/<pid> still has locks
 * held!".  held_mutex stays "held" by the dead thread; nothing takes it again.
 */
static DEFINE_MUTEX(held_mutex);

static int held_fn(void *unused)
{
	mutex_lock(&held_mutex);
	return 0;
}

/*
 * lockdep-nonstatic: a spinlock in kzalloc()ed memory that spin_lock_init()
 * never saw has no lockdep key, and its address is not static:
 * assign_lock_key() says "trying to register non-static key" and turns
 * lockdep off.  kzalloc(), not kmalloc(): zeroed memory is an unlocked
 * qspinlock (stale bytes could read as "locked" and hang here).  Its bad
 * DEBUG_SPINLOCK magic is then reported by nobody (spin_bug() stays silent
 * once debug_locks is off), and the lock/unlock pair itself works.
 */
static void splat_lockdep_nonstatic(void)
{
	spinlock_t *l = kzalloc(sizeof(*l), GFP_KERNEL);

	if (!l)
		return;
	spin_lock(l);
	spin_unlock(l);
	kfree(l);
}

/*
 * lockdep-max: register and use one new lock class after another until
 * lockdep runs out of classes (MAX_LOCKDEP_KEYS, 8192) and switches itself
 * off: "BUG: MAX_LOCKDEP_KEYS too low!".  The keys stay registered and their
 * memory is leaked on purpose: unregistering one costs a synchronize_rcu(),
 * thousands of them minutes; the name is kstrdup()ed, as the classes keep a
 * pointer to it after the module is gone.
 */
struct max_lock {
	struct lock_class_key key;
	struct lockdep_map map;
};

static void splat_lockdep_max(void)
{
	unsigned int i, n = 9000;
	struct max_lock *locks = kvcalloc(n, sizeof(*locks), GFP_KERNEL);
	const char *name = kstrdup("rdcache_splat_max", GFP_KERNEL);

	if (!locks || !name) {
		kvfree(locks);
		kfree(name);
		return;
	}
	for (i = 0; i < n && debug_locks; i++) {
		lockdep_register_key(&locks[i].key);
		lockdep_init_map(&locks[i].map, name, &locks[i].key, 0);
		lock_map_acquire(&locks[i].map);
		lock_map_release(&locks[i].map);
	}
	pr_info("lockdep-max: %u classes registered, lockdep %s\n", i, debug_locks ? "still on" : "off");
}

/*
 * spinlock: a stray write over a spinlock's DEBUG_SPINLOCK magic; the next
 * spin_lock() says "BUG: spinlock bad magic" (and turns lockdep off, through
 * debug_locks_off()).  The lock still works.
 */
static void splat_spinlock(void)
{
	spinlock_t *l = kzalloc(sizeof(*l), GFP_KERNEL);

	if (!l)
		return;
	spin_lock_init(l);
#ifdef CONFIG_DEBUG_SPINLOCK
	l->rlock.magic = 0;
#else
	pr_err("spinlock: needs CONFIG_DEBUG_SPINLOCK\n");
#endif
	spin_lock(l);
	spin_unlock(l);
	kfree(l);
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

/*
 * might-sleep: DEBUG_ATOMIC_SLEEP's four other reports, each from a wrong
 * context that is harmless here (nothing sleeps where it must not):
 * might_sleep() with preemption disabled, "sleeping function called from
 * invalid context" (__might_resched()); cant_sleep() where sleeping is fine,
 * "assuming atomic context" (__cant_sleep()); a sleep between
 * non_block_start() and non_block_end(), "scheduling in a non-blocking
 * section" (schedule_debug()); might_sleep() while not TASK_RUNNING, "do not
 * call blocking ops when !TASK_RUNNING" (__might_sleep(), WARN_ONCE).
 */
static void splat_might_sleep(void)
{
	preempt_disable();
	might_sleep();
	preempt_enable();

	cant_sleep();

	non_block_start();
	msleep(1);
	non_block_end();

	set_current_state(TASK_UNINTERRUPTIBLE);
	might_sleep();
	__set_current_state(TASK_RUNNING);
}

/*
 * rcu: rcu_dereference() outside any RCU read-side critical section:
 * PROVE_RCU's RCU_LOCKDEP_WARN() says "suspicious RCU usage" (once per call
 * site, so once per module load).
 */
static int __rcu *splat_rcu_ptr;

static void splat_rcu(void)
{
	pr_info("rcu: %p\n", rcu_dereference(splat_rcu_ptr));
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
 * hung-io: like hung, but asleep in io_schedule_timeout(), which sets
 * ->in_iowait: 7.3's hung_task_info() then says "blocked in I/O wait for
 * more than N seconds".
 */
static int hung_io_fn(void *unused)
{
	unsigned long end = jiffies + msecs_to_jiffies(hung_ms);
	long left;

	while ((left = (long)(end - jiffies)) > 0) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		io_schedule_timeout(left);
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/*
 * refcount: put the same reference twice.  The first refcount_dec_and_test()
 * takes the count from 1 to 0; the second finds 0 and refcount_warn_saturate()
 * says "refcount_t: underflow; use-after-free." (and saturates the count).
 */
static void splat_refcount(void)
{
	refcount_t ref = REFCOUNT_INIT(1);

	if (refcount_dec_and_test(&ref))
		pr_info("refcount: last reference put\n");
	if (refcount_dec_and_test(&ref))
		pr_info("refcount: last reference put twice\n");
}

/*
 * list: add an entry twice, delete it twice (DEBUG_LIST).  Both second calls
 * are refused with a WARN and change nothing: lib/list_debug.c WARNs
 * ("list_add double add", "list_del corruption, ...->next is LIST_POISON1")
 * because BUG_ON_DATA_CORRUPTION is off, and list_add()/list_del() return
 * without touching the list when the check fails.
 */
static LIST_HEAD(splat_head);

static void splat_list(void)
{
	struct list_head *e = kmalloc(sizeof(*e), GFP_KERNEL);

	if (!e)
		return;
	list_add(e, &splat_head);
	list_add(e, &splat_head);
	list_del(e);
	list_del(e);
	kfree(e);
}

/*
 * ubsan: read slots[4] of a 4-slot array, with an index the compiler cannot
 * see: UBSAN_BOUNDS reports "array-index-out-of-bounds".  The array is not
 * the last member, so the read lands in `after`, inside the object: KASAN has
 * nothing to say.
 */
static struct {
	int slots[4];
	int after;
} ubsan_box;

static void splat_ubsan(void)
{
	int i = ARRAY_SIZE(ubsan_box.slots);

	OPTIMIZER_HIDE_VAR(i);
	pr_info("ubsan: slots[%d] = %d\n", i, ubsan_box.slots[i]);
}

/* ubsan-shift: shift a u32 by 32 (UBSAN_SHIFT: "shift-out-of-bounds"). */
static void splat_ubsan_shift(void)
{
	u32 one = 1;
	int n = 32;

	OPTIMIZER_HIDE_VAR(n);
	pr_info("ubsan-shift: 1 << %d = %u\n", n, one << n);
}

/*
 * Busy-wait for @ms (preemption is disabled by the caller).  With @quiet, the
 * soft-lockup detector (20 s) is kept quiet; RCU's stall detector never is.
 */
static void spin_ms(unsigned int ms, bool quiet)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (time_before(jiffies, end)) {
		if (quiet)
			touch_softlockup_watchdog();
		cpu_relax();
	}
}

/*
 * rcu-stall: stay non-preemptible (no RCU quiescent state on this CPU) for
 * stall_ms while a grace period waits for it.  A stall is reported
 * rcu_cpu_stall_timeout seconds plus RCU_STALL_DELAY_DELTA (5 s with
 * PROVE_RCU) after the grace period's start, i.e. 8 s after it with the
 * timeout at its minimum, 3 (harness/splat.sh writes it first): hence the
 * default of 12 s.  The synchronize_rcu() first ends every grace period that
 * began under the old timeout (a grace period reads it when it starts), the
 * start_poll_synchronize_rcu() asks for a new one, which the grace-period
 * kthread starts on another CPU.  The report comes from this CPU's tick
 * during the spin, so it is in the log when insmod returns.
 */
static int splat_rcu_stall(void)
{
	if (num_online_cpus() < 2) {
		pr_err("rcu-stall needs 2 CPUs\n");
		return -ENODEV;
	}
	synchronize_rcu();
	start_poll_synchronize_rcu();
	pr_info("rcu-stall: spinning for %u ms with preemption disabled\n", stall_ms);
	preempt_disable();
	spin_ms(stall_ms, true);
	preempt_enable();
	pr_info("rcu-stall: done\n");
	return 0;
}

/*
 * rcu-exp-stall: a kthread bound to one CPU spins non-preemptibly for
 * stall_ms; a second one, bound to another CPU, starts an expedited grace
 * period meanwhile.  The expedited IPI finds the first CPU with preemption
 * disabled and can only ask for a quiescent state later (rcu_exp_handler()),
 * so the expedited grace period waits for the spin, and after
 * rcu_exp_cpu_stall_timeout ms (+25% with PROVE_RCU) it is reported as
 * stalled.  synchronize_rcu_expedited() returns only after that, and
 * splat_init() waits for both threads, so the report is in the log when
 * insmod returns.  Both threads exit through kthread_complete_and_exit().
 */
static atomic_t exp_spinning = ATOMIC_INIT(0);
static DECLARE_COMPLETION(exp_spin_done);
static DECLARE_COMPLETION(exp_wait_done);

static int exp_spin_fn(void *unused)
{
	preempt_disable();
	atomic_set(&exp_spinning, 1);
	spin_ms(stall_ms, true);
	preempt_enable();
	kthread_complete_and_exit(&exp_spin_done, 0);
}

static int exp_wait_fn(void *unused)
{
	while (!atomic_read(&exp_spinning))
		msleep(1);
	synchronize_rcu_expedited();
	kthread_complete_and_exit(&exp_wait_done, 0);
}

static int splat_rcu_exp_stall(void)
{
	unsigned int spin_cpu = cpumask_first(cpu_online_mask);
	unsigned int wait_cpu = cpumask_next(spin_cpu, cpu_online_mask);
	struct task_struct *spinner, *waiter;

	if (wait_cpu >= nr_cpu_ids) {
		pr_err("rcu-exp-stall needs 2 CPUs\n");
		return -ENODEV;
	}
	spinner = kthread_create_on_cpu(exp_spin_fn, NULL, spin_cpu, "rdcache_spin/%u");
	if (IS_ERR(spinner))
		return PTR_ERR(spinner);
	waiter = kthread_create_on_cpu(exp_wait_fn, NULL, wait_cpu, "rdcache_expwait/%u");
	if (IS_ERR(waiter)) {
		/* Let the spinner run its course alone: no stall report then. */
		wake_up_process(spinner);
		wait_for_completion(&exp_spin_done);
		return PTR_ERR(waiter);
	}
	pr_info("rcu-exp-stall: CPU %u spins for %u ms, CPU %u waits for an expedited grace period\n",
		spin_cpu, stall_ms, wait_cpu);
	wake_up_process(spinner);
	wake_up_process(waiter);
	wait_for_completion(&exp_spin_done);
	wait_for_completion(&exp_wait_done);
	return 0;
}

/*
 * softlockup: spin non-preemptibly for stall_ms without touching the watchdog:
 * the per-CPU watchdog work cannot run, and after 2 * watchdog_thresh seconds
 * (2 s: harness/splat.sh sets watchdog_thresh to 1 first) the watchdog's
 * hrtimer says "BUG: soft lockup - CPU#N stuck for Ns!".  Well below RCU's
 * stall timeout (60 s + 5 s).
 */
static void splat_softlockup(void)
{
	pr_info("softlockup: spinning for %u ms with preemption disabled\n", stall_ms);
	preempt_disable();
	spin_ms(stall_ms, false);
	preempt_enable();
}

/*
 * bug, null-deref, gpf: Oops a kthread (see run_until_dead()).  bug: BUG(),
 * "kernel BUG at ...", then the invalid-opcode Oops.  null-deref: a load from
 * NULL that KASAN does not instrument (inline asm), so that the page fault
 * itself is reported: "BUG: kernel NULL pointer dereference".  gpf: the same
 * load in C: KASAN's inline check first reads NULL's shadow byte at
 * KASAN_SHADOW_OFFSET, a non-canonical address, hence a general protection
 * fault, which kasan_non_canonical_hook() decodes as "null-ptr-deref".
 */
static int bug_fn(void *unused)
{
	BUG();
}

static int null_fn(void *unused)
{
	unsigned long *p = NULL, v;

	OPTIMIZER_HIDE_VAR(p);
#ifdef CONFIG_X86_64
	asm volatile("mov (%1), %0" : "=r" (v) : "r" (p) : "memory");
#else
	v = READ_ONCE(*p);
#endif
	pr_info("null-deref: read %lu\n", v);
	return 0;
}

static int gpf_fn(void *unused)
{
	unsigned long *p = NULL;

	OPTIMIZER_HIDE_VAR(p);
	pr_info("gpf: read %lu\n", READ_ONCE(*p));
	return 0;
}

/*
 * odebug: call_rcu() twice on one rcu_head, inside one RCU read-side critical
 * section, so that no grace period can end (and run the first callback) in
 * between.  DEBUG_OBJECTS_RCU_HEAD's debug_object_activate() finds the head
 * active: "ODEBUG: activate active (active state 1) object: ... object type:
 * rcu_head" (and "active_state active" for the queued-state check), and
 * __call_rcu_common() leaks the second callback ("Double-freed CB").  The
 * rcu_barrier() waits for the first one, destroy_rcu_head() forgets the head.
 * (The classic "ODEBUG: free active ... object type: timer_list" needs
 * DEBUG_OBJECTS_TIMERS and DEBUG_OBJECTS_FREE, which the config leaves off.)
 */
static struct rcu_head splat_rcu_head;

static void splat_rcu_cb(struct rcu_head *head)
{
}

static void splat_odebug(void)
{
	rcu_read_lock();
	call_rcu(&splat_rcu_head, splat_rcu_cb);
	call_rcu(&splat_rcu_head, splat_rcu_cb);
	rcu_read_unlock();
	rcu_barrier();
	destroy_rcu_head(&splat_rcu_head);
}

/*
 * slab: destroy a cache with an object still allocated.  SLUB lists the
 * object ("BUG rdcache_splat (...): Objects remaining on
 * __kmem_cache_shutdown()") and kmem_cache_destroy() WARNs and leaves the
 * cache alive, unlinked: the object and the cache are leaked, nothing else.
 * SLAB_NO_MERGE, or the cache would be an alias of kmalloc-64 and destroying
 * it only a reference drop.
 */
static void splat_slab(void)
{
	struct kmem_cache *c = kmem_cache_create("rdcache_splat", 64, 0, SLAB_NO_MERGE, NULL);
	void *obj;

	if (!c)
		return;
	obj = kmem_cache_alloc(c, GFP_KERNEL);
	pr_info("slab: object %p left in the cache\n", obj);
	kmem_cache_destroy(c);
}

/*
 * flood: print flood_lines lines as fast as possible.  ttyS0 is an nbcon
 * console in 7.3: its printer kthread cannot keep up with the serial line,
 * the ring buffer (LOG_BUF_SHIFT=17) wraps over records not yet printed, and
 * the console prefixes the next record it prints with "** N printk messages
 * dropped **".  The marker is on the console only, not in dmesg.
 */
static void splat_flood(void)
{
	unsigned int i;

	for (i = 0; i < flood_lines; i++) {
		pr_info("flood %u/%u\n", i, flood_lines);
		if (i % 1024 == 1023)
			cond_resched();
	}
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

#ifdef CONFIG_PROVE_LOCKING
/*
 * The lockdep report headers the triggers above leave unproven, one trigger
 * each (every lockdep report switches lockdep off: a boot each).
 *
 * lockdep-recursive: two locks initialised at one site are one class;
 * nesting them without a subclass is "possible recursive locking" (no real
 * deadlock: they are two locks).
 */
static spinlock_t same_class[2];

static void splat_lockdep_recursive(void)
{
	int i;

	for (i = 0; i < 2; i++)
		spin_lock_init(&same_class[i]);
	spin_lock(&same_class[0]);
	spin_lock(&same_class[1]);
	spin_unlock(&same_class[1]);
	spin_unlock(&same_class[0]);
}

/*
 * lockdep-inconsistent: a lock taken in softirq context (a timer), then in
 * process context with softirqs enabled: {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W},
 * "inconsistent lock state" (print_usage_bug()).
 */
static DEFINE_SPINLOCK(incons_lock);

static void splat_lockdep_inconsistent(void)
{
	lock_in_softirq(&incons_lock);
	spin_lock(&incons_lock);
	spin_unlock(&incons_lock);
}

/* lockdep-unbalanced: unlocking a mutex nobody holds (print_unlock_imbalance_bug()). */
static DEFINE_MUTEX(unbalanced);

static void splat_lockdep_unbalanced(void)
{
	mutex_unlock(&unbalanced);
}

/*
 * lockdep-freed: kfree() of memory that holds a held mutex: "held lock
 * freed!" from the slab free path (debug_check_no_locks_freed()).  The
 * mutex is never touched again; lockdep is off from there on, so its stale
 * entry in this task's held locks is not looked at.
 */
struct held_mutex {
	struct mutex m;
};

static void splat_lockdep_freed(void)
{
	struct held_mutex *h = kmalloc(sizeof(*h), GFP_KERNEL);

	if (!h)
		return;
	mutex_init(&h->m);
	mutex_lock(&h->m);
	kfree(h);
}

/*
 * lockdep-user-return: insmod returns to user space holding a mutex: "lock
 * held when returning to user space!" (lockdep_sys_exit()).  Module exit
 * releases it (lockdep is off by then).
 */
static DEFINE_MUTEX(held_across_return);
static bool holds_across_return;

static void splat_lockdep_user_return(void)
{
	mutex_lock(&held_across_return);
	holds_across_return = true;
}

/* lockdep-wait-context: a spinlock_t inside a raw_spinlock_t (PROVE_RAW_LOCK_NESTING). */
static DEFINE_RAW_SPINLOCK(wait_outer);
static DEFINE_SPINLOCK(wait_inner);

static void splat_lockdep_wait_context(void)
{
	raw_spin_lock(&wait_outer);
	spin_lock(&wait_inner);
	spin_unlock(&wait_inner);
	raw_spin_unlock(&wait_outer);
}

/*
 * lockdep-subclass: a class set up with a subclass past
 * MAX_LOCKDEP_SUBCLASSES: lockdep_init_map_type() registers it at once and
 * look_up_lock_class() says "looking up invalid subclass".  (Locking with
 * spin_lock_nested() and such a subclass stops earlier, at
 * __lock_acquire()'s DEBUG_LOCKS_WARN_ON().)
 */
static DEFINE_SPINLOCK(subclass_lock);
static struct lock_class_key subclass_key;

static void splat_lockdep_subclass(void)
{
	lockdep_set_class_and_subclass(&subclass_lock, &subclass_key, MAX_LOCKDEP_SUBCLASSES);
}

/*
 * lockdep-key: a lock class key in kmalloc()ed memory that was never
 * lockdep_register_key()ed: "BUG: key ... has not been registered!", then
 * DEBUG_LOCKS_WARN_ON(1) (lockdep_init_map_type()); lockdep is off, so
 * debug_show_held_locks() says "INFO: lockdep is turned off.".
 */
static void splat_lockdep_key(void)
{
	struct lock_class_key *key = kzalloc(sizeof(*key), GFP_KERNEL);
	spinlock_t l;

	if (!key)
		return;
	spin_lock_init(&l);
	lockdep_set_class(&l, key);
	debug_show_held_locks(current);
	kfree(key);
}
#else
static void splat_needs_prove_locking(void)
{
	pr_err("this trigger needs CONFIG_PROVE_LOCKING\n");
}
#define splat_lockdep_recursive splat_needs_prove_locking
#define splat_lockdep_inconsistent splat_needs_prove_locking
#define splat_lockdep_unbalanced splat_needs_prove_locking
#define splat_lockdep_freed splat_needs_prove_locking
#define splat_lockdep_user_return splat_needs_prove_locking
#define splat_lockdep_wait_context splat_needs_prove_locking
#define splat_lockdep_subclass splat_needs_prove_locking
#define splat_lockdep_key splat_needs_prove_locking
static bool holds_across_return;
static DEFINE_MUTEX(held_across_return);
#endif

/*
 * rcu-stall-irqsoff: this CPU spins with interrupts off for stall_ms: its
 * own tick cannot see the stall, another CPU's does ("detected stalls on
 * CPUs/tasks", print_other_cpu_stall()).  mdelay(), not jiffies: this CPU
 * may be the one that updates jiffies.
 */
static int splat_rcu_stall_irqsoff(void)
{
	unsigned int i;

	if (num_online_cpus() < 2) {
		pr_err("rcu-stall-irqsoff needs 2 CPUs\n");
		return -ENODEV;
	}
	synchronize_rcu();
	start_poll_synchronize_rcu();
	pr_info("rcu-stall-irqsoff: spinning for %u ms with interrupts off\n", stall_ms);
	local_irq_disable();
	for (i = 0; i < stall_ms; i++)
		mdelay(1);
	local_irq_enable();
	pr_info("rcu-stall-irqsoff: done\n");
	return 0;
}

/*
 * odebug-stack: an rcu_head on the stack initialised with init_rcu_head(),
 * not init_rcu_head_on_stack(): "ODEBUG: object ... is on stack ..., but NOT
 * annotated." (debug_object_is_on_stack()).
 */
static noinline void splat_odebug_stack(void)
{
	struct rcu_head h;

	init_rcu_head(&h);
	destroy_rcu_head(&h);
}

/*
 * delayed-warn: a WARN from a work item delay_ms after insmod returned, so
 * that it lands after the test that loaded the module has ended (its boot
 * lingers after the last test): the runner must find it outside every
 * test's slice.  The module stays loaded; its exit cancels the work.
 */
static unsigned int delay_ms = 1500;
module_param(delay_ms, uint, 0444);
MODULE_PARM_DESC(delay_ms, "delayed-warn: how long after insmod the WARN comes");

static void delayed_warn_fn(struct work_struct *work)
{
	WARN(1, "rdcache_splat: deliberate warning, %u ms after insmod\n", delay_ms);
}
static DECLARE_DELAYED_WORK(delayed_warn, delayed_warn_fn);

/*
 * Every CPU stops with interrupts off: the guest stops answering at all.
 * On x86 each halts (hlt with IF clear resumes only for an NMI, and halts
 * again), so that the wedged vCPUs cost the host no CPU while the runner
 * waits out the silence (QEMU sleeps a halted vCPU with no interrupt it can
 * take); elsewhere each spins.
 */
static void wedge_fn(void *unused)
{
	for (;;) {
#ifdef CONFIG_X86
		halt();
#else
		cpu_relax();
#endif
	}
}

static int __init splat_init(void)
{
	pr_info("trigger=%s\n", trigger);

	if (!strcmp(trigger, "warn")) {
		WARN(1, "rdcache_splat: deliberate warning\n");
	} else if (!strcmp(trigger, "lockdep")) {
		splat_lockdep();
	} else if (!strcmp(trigger, "lockdep-irq")) {
		splat_lockdep_irq();
	} else if (!strcmp(trigger, "lockdep-nest")) {
		splat_lockdep_nest();
	} else if (!strcmp(trigger, "lockdep-held-exit")) {
		return run_until_dead(held_fn, "rdcache_held");
	} else if (!strcmp(trigger, "lockdep-nonstatic")) {
		splat_lockdep_nonstatic();
	} else if (!strcmp(trigger, "lockdep-max")) {
		splat_lockdep_max();
	} else if (!strcmp(trigger, "spinlock")) {
		splat_spinlock();
	} else if (!strcmp(trigger, "kasan")) {
		splat_kasan();
	} else if (!strcmp(trigger, "sleep")) {
		splat_sleep();
	} else if (!strcmp(trigger, "might-sleep")) {
		splat_might_sleep();
	} else if (!strcmp(trigger, "rcu")) {
		splat_rcu();
	} else if (!strcmp(trigger, "hung") || !strcmp(trigger, "hung-io")) {
		bool io = !strcmp(trigger, "hung-io");

		hung_thread = kthread_run(io ? hung_io_fn : hung_fn, NULL, "%s",
					  io ? "rdcache_hung_io" : "rdcache_hung");
		if (IS_ERR(hung_thread)) {
			int err = PTR_ERR(hung_thread);

			hung_thread = NULL;
			return err;
		}
	} else if (!strcmp(trigger, "refcount")) {
		splat_refcount();
	} else if (!strcmp(trigger, "list")) {
		splat_list();
	} else if (!strcmp(trigger, "ubsan")) {
		splat_ubsan();
	} else if (!strcmp(trigger, "ubsan-shift")) {
		splat_ubsan_shift();
	} else if (!strcmp(trigger, "rcu-stall")) {
		return splat_rcu_stall();
	} else if (!strcmp(trigger, "rcu-exp-stall")) {
		return splat_rcu_exp_stall();
	} else if (!strcmp(trigger, "softlockup")) {
		splat_softlockup();
	} else if (!strcmp(trigger, "bug")) {
		return run_until_dead(bug_fn, "rdcache_bug");
	} else if (!strcmp(trigger, "null-deref")) {
		return run_until_dead(null_fn, "rdcache_null");
	} else if (!strcmp(trigger, "gpf")) {
		return run_until_dead(gpf_fn, "rdcache_gpf");
	} else if (!strcmp(trigger, "odebug")) {
		splat_odebug();
	} else if (!strcmp(trigger, "slab")) {
		splat_slab();
	} else if (!strcmp(trigger, "flood")) {
		splat_flood();
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
	} else if (!strcmp(trigger, "lockdep-recursive")) {
		splat_lockdep_recursive();
	} else if (!strcmp(trigger, "lockdep-inconsistent")) {
		splat_lockdep_inconsistent();
	} else if (!strcmp(trigger, "lockdep-unbalanced")) {
		splat_lockdep_unbalanced();
	} else if (!strcmp(trigger, "lockdep-freed")) {
		splat_lockdep_freed();
	} else if (!strcmp(trigger, "lockdep-user-return")) {
		splat_lockdep_user_return();
	} else if (!strcmp(trigger, "lockdep-wait-context")) {
		splat_lockdep_wait_context();
	} else if (!strcmp(trigger, "lockdep-subclass")) {
		splat_lockdep_subclass();
	} else if (!strcmp(trigger, "lockdep-key")) {
		splat_lockdep_key();
	} else if (!strcmp(trigger, "rcu-stall-irqsoff")) {
		return splat_rcu_stall_irqsoff();
	} else if (!strcmp(trigger, "odebug-stack")) {
		splat_odebug_stack();
	} else if (!strcmp(trigger, "delayed-warn")) {
		schedule_delayed_work(&delayed_warn, msecs_to_jiffies(delay_ms));
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

	cancel_delayed_work_sync(&delayed_warn);
	if (holds_across_return)
		mutex_unlock(&held_across_return);
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
