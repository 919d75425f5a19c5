// SPDX-License-Identifier: GPL-2.0

//! A module-owned workqueue.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)
//! (`alloc_workqueue()`, `destroy_workqueue()`).
//!
//! 7.3's `kernel::workqueue` offers the system queues only, and a work item
//! on one of them still runs module code (its closure's tail, the drop of
//! what it captured, `ClosureWork::run`) after it signalled that it is done,
//! so module exit cannot tell when its text is no longer executing.
//! `destroy_workqueue()` can: it drains the queue, returning only once every
//! item's function has returned.  [`ModuleQueue`] is a queue a module
//! declares in a `static`, starts in its init and destroys in its exit (by
//! dropping the [`QueueOwner`]).
//!
//! Its items are long-running (the test filesystem's workers loop until
//! umount), so the queue never holds more live items than its `max_active`:
//! [`ModuleQueue::try_spawn`] refuses one more with `EBUSY` rather than let
//! it wait behind items that may be waiting for it.
//!
//! The [`QueueOwner`] must be dropped by module exit: keep it in the module
//! struct, as every registration is kept.  Like a forgotten registration of
//! any kind (a `file_system_type`, a misc device), a `mem::forget()`-ten
//! owner outlives the module, and its items could run after the module text
//! is gone; the type cannot prevent a leak, so this is a rule of use.
//! Dropping it inside one of the queue's own items waits for that item: a
//! deadlock, as `destroy_workqueue()` from its own work is in C (lockdep
//! reports the recursion on the queue's lockdep map); don't.

use super::glue;
use kernel::{
    bindings,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
    task::might_sleep,
    time::{delay::fsleep, Delta},
    workqueue::Queue,
};

/// Set in [`ModuleQueue`]'s state while the queue is being destroyed or not started.
const CLOSED: u32 = 1 << 31;

/// `WQ_MAX_ACTIVE` (`include/linux/workqueue.h`), an enumerator bindgen does not export.
const WQ_MAX_ACTIVE: u32 = 2048;

/// A workqueue for a `static`, owned by whoever [`ModuleQueue::start`]ed it.
///
/// # Invariants
///
/// `queue` is null or a queue from `alloc_workqueue()`; it is non-null
/// whenever `state` lacks `CLOSED` or counts users.  `state` is `CLOSED`
/// plus the number of [`ModuleQueue::try_spawn`] calls using `queue` now;
/// `live` counts the items queued or running.
pub struct ModuleQueue {
    queue: Atomic<usize>,
    state: Atomic<u32>,
    live: Atomic<u32>,
    max_active: u32,
}

/// The owner of a started [`ModuleQueue`]: dropping it destroys the queue.
/// (`Send` and `Sync`, as the module struct that holds it must be.)
pub struct QueueOwner {
    q: &'static ModuleQueue,
}

impl ModuleQueue {
    /// A queue not started yet, for at most `max_active` live items
    /// (1..=`WQ_MAX_ACTIVE`, 2048).
    pub const fn new(max_active: u32) -> Self {
        Self {
            queue: Atomic::new(0),
            state: Atomic::new(CLOSED),
            live: Atomic::new(0),
            max_active,
        }
    }

    /// Allocates the queue (`alloc_workqueue(name, WQ_UNBOUND, max_active)`).
    /// `EBUSY` if it is started already, `EINVAL` for a bad `max_active`.
    /// May sleep.
    pub fn start(&'static self, name: &'static CStr) -> Result<QueueOwner> {
        if self.max_active == 0 || self.max_active > WQ_MAX_ACTIVE {
            return Err(EINVAL);
        }
        if self.queue.load(Acquire) != 0 {
            return Err(EBUSY);
        }
        // SAFETY: `name` is NUL-terminated and `'static`; the call may sleep, as we may.
        let wq = unsafe { glue::rdc_alloc_workqueue(name.as_char_ptr(), self.max_active) };
        if wq.is_null() {
            return Err(ENOMEM);
        }
        if self.queue.cmpxchg(0, wq as usize, Release).is_err() {
            // SAFETY: Ours, never used.
            unsafe { bindings::destroy_workqueue(wq) };
            return Err(EBUSY);
        }
        // INVARIANT: `queue` is set before `CLOSED` is cleared.
        self.state.store(0, Release);
        Ok(QueueOwner { q: self })
    }

    /// Runs `f` on the queue.  `ENODEV` if the queue is not started (or is
    /// being destroyed), `EBUSY` if `max_active` items are live, `ENOMEM`.
    pub fn try_spawn(&'static self, f: impl FnOnce() + Send + 'static) -> Result {
        let mut s = self.state.load(Relaxed);
        loop {
            if s & CLOSED != 0 {
                return Err(ENODEV);
            }
            match self.state.cmpxchg(s, s + 1, Acquire) {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        let r = self.spawn_counted(f);
        self.state.fetch_sub(1, Release);
        r
    }

    fn spawn_counted(&'static self, f: impl FnOnce() + Send + 'static) -> Result {
        if self.live.fetch_add(1, Relaxed) >= self.max_active {
            self.live.fetch_sub(1, Relaxed);
            return Err(EBUSY);
        }
        // SAFETY: We are counted in `state` without `CLOSED`, so `queue` is a
        // live queue (invariant) until we drop out of the count.
        let queue = unsafe { Queue::from_raw(self.queue.load(Acquire) as *const _) };
        let live = &self.live;
        let r = queue.try_spawn(GFP_KERNEL, move || {
            f();
            live.fetch_sub(1, Release);
        });
        if r.is_err() {
            self.live.fetch_sub(1, Relaxed);
        }
        r.map_err(|_| ENOMEM)
    }

    /// Items queued or running now.
    pub fn live(&self) -> u32 {
        self.live.load(Relaxed)
    }
}

impl Drop for QueueOwner {
    /// Refuses new items, waits for `try_spawn()` calls in progress, then
    /// `destroy_workqueue()`: waits until every item has returned.  **May
    /// sleep**, as long as the items run.
    fn drop(&mut self) {
        might_sleep();
        let q = self.q;
        let mut s = q.state.load(Relaxed);
        while let Err(now) = q.state.cmpxchg(s, s | CLOSED, Acquire) {
            s = now;
        }
        while s & !CLOSED != 0 {
            fsleep(Delta::from_millis(1));
            s = q.state.load(Acquire);
        }
        let wq = q.queue.load(Acquire) as *mut bindings::workqueue_struct;
        // SAFETY: Started (we exist), and no `try_spawn()` uses it any more
        // (`CLOSED`, no users): `destroy_workqueue()` drains what is queued.
        unsafe { bindings::destroy_workqueue(wq) };
        q.queue.store(0, Release);
        // Drained: an item still live here would run on after module exit.
        kernel::warn_on!(q.live.load(Acquire) != 0);
    }
}
