// SPDX-License-Identifier: GPL-2.0
//! expect: E0308 mismatched types
//!
//! Rule 1: an unused dentry may only go onto a list under a liveness witness
//! (its `d_lock` taken through its parent's); a bare `&Dentry` is not one.

use crate::dcache::{DentryRef, Foreign, ShrinkList};
use pin_init::stack_pin_init;

pub(crate) fn misuse(root: &mut DentryRef<'_, Foreign>) {
    stack_pin_init!(let list = ShrinkList::new());
    let Some(guard) = root.lock_children() else {
        return;
    };
    if let Some(child) = guard.iter().next() {
        list.as_mut().move_to_list(child.dentry());
    }
}
