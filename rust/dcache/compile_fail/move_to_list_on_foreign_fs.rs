// SPDX-License-Identifier: GPL-2.0
//! expect: E0277 the trait bound `Foreign: fs_type::FileSystem` is not satisfied
//!
//! A foreign mount's children can be looked at under their parent's
//! `d_lock`, not evicted: moving one onto a shrink list is the filesystem's
//! business.

use crate::dcache::{DentryRef, Foreign, ShrinkList};
use pin_init::stack_pin_init;

pub(crate) fn misuse(root: &mut DentryRef<'_, Foreign>) {
    stack_pin_init!(let list = ShrinkList::new());
    let Some(mut guard) = root.lock_children() else {
        return;
    };
    if let Some(locked) = guard.lock_child(|_| true) {
        list.as_mut().move_to_list(&locked);
    }
}
