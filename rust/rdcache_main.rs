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

#[pin_data(PinnedDrop)]
struct Rdcache {
    #[pin]
    debugfs: rdcachefs::control::Debugfs,
    #[pin]
    fs: dcache::fs::Registration<rdcachefs::RdcacheFs>,
}

impl kernel::InPlaceModule for Rdcache {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            debugfs <- rdcachefs::control::Debugfs::new(),
            fs <- rdcachefs::register(module),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for Rdcache {
    fn drop(self: Pin<&mut Self>) {
        // No mount exists (each pins the module), but a worker that ran the
        // last ->kill_sb() itself may still be finishing.
        rdcachefs::workers::wait_all();
    }
}
