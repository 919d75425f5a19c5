// SPDX-License-Identifier: GPL-2.0

//! C peers for benchmarks: the same work as the layer's Rust paths, done by
//! loops written in C (`rdc_peer_*` in `glue.c`), so that a benchmark can
//! report the Rust layer's cost as a ratio against C measured in the same
//! run.  Nothing else uses them.

use super::{
    dentry::{may_lock, DentryRef},
    glue,
};
use kernel::{alloc::VVec, bindings, prelude::*, task::might_sleep};

/// `n` times `dput(dget(dentry))`, in C.  Never drops the last reference
/// (the caller holds one), so it never sleeps.
pub fn dget_dput_loop<T>(dentry: &DentryRef<'_, T>, n: u64) {
    // Under a dentry guard `dget()` may spin on a `d_lock` this task holds;
    // outside task context `dput()` may sleep: refused, with a `WARN`.
    if may_lock(c"peer::dget_dput_loop()").is_err() {
        return;
    }
    // SAFETY: `dentry` is alive and counted by the caller for the whole loop.
    unsafe { glue::rdc_peer_dget_dput(dentry.as_raw(), n) };
}

/// `n` times `dget()` and `lockref_put_or_lock()`, in C: the work of a
/// [`DentryRef`] clone and `ShrinkList::put` of a reference that is not the
/// last.  The caller holds one, so the put never finds the count at 1 and
/// nothing is ever locked.
pub fn dget_put_or_lock_loop<T>(dentry: &DentryRef<'_, T>, n: u64) {
    // As in `dget_dput_loop()`.
    if may_lock(c"peer::dget_put_or_lock_loop()").is_err() {
        return;
    }
    // SAFETY: `dentry` is alive and counted by the caller for the whole loop.
    unsafe { glue::rdc_peer_dget_put_or_lock(dentry.as_raw(), n) };
}

/// References handed to C, to be dropped there by [`DputBatch::run`].
///
/// # Invariants
///
/// Each pointer in `raw` carries one count, or points to a dentry whose
/// count has saturated since (helpers/dcache.c: it never falls to zero, and
/// each entry is checked for it just before it is given back), covered by
/// the pin `'pin`.
pub struct DputBatch<'pin, T> {
    raw: VVec<*mut bindings::dentry>,
    _pin: core::marker::PhantomData<DentryRef<'pin, T>>,
}

impl<'pin, T> DputBatch<'pin, T> {
    /// Takes the references out of `refs` (which is left empty).  Allocates;
    /// if that fails, `ENOMEM` and the references stay in `refs`.  **May sleep**: `EDEADLK`
    /// (and a `WARN`), `refs` untouched, under a dentry guard or outside task
    /// context.
    pub fn new(refs: &mut VVec<DentryRef<'pin, T>>) -> Result<Self> {
        // `GFP_KERNEL` may sleep: not under a `d_lock` nor in an interrupt.
        may_lock(c"DputBatch::new()")?;
        might_sleep();
        let mut raw = VVec::with_capacity(refs.len(), GFP_KERNEL)?;
        for d in refs.drain_all() {
            // INVARIANT: Each count moves from a `DentryRef` under the same
            // pin; a saturated one has none to move, and is gone.  One that
            // saturates later is checked again where it is given back.
            if let Some(d) = d.into_raw() {
                // Cannot fail: the capacity is there.
                let _ = raw.push_within_capacity(d);
            }
        }
        Ok(Self {
            raw,
            _pin: core::marker::PhantomData,
        })
    }

    /// `dput()`s every reference, in order, in one C loop, each checked for
    /// a saturated count just before, as a drop is.  **May sleep.**
    /// Under a dentry guard or outside task context the references are
    /// leaked, with a `WARN` (as a `DentryRef` drop there).
    pub fn run(mut self) {
        if may_lock(c"DputBatch::run()").is_err() {
            // INVARIANT: The counts are leaked, never to be given back.
            self.raw.clear();
            return;
        }
        kernel::task::might_sleep();
        let (v, n) = (self.raw.as_mut_ptr(), self.raw.len());
        // SAFETY: `v[..n]` are counted dentries (invariant) whose counts we
        // hand to C, which checks each for saturation just before it gives
        // it back (`rdc_peer_dput_each()`).
        unsafe { glue::rdc_peer_dput_each(v, n) };
        // INVARIANT: The counts are gone with the C loop.
        self.raw.clear();
    }

    /// `dput_to_list()`s every reference, in order, into one list, then one
    /// `shrink_dentry_list()`, in C: the C peer of `ShrinkList::put` and
    /// `shrink()`, on a kernel that exports `dput_to_list()`.  **May sleep.**
    #[cfg(rdc_dput_to_list)]
    pub fn run_to_list(mut self) {
        if may_lock(c"DputBatch::run_to_list()").is_err() {
            // INVARIANT: As in `run()`.
            self.raw.clear();
            return;
        }
        kernel::task::might_sleep();
        let (v, n) = (self.raw.as_mut_ptr(), self.raw.len());
        // SAFETY: As in `run()`; `shrink_dentry_list()` may sleep, as may we.
        unsafe { glue::rdc_peer_dput_to_list_each(v, n) };
        // INVARIANT: The counts are gone with the C loop.
        self.raw.clear();
    }
}

impl<T> Drop for DputBatch<'_, T> {
    /// `dput()`s what [`DputBatch::run`] did not: may sleep.  Leaked, with
    /// a `WARN`, under a dentry guard or outside task context.
    fn drop(&mut self) {
        if self.raw.is_empty() || may_lock(c"DputBatch drop").is_err() {
            return;
        }
        kernel::task::might_sleep();
        for &d in self.raw.iter() {
            // SAFETY: Each pointer still carries its count (invariant): alive.
            // Checked just before it is given back, as a `DentryRef`'s drop
            // checks: a count saturated since gives nothing back.
            if unsafe { glue::rdc_d_saturated(d) } {
                continue;
            }
            // SAFETY: As above; we give the count up.
            unsafe { bindings::dput(d) };
        }
    }
}
