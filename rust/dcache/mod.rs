// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the kernel's dcache.
//!
//! C headers: [`include/linux/dcache.h`](srctree/include/linux/dcache.h),
//! [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h).
//!
//! This directory is written as if it lived in `rust/kernel/fs/`: it knows
//! nothing about rdcache's test filesystem, and it is, together with the C glue
//! in `glue.c`, the only code in the module allowed to use `unsafe`.

pub mod fs_type;
mod glue;
