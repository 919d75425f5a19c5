// SPDX-License-Identifier: GPL-2.0
//! expect: E0277 cannot be shared between threads safely
//!
//! Rule 3: a shrink list is thread-private; nothing may hand `&ShrinkList` to
//! another thread (here: a bound as `kernel::workqueue` or a `static` has).

use crate::dcache::ShrinkList;
use pin_init::stack_pin_init;

fn share_with_another_thread<T: Sync>(_: &T) {}

pub(crate) fn misuse() {
    stack_pin_init!(let list = ShrinkList::new());
    share_with_another_thread(&*list);
}
