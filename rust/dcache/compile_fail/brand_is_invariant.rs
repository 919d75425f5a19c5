// SPDX-License-Identifier: GPL-2.0
//! expect: E0308 mismatched types
//!
//! Every brand is invariant in its filesystem `T`.  `for<'a> fn(&'a ())` is
//! a subtype of `fn(&'static ())`, and rustc accepts a `FileSystem` impl for
//! each (with only the `coherence_leak_check` warning, which `allow` turns
//! off under `-Dwarnings`).  With a covariant brand (`fn() -> T`), each of
//! the conversions below compiled: a mount, pin, dentry or inode of `Sub`
//! passed for one of `Super`, whose code then read `Sub`'s superblock,
//! dentry and inode data as `Super`'s, and `Registration::new()` of `Sub`'s
//! static type as `Super`'s installed `Super`'s callbacks into it.  Each
//! line marked `//~ ERROR` must fail on its own (compile_fail.py checks the
//! line of every error), so one brand turned covariant again fails the case.

use crate::dcache::{
    fs_type::{
        DeletingDentry, DyingDentry, EvictingInode, FileSystem, FsContext, Node, Registration,
        Type, CHILD_NAME_MAX,
    },
    ActiveSuper, Dentry, DentryRef, Inode, InodeRef, KernMount, SuperBlock, WeakSuper,
};
use kernel::prelude::*;

type Sub = for<'a> fn(&'a ());
type Super = fn(&'static ());

macro_rules! fs {
    ($t:ty, $name:literal, $data:ty) => {
        impl FileSystem for $t {
            const NAME: &'static CStr = $name;
            const MAGIC: u32 = 0x7262_7264;
            const PARAMS: &'static [&'static CStr] = &[];
            type Options = ();
            type Data = ();
            type DentryData = $data;
            type InodeData = $data;

            fn set_param(_fc: &FsContext<'_>, _opts: &mut (), _opt: usize, _value: u32) -> Result {
                Err(EINVAL)
            }
            fn fill_super(_opts: &()) -> Result<()> {
                Ok(())
            }
            fn root(_data: &()) -> Node {
                Node {
                    id: 0,
                    dir: true,
                    size: 0,
                }
            }
            fn lookup(_data: &(), _dir: u64, _name: &[u8]) -> Option<Node> {
                None
            }
            fn child(
                _data: &(),
                _dir: u64,
                _index: u64,
                _name: &mut [u8; CHILD_NAME_MAX],
            ) -> Option<(usize, Node)> {
                None
            }
            fn read(_data: &(), _file: u64, _buf: &mut [u8]) -> usize {
                0
            }
            fn kill_sb_begin(_data: &()) {}
            fn kill_sb_end(_data: ()) {}
        }
    };
}

#[allow(coherence_leak_check)]
mod impls {
    use super::*;
    fs!(Sub, c"rdc_cf_sub", KBox<u64>);
    fs!(Super, c"rdc_cf_super", KBox<[u8; 64]>);
}

pub(crate) fn fs_type(t: &'static Type<Sub>) -> &'static Type<Super> {
    t //~ ERROR
}

pub(crate) fn mount(m: KernMount<Sub>) -> KernMount<Super> {
    m //~ ERROR
}

pub(crate) fn pin(p: ActiveSuper<Sub>) -> ActiveSuper<Super> {
    p //~ ERROR
}

pub(crate) fn weak(w: WeakSuper<Sub>) -> WeakSuper<Super> {
    w //~ ERROR
}

pub(crate) fn super_block(s: &SuperBlock<Sub>) -> &SuperBlock<Super> {
    s //~ ERROR
}

pub(crate) fn dentry(d: &Dentry<Sub>) -> &Dentry<Super> {
    d //~ ERROR
}

pub(crate) fn inode(i: &Inode<Sub>) -> &Inode<Super> {
    i //~ ERROR
}

pub(crate) fn dentry_ref<'p>(d: DentryRef<'p, Sub>) -> DentryRef<'p, Super> {
    d //~ ERROR
}

pub(crate) fn inode_ref<'p>(i: InodeRef<'p, Sub>) -> InodeRef<'p, Super> {
    i //~ ERROR
}

pub(crate) fn registration(r: Registration<Sub>) -> Registration<Super> {
    r //~ ERROR
}

pub(crate) fn deleting<'a>(d: DeletingDentry<'a, Sub>) -> DeletingDentry<'a, Super> {
    d //~ ERROR
}

pub(crate) fn dying<'a>(d: DyingDentry<'a, Sub>) -> DyingDentry<'a, Super> {
    d //~ ERROR
}

pub(crate) fn evicting<'a>(i: EvictingInode<'a, Sub>) -> EvictingInode<'a, Super> {
    i //~ ERROR
}
