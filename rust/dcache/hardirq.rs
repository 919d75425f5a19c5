// SPDX-License-Identifier: GPL-2.0

//! Running a closure once in hard interrupt context, for tests of the
//! layer's context rule (`d_lock` is not IRQ-safe, so every call that may
//! take it refuses non-task context; see [`dentry`](super::dentry)).
//!
//! An `hrtimer` callback, started and cancelled on the stack with
//! `kernel::time::hrtimer`'s `start_scoped()`.  rdcache's own, not part of
//! the upstream series.

use kernel::{
    impl_has_hr_timer,
    prelude::*,
    sync::{completion::Completion, Arc},
    task::might_sleep,
    time::{
        hrtimer::{
            HrTimer, HrTimerCallback, HrTimerCallbackContext, HrTimerRestart, RelativeMode,
            ScopedHrTimerPointer,
        },
        Delta, Monotonic,
    },
};
use pin_init::stack_try_pin_init;

/// The timer, and the closure its callback runs, type-erased so that the
/// timer's type needs no lifetime.
///
/// # Invariants
///
/// `data` points to the `Option<F>` of the [`in_hardirq`] call that made
/// this probe, for an `F` that `call` was instantiated with; that call
/// outlives every run of the callback.
#[pin_data]
struct Probe {
    #[pin]
    timer: HrTimer<Self>,
    call: unsafe fn(*mut ()),
    data: *mut (),
    done: Arc<Completion>,
}

// SAFETY: `data` is only used by the callback, while the `in_hardirq()` that
// owns it waits (the closure behind it is `Send`); the rest is `Send`.
unsafe impl Send for Probe {}
// SAFETY: `&Probe` gives nothing that uses `data`.
unsafe impl Sync for Probe {}

/// Runs the closure in the `Option<F>` behind `p` (once; then it is `None`).
///
/// # Safety
///
/// `p` points to a live `Option<F>` that nothing else uses during the call.
unsafe fn call<F: FnOnce()>(p: *mut ()) {
    // SAFETY: Per the function's contract.
    let slot = unsafe { &mut *p.cast::<Option<F>>() };
    if let Some(f) = slot.take() {
        f();
    }
}

impl HrTimerCallback for Probe {
    type Pointer<'a> = Pin<&'a mut Self>;

    fn run(this: Pin<&mut Self>, _ctx: HrTimerCallbackContext<'_, Self>) -> HrTimerRestart {
        // SAFETY: `data` points to the live `Option<F>` `call` expects
        // (invariant), which `in_hardirq()` does not touch while it waits.
        unsafe { (this.call)(this.data) };
        this.done.complete_all();
        HrTimerRestart::NoRestart
    }
}

impl_has_hr_timer! {
    impl HasHrTimer<Self> for Probe {
        mode: RelativeMode<Monotonic>, field: self.timer
    }
}

/// Runs `f` once in hard interrupt context (an `hrtimer` callback, 100 us
/// from now) and returns once it has run.  `ENOMEM` if the completion
/// cannot be allocated.  **May sleep.**
pub fn in_hardirq<F: FnOnce() + Send>(f: F) -> Result {
    might_sleep();
    let done = Arc::pin_init(Completion::new(), GFP_KERNEL)?;
    let theirs = done.clone();
    let mut slot = Some(f);
    let data = (&raw mut slot).cast::<()>();
    // INVARIANT: `data` is `slot`, an `Option<F>`, with `call::<F>`; `slot`
    // lives until this function returns, after `start_scoped()` cancelled
    // the timer (waiting for a callback that runs).
    stack_try_pin_init!(let probe =? try_pin_init!(Probe {
        timer <- HrTimer::new(),
        call: call::<F>,
        data,
        done: theirs,
    }? Error));
    probe
        .as_mut()
        .start_scoped(Delta::from_micros(100), || done.wait_for_completion());
    Ok(())
}
