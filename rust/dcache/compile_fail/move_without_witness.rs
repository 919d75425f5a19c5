// SPDX-License-Identifier: GPL-2.0
//! expect: E0308 mismatched types
//!
//! Rule 1: an unused dentry may only go onto a list under a liveness witness
//! (its `d_lock` taken through its parent's); a bare `&Dentry` is not one.

use crate::dcache::{fs_type::FileSystem, DentryRef, ShrinkList};
use pin_init::stack_pin_init;

pub(crate) fn misuse<T: FileSystem>(root: &mut DentryRef<'_, T>) {
    stack_pin_init!(let list = ShrinkList::new());
    let Some(guard) = root.lock_children() else {
        return;
    };
    if let Some(child) = guard.iter().next() {
        list.as_mut().move_to_list(child.dentry());
    }
}
