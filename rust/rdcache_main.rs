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

#[pin_data]
struct Rdcache {
    #[pin]
    fs: dcache::fs_type::Registration,
}

impl kernel::InPlaceModule for Rdcache {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pr_info!("registering {}\n", rdcachefs::NAME.to_str().unwrap_or("?"));
        try_pin_init!(Self {
            fs <- rdcachefs::register(module),
        })
    }
}
