// SPDX-License-Identifier: GPL-2.0
//! expect: ok
//!
//! Positive control: the intended pattern builds, so a failure of the cases
//! beside this one is the misuse's, not the harness's.

use crate::dcache::{KernMount, ShrinkList};
use kernel::{new_spinlock, prelude::*};
use pin_init::stack_pin_init;

pub(crate) fn pattern(mnt: &KernMount) -> Result {
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let root = pin.root();
    let d = root.create_child(c"x", false)?;
    stack_pin_init!(let lock = new_spinlock!(()));
    stack_pin_init!(let list = ShrinkList::new());
    {
        let _guard = lock.lock();
        list.as_mut().put(d);
    }
    {
        let guard = root.lock_children();
        if let Some(child) = guard.iter().next() {
            if let Some(locked) = guard.lock_child(child) {
                list.as_mut().move_to_list(&locked);
            }
        }
    }
    drop(root);
    drop(pin);
    list.as_mut().shrink();
    Ok(())
}
