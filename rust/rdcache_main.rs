// SPDX-License-Identifier: GPL-2.0

//! rdcache: safe Rust abstractions over the Linux dcache, a
//! `dput_to_list`-style shrink-list API, and `rdcachefs`, a test filesystem
//! that stresses dcache shrinking against umount.

use kernel::prelude::*;

pub mod dcache;
mod rdcachefs;

module! {
    type: Rdcache,
    name: "rdcache",
    authors: ["rdcache developers"],
    description: "Safe dcache abstractions, shrink lists and the rdcachefs test filesystem",
    license: "GPL",
}

/// Fields drop in order: debugfs (no new benchmarks), the registration,
/// then the workqueue, whose destruction waits until every work item (a
/// worker that ran the last `->kill_sb()` itself, a benchmark thread) has
/// returned, so no module code runs after exit.
#[pin_data]
struct Rdcache {
    #[pin]
    debugfs: rdcachefs::control::Debugfs,
    fs: dcache::fs_type::Registration<rdcachefs::RdcacheFs>,
    queue: dcache::workqueue::QueueOwner,
}

impl kernel::InPlaceModule for Rdcache {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            queue: rdcachefs::start_queue()?,
            fs: rdcachefs::register(module)?,
            debugfs <- rdcachefs::control::Debugfs::new(),
        })
    }
}
