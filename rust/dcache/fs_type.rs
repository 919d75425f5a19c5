// SPDX-License-Identifier: GPL-2.0

//! Filesystem types whose dentries come from `->lookup()`.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h),
//! [`include/linux/fs_parser.h`](srctree/include/linux/fs_parser.h).
//!
//! A [`FileSystem`] describes a read-only tree: a root, `lookup` of a name in
//! a directory, the children of a directory by index, and the contents of a
//! file.  [`Registration`] turns it into a real `file_system_type`: options
//! are decimal `u32`s parsed by `fs_parse()`, superblocks are set up by
//! `get_tree_nodev()`, inodes are made on lookup and evicted on their last
//! `iput()`, dentries stay in the dcache (on the LRU once unused) until
//! something evicts them.
//!
//! # Lifetimes
//!
//! The per-superblock [`FileSystem::Data`] lives in `s_fs_info` from
//! `fill_super` to the end of `->kill_sb()`, where it is handed back to
//! [`FileSystem::kill_sb_end`] after `generic_shutdown_super()` returned.
//! Threads the filesystem starts get a [`WeakSuper`]
//! ([`FileSystem::mounted`]), which can pin the superblock only while it is
//! up: `->kill_sb()` clears it before anything is torn down.
//!
//! Each dentry may carry a [`FileSystem::DentryData`] (kept in `d_fsdata`,
//! set by `->lookup()` or `fill_super` before the dentry is visible, dropped
//! right after [`FileSystem::d_release`]), each inode the layer makes a
//! [`FileSystem::InodeData`] (dropped right after
//! [`FileSystem::evict_inode`]).  The dentry and inode callbacks get a
//! handle ([`DeletingDentry`], [`DyingDentry`], [`EvictingInode`]) that
//! offers that data and nothing that reaches the superblock, and no
//! [`FileSystem::Data`]: a callback may come late, after `->kill_sb()`
//! (a dentry leaked past umount, the failure `shrink_dcache_for_umount()`
//! reports), and must not touch what is gone.  Data types are `'static`;
//! a filesystem that wants shared state in a callback keeps an `Arc` of it
//! in the data.
//!
//! The registering module owns the type, so it cannot be unloaded while a
//! superblock of the type exists (`delete_module()` answers `EWOULDBLOCK`).
//!
//! # Static types
//!
//! The `file_system_type` lives in a `static` [`Type<T>`], never on the
//! heap: superblocks reach it through `s_type` until their `->kill_sb()`
//! returned, which may be after the [`Registration`] is gone (a
//! registration can be dropped early; only the module is pinned by a
//! superblock), and lockdep wants its lock keys in static storage.  A
//! [`Type`] is filled in and registered once: a second registration is
//! refused, since superblocks or mounts being configured under the first
//! may still read it.  Option specs are built on the stack per parse, so
//! nothing of the type is ever freed.

use super::{glue, super_block::WeakSuper};
use core::{ffi::c_void, fmt, marker::PhantomData, num::NonZeroUsize};
use kernel::{
    bindings,
    error::{to_result, Error},
    ffi,
    prelude::*,
    str::CString,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
    types::{ForeignOwnable, Opaque},
    ThisModule,
};

/// The brand of dentries, inodes, superblocks and mounts of a filesystem
/// type this layer did not register (or that was mounted by name): its tree
/// can be held (the root, parents, clones) and dropped through shrink
/// lists, but not looked up by name, evicted, walked under a lock or built
/// on (see [`DentryRef`](super::DentryRef)'s `T: FileSystem` methods for
/// why).  It is no [`FileSystem`]: its dentries and inodes carry no data of
/// this layer.
pub enum Foreign {}

/// An inode as a [`FileSystem`] describes it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// The filesystem's own identifier, kept with the inode.
    pub id: u64,
    /// A directory (else a regular file).
    pub dir: bool,
    /// `i_size` of a file (clamped to `i64::MAX`).
    pub size: u64,
}

/// A plain non-zero value of up to `usize::BITS - 2` bits kept as a
/// dentry's data, with no allocation: a [`FileSystem::DentryData`] for
/// filesystems that need only a few bits per dentry.  Its borrowed form is a
/// copy of itself.
///
/// # Invariants
///
/// `0` is `value << 2`: non-zero, with the low two bits clear.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DentryWord(NonZeroUsize);

impl DentryWord {
    /// The largest value a word holds.
    pub const MAX: usize = usize::MAX >> 2;

    /// The word holding `v`; `None` for 0 or a value over [`Self::MAX`].
    pub const fn new(v: usize) -> Option<Self> {
        if v > Self::MAX {
            return None;
        }
        // INVARIANT: `v << 2` loses no bit (`v <= MAX`) and has the low two clear.
        match NonZeroUsize::new(v << 2) {
            Some(w) => Some(Self(w)),
            None => None,
        }
    }

    /// The value.
    pub const fn get(self) -> usize {
        self.0.get() >> 2
    }
}

// SAFETY: `into_foreign` returns the non-zero, 4-aligned encoding as an
// address without provenance, so the pointer is not null and has the
// alignment `FOREIGN_ALIGN` says (what `XArray` and the maple tree need to
// tell it from their internal entries); `from_foreign` and `borrow` read the
// address back, own nothing and dereference nothing, so any number of
// borrows and the one `from_foreign` are fine in any order.
unsafe impl ForeignOwnable for DentryWord {
    const FOREIGN_ALIGN: usize = 4;
    type Borrowed<'a> = DentryWord;
    type BorrowedMut<'a> = DentryWord;

    fn into_foreign(self) -> *mut c_void {
        core::ptr::without_provenance_mut(self.0.get())
    }

    unsafe fn from_foreign(ptr: *mut c_void) -> Self {
        // INVARIANT: `ptr` came from `into_foreign`, so its address is the
        // encoding, as the invariant wants.
        // SAFETY: As above: non-zero.
        Self(unsafe { NonZeroUsize::new_unchecked(ptr.addr()) })
    }

    unsafe fn borrow<'a>(ptr: *mut c_void) -> Self::Borrowed<'a> {
        // SAFETY: As for `from_foreign`: the word owns nothing.
        unsafe { Self::from_foreign(ptr) }
    }

    unsafe fn borrow_mut<'a>(ptr: *mut c_void) -> Self::BorrowedMut<'a> {
        // SAFETY: As for `from_foreign`: the word owns nothing.
        unsafe { Self::from_foreign(ptr) }
    }
}

/// The data of `dentry`, borrowed.
///
/// # Safety
///
/// `dentry` is a dentry of a superblock of `T`'s type, whose `d_fsdata` is
/// not released (`->d_release()`) before `'a` ends.
pub(crate) unsafe fn dentry_data<'a, T: FileSystem>(
    dentry: *const bindings::dentry,
) -> Option<<T::DentryData as ForeignOwnable>::Borrowed<'a>> {
    // SAFETY: `d_fsdata` of `T`'s dentries is NULL from `__d_alloc()`, and
    // then written only by this layer: once with what
    // `T::DentryData::into_foreign()` returned (`lookup::<T>()` before
    // `d_splice_alias()`, `fill_super::<T>()` before `s_root`), before any
    // handle that reads it can reach the dentry, and back to NULL in
    // `d_release::<T>()`.  (A guard's `Child` or `LockedDentry` can see a
    // dentry of `lookup::<T>()` earlier, which is why they, like `&Dentry`,
    // never offer `data()`.)  The other code that runs on such dentries
    // leaves it alone: `simple_lookup()` and the `dcache_readdir()` cursors
    // of `create_child()`'s directories; in `fs/libfs.c` only
    // `simple_offset_*` and `path_from_stashed()` write it, which the layer
    // never uses.
    let ptr = unsafe { glue::rdc_d_fsdata(dentry) };
    if ptr.is_null() {
        None
    } else {
        // SAFETY: From `into_foreign()` (above); `from_foreign()` runs only in
        // `d_release::<T>()`, after `'a` (the caller's contract).
        Some(unsafe { T::DentryData::borrow(ptr) })
    }
}

/// A callback handle's markers: valid for the call (`'a`), of brand `T`,
/// neither `Send` nor `Sync` (the raw pointer beside it).
type CallMarker<'a, T> = PhantomData<(&'a (), fn(T) -> T)>;

/// A dentry in `->d_delete()`: its `d_lock` is held and its count is not
/// dead, so it is not being killed for the call.  Offers its name and data,
/// nothing that reaches the superblock.
///
/// # Invariants
///
/// `dentry` is the dentry of a `->d_delete()` call of `T`'s type running for
/// `'a`, under its `d_lock`.
pub struct DeletingDentry<'a, T: FileSystem> {
    dentry: *const bindings::dentry,
    _p: CallMarker<'a, T>,
}

impl<T: FileSystem> DeletingDentry<'_, T> {
    /// The dentry's name, stable under `d_lock`.
    pub fn name(&self) -> &[u8] {
        let mut len: ffi::c_uint = 0;
        // SAFETY: `d_lock` is held for the call (invariant), so the name is stable.
        let name = unsafe { glue::rdc_d_name(self.dentry, &mut len) };
        // SAFETY: `len` bytes at `name`, valid while `d_lock` is held, which
        // outlasts `&self`.
        unsafe { core::slice::from_raw_parts(name, len as usize) }
    }

    /// The data `T::dentry_data()` gave the dentry, if any.
    pub fn data(&self) -> Option<<T::DentryData as ForeignOwnable>::Borrowed<'_>> {
        // SAFETY: A dentry of `T`'s type; `->d_release()` needs the count
        // dead, which takes `d_lock`, held until the callback returns.
        unsafe { dentry_data::<T>(self.dentry) }
    }
}

/// A dentry being killed, as `->d_iput()` and `->d_release()` see it:
/// `dentry_kill()` frees it (`dentry_free()`) only after `->d_release()`
/// returned.  Its superblock may be shutting down or, for a late callback,
/// gone: nothing here reaches it.  (`->d_iput()` also comes from
/// `d_delete()` on unlink, which this layer's filesystems do not offer.)
///
/// # Invariants
///
/// `dentry` is the dentry of a `->d_iput()` or `->d_release()` call of `T`'s
/// type running for `'a`, before the layer drops its data.
pub struct DyingDentry<'a, T: FileSystem> {
    dentry: *mut bindings::dentry,
    _p: CallMarker<'a, T>,
}

impl<T: FileSystem> DyingDentry<'_, T> {
    /// The data `T::dentry_data()` gave the dentry, if any.
    pub fn data(&self) -> Option<<T::DentryData as ForeignOwnable>::Borrowed<'_>> {
        // SAFETY: A dentry of `T`'s type; the layer drops the data only after
        // the callback returned (invariant), and `&self` ends before.
        unsafe { dentry_data::<T>(self.dentry) }
    }

    // rdcache-only {
    /// The raw `struct dentry *`, valid for the callback (rdcache's probe).
    pub(crate) fn as_raw(&self) -> *mut bindings::dentry {
        self.dentry
    }
    // } rdcache-only
}

impl<T: FileSystem> fmt::Debug for DyingDentry<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DyingDentry")
    }
}

/// What the layer keeps with each inode it makes for a [`Node`], in
/// `i_private`, from `new_inode::<T>()` to `evict_inode::<T>()`.
struct InodeInfo<T: FileSystem> {
    id: u64,
    data: Option<T::InodeData>,
}

/// The layer's record of an inode of `T`'s type (None: one it did not make
/// for a node, from `create_child()`).
///
/// # Safety
///
/// `inode` is an inode of a superblock of `T`'s type that is not evicted
/// (`evict_inode::<T>()` frees the record) before `'a` ends.
unsafe fn inode_info<'a, T: FileSystem>(inode: *const bindings::inode) -> Option<&'a InodeInfo<T>> {
    // SAFETY: `i_private` of `T`'s inodes is NULL from
    // `inode_init_always()`, or set once, before the inode is handed to
    // anything that reads it (a dentry, a lookup), to a leaked
    // `KBox<InodeInfo<T>>` (`new_inode::<T>()`); the walkers of `s_inodes`
    // that see it earlier never read `i_private`.  It is freed only at
    // eviction, after `'a` (the caller's contract).
    unsafe {
        glue::rdc_inode_private(inode)
            .cast::<InodeInfo<T>>()
            .as_ref()
    }
}

/// The data of a live inode of `T`'s type.
impl<T: FileSystem> super::Inode<T> {
    /// The data `T::inode_data()` gave the inode, if any (None for one that
    /// `DentryRef::create_child()` made).
    pub fn data(&self) -> Option<&T::InodeData> {
        // SAFETY: `Inode`'s invariant: of `T`'s type and not evicted while
        // `&self` lives.
        unsafe { inode_info::<T>(self.as_raw()) }?.data.as_ref()
    }
}

/// An inode in `->evict_inode()`, after `clear_inode()`: its pages and
/// buffers are gone, its memory is not freed for the call.  Offers its data,
/// nothing that reaches the superblock.
///
/// # Invariants
///
/// `inode` is the inode of an `->evict_inode()` call of `T`'s type running
/// for `'a`, before the layer drops its data.
pub struct EvictingInode<'a, T: FileSystem> {
    inode: *mut bindings::inode,
    _p: CallMarker<'a, T>,
}

impl<T: FileSystem> EvictingInode<'_, T> {
    /// `i_ino`.
    pub fn ino(&self) -> u64 {
        // SAFETY: The inode is not freed for the call (invariant); `i_ino` is
        // fixed before it is visible.
        unsafe { (*self.inode).i_ino }
    }

    /// The data `T::inode_data()` gave the inode, if any.
    pub fn data(&self) -> Option<&T::InodeData> {
        // SAFETY: An inode of `T`'s type whose record the layer frees only
        // after the callback returned (invariant).
        unsafe { inode_info::<T>(self.inode) }?.data.as_ref()
    }
}

/// The longest name [`FileSystem::child`] may produce.
pub const CHILD_NAME_MAX: usize = 64;

/// The most options ([`FileSystem::PARAMS`]) a type may have.
pub const MAX_PARAMS: usize = 16;

/// A read-only filesystem type.
pub trait FileSystem: Sized + 'static {
    /// The type's name (`mount -t`).
    const NAME: &'static CStr;
    /// `s_magic`.
    const MAGIC: u32;
    /// Names of the mount options, all decimal `u32`s; `set_param` gets the
    /// index.  At most [`MAX_PARAMS`]; registration fails with `EINVAL`
    /// otherwise.
    const PARAMS: &'static [&'static CStr];
    /// Mount options being collected.
    type Options: Default + Send;
    /// Per-superblock state.
    type Data: Send + Sync;
    /// Per-dentry data, kept in `d_fsdata` from [`Self::dentry_data`] until
    /// the layer drops it right after [`Self::d_release`]: `()`, a
    /// [`DentryWord`], a `KBox` or an `Arc`.  Its `Drop` runs in
    /// `->d_release()`'s context (see [`Self::d_iput`]).
    type DentryData: ForeignOwnable + Send + Sync + 'static;
    /// Per-inode data of the inodes the layer makes for nodes, from
    /// [`Self::inode_data`] until the layer drops it right after
    /// [`Self::evict_inode`], in the same context.
    type InodeData: Send + Sync + 'static;

    /// Takes option number `opt` (an index into `PARAMS`).  Reject bad values
    /// with [`FsContext::invalf`], which logs them against the mount.
    fn set_param(fc: &FsContext<'_>, opts: &mut Self::Options, opt: usize, value: u32) -> Result;
    /// Checks the options as a whole once all are in (`->get_tree()`, before
    /// a superblock is made).  Reject with [`FsContext::invalf`], so that the
    /// reason reaches the `fsconfig()` log too.
    fn validate(_fc: &FsContext<'_>, _opts: &Self::Options) -> Result {
        Ok(())
    }
    /// Sets up a new superblock's state from the options.  May sleep.
    fn fill_super(opts: &Self::Options) -> Result<Self::Data>;
    /// The root directory.
    fn root(data: &Self::Data) -> Node;
    /// The child `name` of directory `dir`, if it exists.  May sleep.
    ///
    /// Runs with `dir`'s `i_rwsem` held: shared, `name`'s dentry pending
    /// (`lookup_slow()`, `d_alloc_parallel()`), or exclusive (the lookups of
    /// unlink, mkdir, rename, an `O_CREAT` open), as do the
    /// [`Self::dentry_data`] and [`Self::inode_data`] of the lookup: a
    /// [`DentryRef::lookup`](super::DentryRef::lookup) or
    /// [`DentryRef::create_child`](super::DentryRef::create_child) on this
    /// superblock made in them could wait for this task itself (the same
    /// name in `d_wait_lookup()`, `inode_lock()` behind its own read hold, a
    /// second read hold behind a queued writer), so the layer refuses those
    /// there, with a `WARN` naming the rule, and `EDEADLK`.  What it cannot
    /// see is left to the filesystem: waiting here for another task that
    /// takes this directory's `i_rwsem` deadlocks too.
    fn lookup(data: &Self::Data, dir: u64, name: &[u8]) -> Option<Node>;
    /// The `index`-th child of `dir`: its name written to `name` (its length
    /// returned) and its node.  A length over [`CHILD_NAME_MAX`] is clamped
    /// to it; an empty name, or one with a `/`, ends the listing with `EIO`.
    /// Runs with `dir`'s `i_rwsem` held shared (`iterate_dir()`): the same
    /// calls as in [`Self::lookup`] are refused in it.
    fn child(
        data: &Self::Data,
        dir: u64,
        index: u64,
        name: &mut [u8; CHILD_NAME_MAX],
    ) -> Option<(usize, Node)>;
    /// The contents of file `file`, written to `buf`; returns the length,
    /// which is clamped to `buf`'s.
    fn read(data: &Self::Data, file: u64, buf: &mut [u8]) -> usize;
    /// The data of a dentry just looked up (`node` None: a negative one), or
    /// of the root (from `fill_super`).  An error fails the lookup or the
    /// mount.  May sleep.  The default gives none.
    fn dentry_data(_data: &Self::Data, _node: Option<&Node>) -> Result<Option<Self::DentryData>> {
        Ok(None)
    }
    /// The data of an inode the layer has just made for `node`: called only
    /// once the inode exists, so each call is matched by one
    /// [`Self::evict_inode`] of it (also after an error, which fails the
    /// lookup or the mount).  May sleep.  The default gives none.
    fn inode_data(_data: &Self::Data, _node: &Node) -> Result<Option<Self::InodeData>> {
        Ok(None)
    }
    /// `->d_delete()`: whether `dentry`, now unused, should be killed rather
    /// than cached.  Runs under the dentry's `d_lock`: must not sleep, nor
    /// drop anything whose drop may (`might_sleep()` reports it).  May
    /// come late and under `s_umount` (see [`Self::d_iput`]).  Layer calls
    /// that may take a `d_lock` or `i_lock` (a lookup, a put, a drop of a
    /// reference or a pin, a guard) are refused in it, with a `WARN` naming
    /// the rule, as under a dentry guard: they would nest under this
    /// `d_lock`.  The default caches everything.
    fn d_delete(_dentry: &DeletingDentry<'_, Self>) -> bool {
        false
    }
    /// `->d_iput()`: the dentry is losing its inode (the layer then
    /// `iput()`s it).  The dentry is dying: the callbacks below must not
    /// wait for it to be gone, so they must not evict its ancestors
    /// (`shrink_dcache_parent()`, `d_invalidate()` wait for dying children)
    /// nor unmount its superblock (umount waits too).
    ///
    /// It and [`Self::d_release`], [`Self::evict_inode`] and the `Drop` of
    /// [`Self::DentryData`] and [`Self::InodeData`] run in whatever context
    /// dropped the dentry or inode: under `s_umount` held for writing
    /// (umount's `->kill_sb()`), held shared (the memory shrinker), or
    /// neither; and, for an object leaked past umount, after `->kill_sb()`.
    // rdcache-only {
    /// (With rdcache's fallback for kernels that keep `dput_to_list()` to
    /// `fs/`, `ShrinkList::shrink()`'s deferred `dput()` holds it shared too.)
    // } rdcache-only
    ///
    /// Any of these may run with a directory's `i_rwsem` of the superblock
    /// held (a failed lookup's dentry is killed under it in
    /// `__lookup_slow()`, unlink's negative one in `lookup_one_qstr_excl()`,
    /// reclaim prunes dentries and inodes under it in `d_alloc()`), which
    /// the layer cannot tell from a run without one: so a
    /// [`DentryRef::lookup`](super::DentryRef::lookup) or
    /// [`DentryRef::create_child`](super::DentryRef::create_child) on this
    /// superblock is refused in them, as in [`Self::lookup`] (when memory
    /// is short the layer may run one unlisted, and such a call then goes
    /// through).
    ///
    /// So they must not take `s_umount`, nor drop an
    /// [`ActiveSuper`](super::ActiveSuper) (which may be the last, whose
    /// `deactivate_super()` takes `s_umount` for writing and would wait for
    /// itself), nor wait for anything `->kill_sb()` does.  The types cannot
    /// say this: data that owns an `ActiveSuper` is a pin cycle as well.
    fn d_iput(_dentry: &DyingDentry<'_, Self>) {}
    /// `->d_release()`: the dentry is about to be freed; the layer then
    /// drops its data.  May sleep.  Context as for [`Self::d_iput`].
    fn d_release(_dentry: &DyingDentry<'_, Self>) {}
    /// `->evict_inode()`, after `clear_inode()`, for every inode of the
    /// superblock, those without data (`DentryRef::create_child()`'s)
    /// included; the layer then drops the inode's data.  Context as for
    /// [`Self::d_iput`].
    fn evict_inode(_inode: &EvictingInode<'_, Self>) {}
    /// The superblock is set up (its root is in place; it is not yet
    /// visible).  `sb` may be kept, e.g. by workers: its
    /// [`WeakSuper::try_activate`] fails once `->kill_sb()` begins.  An error
    /// fails the mount; `->kill_sb()` then runs as for any other failure.
    fn mounted(_data: &Self::Data, _sb: WeakSuper<Self>) -> Result {
        Ok(())
    }
    /// `->kill_sb()` begins; the superblock is still whole.
    fn kill_sb_begin(data: &Self::Data);
    /// `->kill_sb()` ends: `generic_shutdown_super()` has returned, every
    /// dentry and inode of the superblock should be gone.
    fn kill_sb_end(data: Self::Data);
}

/// A mount being configured (`struct fs_context`), during `set_param` or
/// `validate`.
///
/// # Invariants
///
/// `fc` is the live context of the callback running for `'a`.
pub struct FsContext<'a> {
    fc: *mut bindings::fs_context,
    _p: PhantomData<&'a ()>,
}

impl FsContext<'_> {
    /// Logs `msg` against the mount (the kernel log for `mount(2)`, the
    /// `fsconfig()` log otherwise) and returns `EINVAL` to return.
    pub fn invalf(&self, msg: fmt::Arguments<'_>) -> Error {
        if let Ok(msg) = CString::try_from_fmt(msg) {
            // SAFETY: `fc` is the live context of this callback; `msg` is NUL-terminated.
            unsafe { glue::rdc_fc_invalf(self.fc, msg.as_char_ptr()) };
        }
        EINVAL
    }
}

/// Mirror of `struct rust_fs_type` in the C helper (`helpers/fs_type.c`).
#[repr(C)]
pub(crate) struct RawFsType {
    pub(crate) fst: bindings::file_system_type,
    pub(crate) ops: *const RawFsOps,
}

/// Mirror of `struct rust_fs_ops` in the C helper (`helpers/fs_type.c`).
#[repr(C)]
pub(crate) struct RawFsOps {
    pub(crate) nparams: ffi::c_uint,
    pub(crate) param_name: Option<unsafe extern "C" fn(ffi::c_uint) -> *const ffi::c_char>,
    pub(crate) opts_alloc: Option<unsafe extern "C" fn() -> *mut c_void>,
    pub(crate) opts_free: Option<unsafe extern "C" fn(*mut c_void)>,
    pub(crate) set_param: Option<
        unsafe extern "C" fn(
            *mut bindings::fs_context,
            *mut c_void,
            ffi::c_uint,
            u32,
        ) -> ffi::c_int,
    >,
    pub(crate) validate:
        Option<unsafe extern "C" fn(*mut bindings::fs_context, *mut c_void) -> ffi::c_int>,
    pub(crate) fill_super:
        Option<unsafe extern "C" fn(*mut bindings::super_block, *mut c_void) -> ffi::c_int>,
}

/// Never registered.
const UNUSED: u32 = 0;
/// Being filled in and registered by the one [`Registration::new`] that
/// claimed it: not to be read yet.
const INIT: u32 = 1;
/// Registered by a live [`Registration`]: filled in, read-only.
const REGISTERED: u32 = 2;
/// Unregistered (or its registration failed); never registered again.
const DONE: u32 = 3;

/// The static storage of `T`'s `file_system_type`.
///
/// Declare one per filesystem, `static TYPE: Type<MyFs> = Type::new();`,
/// and register it with [`Registration::new`].
///
/// # Invariants
///
/// `t` is written only by the one [`Registration::new`] that moved `state`
/// from `UNUSED` to `INIT`, before `register_filesystem()`; from then on the
/// VFS and this layer only read it.  `state` becomes `REGISTERED` (with
/// `Release`, after the writes and the registration) exactly while `t` is
/// registered by a live [`Registration`].
pub struct Type<T: FileSystem> {
    t: Opaque<RawFsType>,
    state: Atomic<u32>,
    _p: PhantomData<fn(T) -> T>,
}

// SAFETY: After its one initialisation `t` is only read (invariant); `state` is atomic.
unsafe impl<T: FileSystem> Sync for Type<T> {}

impl<T: FileSystem> Type<T> {
    /// Storage for `T`'s type, filled in by its registration.
    #[expect(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self {
            t: Opaque::zeroed(),
            state: Atomic::new(UNUSED),
            _p: PhantomData,
        }
    }

    /// Whether a live [`Registration`] holds the type registered.
    pub fn is_registered(&self) -> bool {
        self.state.load(Acquire) == REGISTERED
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::file_system_type {
        // `fst` is the first field of the `repr(C)` `RawFsType`.
        self.t.get().cast()
    }
}

/// A registered filesystem type.
///
/// Dropping it unregisters the type; superblocks of the type that still
/// exist keep working (their `s_type` is the static [`Type`]) and keep the
/// owner module loaded.
///
/// # Invariants
///
/// `ty` is registered, with `state` `REGISTERED`, from [`Registration::new`]
/// until drop.
pub struct Registration<T: FileSystem> {
    ty: &'static Type<T>,
}

impl<T: FileSystem> Registration<T> {
    /// Registers `ty`, owned by `module`.  `EBUSY` if `ty` was registered
    /// before (in this module's lifetime), or if another type has `T::NAME`;
    /// `EINVAL` for more than [`MAX_PARAMS`] options, or a name that is empty
    /// or has a `.` (`register_filesystem()` would `BUG()` on it).
    pub fn new(ty: &'static Type<T>, module: &'static ThisModule) -> Result<Self> {
        let name = T::NAME.to_str().unwrap_or("?");
        if T::PARAMS.len() > MAX_PARAMS {
            pr_err!(
                "{name}: {} mount options, more than {MAX_PARAMS}\n",
                T::PARAMS.len()
            );
            return Err(EINVAL);
        }
        let bytes = T::NAME.to_bytes();
        if bytes.is_empty() || bytes.contains(&b'.') {
            pr_err!("filesystem type name '{name}' is empty or has a '.'\n");
            return Err(EINVAL);
        }
        if ty.state.cmpxchg(UNUSED, INIT, Relaxed).is_err() {
            pr_err!("{name}: its file_system_type was registered once already\n");
            return Err(EBUSY);
        }
        let ptr = ty.t.get();
        // SAFETY: We moved `state` from `UNUSED` to `INIT`, so `t` is ours to
        // write and nothing reads it yet (invariant: `is_registered()` is
        // false until the `Release` below); a static is valid for writes.
        unsafe {
            (*ptr).fst.name = T::NAME.as_char_ptr();
            (*ptr).fst.owner = module.as_ptr();
            (*ptr).fst.kill_sb = Some(kill_sb::<T>);
            (*ptr).ops = &Ops::<T>::FS_OPS;
        }
        // SAFETY: `t` is filled in (above) and static.
        let r = to_result(unsafe { glue::rdc_fs_type_init(ty.as_raw()) })
            // SAFETY: Filled in and static: it outlives any use the VFS makes of it.
            .and_then(|()| to_result(unsafe { bindings::register_filesystem(ty.as_raw()) }));
        if let Err(e) = r {
            ty.state.store(DONE, Release);
            pr_err!("{name}: registration failed ({e:?})\n");
            return Err(e);
        }
        // INVARIANT: Filled in and registered: publish it.
        ty.state.store(REGISTERED, Release);
        Ok(Self { ty })
    }
}

impl<T: FileSystem> Drop for Registration<T> {
    /// `unregister_filesystem()`: sleeps (its `synchronize_rcu()`, fs/filesystems.c).
    fn drop(&mut self) {
        kernel::task::might_sleep();
        self.ty.state.store(DONE, Release);
        // SAFETY: Registered (invariant).  The static type stays valid for
        // the superblocks that may still use it.
        unsafe { bindings::unregister_filesystem(self.ty.as_raw()) };
    }
}

/// The operation tables of `T`.
struct Ops<T>(PhantomData<T>);

impl<T: FileSystem> Ops<T> {
    const FS_OPS: RawFsOps = RawFsOps {
        // At most `MAX_PARAMS` (checked by `Registration::new`), so it fits.
        nparams: T::PARAMS.len() as ffi::c_uint,
        param_name: Some(param_name::<T>),
        opts_alloc: Some(opts_alloc::<T>),
        opts_free: Some(opts_free::<T>),
        set_param: Some(set_param::<T>),
        validate: Some(validate::<T>),
        fill_super: Some(fill_super::<T>),
    };
    const SUPER: bindings::super_operations = bindings::super_operations {
        evict_inode: Some(evict_inode::<T>),
        drop_inode: Some(bindings::inode_just_drop),
        statfs: Some(bindings::simple_statfs),
        ..pin_init::zeroed()
    };
    const DENTRY: bindings::dentry_operations = bindings::dentry_operations {
        d_release: Some(d_release::<T>),
        d_iput: Some(d_iput::<T>),
        d_delete: Some(d_delete::<T>),
        ..pin_init::zeroed()
    };
    const DIR_INODE: bindings::inode_operations = bindings::inode_operations {
        lookup: Some(lookup::<T>),
        ..pin_init::zeroed()
    };
    const DIR_FILE: bindings::file_operations = bindings::file_operations {
        llseek: Some(bindings::generic_file_llseek),
        read: Some(bindings::generic_read_dir),
        iterate_shared: Some(iterate_shared::<T>),
        ..pin_init::zeroed()
    };
    const FILE: bindings::file_operations = bindings::file_operations {
        llseek: Some(bindings::generic_file_llseek),
        read_iter: Some(read_iter::<T>),
        ..pin_init::zeroed()
    };
}

/// What `s_fs_info` points to.
struct SbInfo<T: FileSystem> {
    data: T::Data,
    weak: WeakSuper<T>,
}

impl<T: FileSystem> super::ActiveSuper<T> {
    /// A [`WeakSuper`] of the pinned superblock: a handle that may outlive
    /// it, and pins it again only while it is up.  Never sleeps.
    pub fn weak(&self) -> WeakSuper<T> {
        // SAFETY: `ActiveSuper`'s invariant: a born superblock of `T`'s
        // type, so `T`'s `fill_super` (`fill_super::<T>` below) succeeded,
        // and every path of it that succeeds has set `s_fs_info` to our
        // `SbInfo<T>` (`rdc_sb_setup()`); the active reference keeps
        // `->kill_sb()`, which takes it back and frees it, from starting
        // while `&self` lives.
        unsafe {
            (*glue::rdc_sb_fs_info(self.sb().as_raw()).cast::<SbInfo<T>>())
                .weak
                .clone()
        }
    }
}

/// The superblock's data.
///
/// # Safety
///
/// `sb` is a superblock of type `T` between `fill_super` and the end of
/// `->kill_sb()`, with `s_fs_info` set, and the reference does not outlive that.
unsafe fn data<'a, T: FileSystem>(sb: *const bindings::super_block) -> &'a T::Data {
    // SAFETY: Per the function's contract `s_fs_info` is our boxed `SbInfo<T>`.
    unsafe { &(*glue::rdc_sb_fs_info(sb).cast::<SbInfo<T>>()).data }
}

/// A new inode for `node` on `sb`, with its [`InodeInfo`] and its data.
/// May sleep.
///
/// # Safety
///
/// `sb` is a live superblock of type `T` with its data set.
unsafe fn new_inode<T: FileSystem>(
    sb: *mut bindings::super_block,
    node: &Node,
) -> Result<*mut bindings::inode> {
    // SAFETY: Per the contract.
    let d = unsafe { data::<T>(sb) };
    let (mode, iops, fops): (
        u32,
        *const bindings::inode_operations,
        *const bindings::file_operations,
    ) = if node.dir {
        (
            bindings::S_IFDIR | 0o555,
            &Ops::<T>::DIR_INODE,
            &Ops::<T>::DIR_FILE,
        )
    } else {
        (
            bindings::S_IFREG | 0o444,
            core::ptr::null(),
            &Ops::<T>::FILE,
        )
    };
    // `i_size` is a signed `loff_t`: a size from the filesystem past
    // `i64::MAX` is clamped, never wrapped negative.
    let size = if node.dir {
        0
    } else {
        bindings::loff_t::try_from(node.size).unwrap_or(bindings::loff_t::MAX)
    };
    let info = KBox::into_raw(KBox::new(
        InodeInfo::<T> {
            id: node.id,
            data: None,
        },
        GFP_KERNEL,
    )?);
    // SAFETY: `sb` is live; the tables are `'static`; the mode fits
    // `umode_t`; `info` is handed over (freed by `evict_inode::<T>()`).
    let inode = unsafe {
        glue::rdc_make_inode(sb, mode as bindings::umode_t, info.cast(), size, iops, fops)
    };
    if inode.is_null() {
        // SAFETY: Not handed over: ours again, from `KBox::into_raw()` above.
        drop(unsafe { KBox::from_raw(info) });
        return Err(ENOMEM);
    }
    match T::inode_data(d, node) {
        Ok(data) => {
            // SAFETY: `info` is the new inode's record; nothing else reads it
            // until the inode is visible, which is after this returns.
            unsafe { (*info).data = data };
            Ok(inode)
        }
        Err(e) => {
            // SAFETY: The new inode's only reference; its eviction frees `info`.
            unsafe { bindings::iput(inode) };
            Err(e)
        }
    }
}

/// `struct rust_fs_ops`'s `param_name`: the name of option `i`, or null past the last.
///
/// # Safety
///
/// Only the C side calls it, as that callback; `T` is the type it was
/// registered for.
unsafe extern "C" fn param_name<T: FileSystem>(i: ffi::c_uint) -> *const ffi::c_char {
    T::PARAMS
        .get(i as usize)
        .map_or(core::ptr::null(), |n| n.as_char_ptr())
}

/// `struct rust_fs_ops`'s `opts_alloc`: a new `T::Options` for a mount being configured.
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn opts_alloc<T: FileSystem>() -> *mut c_void {
    match KBox::new(T::Options::default(), GFP_KERNEL) {
        Ok(b) => KBox::into_raw(b).cast(),
        Err(_) => core::ptr::null_mut(),
    }
}

/// `struct rust_fs_ops`'s `opts_free`: frees what `opts_alloc::<T>()` returned.
///
/// # Safety
///
/// `opts` came from `opts_alloc::<T>()` and is not used again.
unsafe extern "C" fn opts_free<T: FileSystem>(opts: *mut c_void) {
    // SAFETY: `opts` came from `opts_alloc::<T>()` and is freed once, here.
    drop(unsafe { KBox::from_raw(opts.cast::<T::Options>()) });
}

/// `struct rust_fs_ops`'s `set_param`: one option parsed by `fs_parse()`.
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn set_param<T: FileSystem>(
    fc: *mut bindings::fs_context,
    opts: *mut c_void,
    opt: ffi::c_uint,
    value: u32,
) -> ffi::c_int {
    let ctx = FsContext {
        fc,
        _p: PhantomData,
    };
    // SAFETY: This mount's options from `opts_alloc::<T>()`, used by one thread.
    let opts = unsafe { &mut *opts.cast::<T::Options>() };
    match T::set_param(&ctx, opts, opt as usize, value) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `struct rust_fs_ops`'s `validate`: the options as a whole, before `get_tree_nodev()`.
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn validate<T: FileSystem>(
    fc: *mut bindings::fs_context,
    opts: *mut c_void,
) -> ffi::c_int {
    let ctx = FsContext {
        fc,
        _p: PhantomData,
    };
    // SAFETY: This mount's options from `opts_alloc::<T>()`, used by one thread.
    let opts = unsafe { &*opts.cast::<T::Options>() };
    match T::validate(&ctx, opts) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `struct rust_fs_ops`'s `fill_super`: sets up a new superblock (`get_tree_nodev()`).
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn fill_super<T: FileSystem>(
    sb: *mut bindings::super_block,
    opts: *mut c_void,
) -> ffi::c_int {
    // SAFETY: `opts` is the mount's options from `opts_alloc::<T>()`.
    let opts = unsafe { &*opts.cast::<T::Options>() };
    // Everything that can fail comes before `T::fill_super()`: once it made
    // the data, only `->kill_sb()` (via `s_fs_info`) may consume it.
    // SAFETY: `sb` is live; `kill_sb::<T>()` clears the anchor before it is freed.
    let weak = match unsafe { WeakSuper::new(sb) } {
        Ok(w) => w,
        Err(e) => return mount_failed::<T>(e, "no memory for the superblock anchor"),
    };
    let slot = match KBox::<SbInfo<T>>::new_uninit(GFP_KERNEL) {
        Ok(s) => s,
        Err(_) => {
            weak.clear();
            return mount_failed::<T>(ENOMEM, "no memory for the superblock's data");
        }
    };
    let fs_data = match T::fill_super(opts) {
        Ok(d) => d,
        Err(e) => {
            weak.clear();
            return e.to_errno();
        }
    };
    let info = KBox::write(
        slot,
        SbInfo::<T> {
            data: fs_data,
            weak,
        },
    );
    let root = T::root(&info.data);
    let weak = info.weak.clone();
    // SAFETY: The new superblock; `->kill_sb()` frees the data; the tables are `'static`.
    unsafe {
        glue::rdc_sb_setup(
            sb,
            T::MAGIC as ffi::c_ulong,
            KBox::into_raw(info).cast(),
            &Ops::<T>::SUPER,
            &Ops::<T>::DENTRY,
        )
    };
    // `d_make_root()` below wants a directory: a root that is a file would
    // only fail later, in `graft_tree()`, for every mount of it.
    if !root.dir {
        return mount_failed::<T>(EINVAL, "root() gave a node that is not a directory");
    }
    // SAFETY: `sb` has its data now.
    let inode = match unsafe { new_inode::<T>(sb, &root) } {
        Ok(i) => i,
        Err(e) => return mount_failed::<T>(e, "no root inode"),
    };
    // SAFETY: `sb` has its data.
    let root_data = match T::dentry_data(unsafe { data::<T>(sb) }, Some(&root)) {
        Ok(r) => r,
        Err(e) => {
            // SAFETY: The new inode's only reference; nothing else has it.
            unsafe { bindings::iput(inode) };
            return mount_failed::<T>(e, "no data for the root dentry");
        }
    };
    // SAFETY: `inode` is a new directory inode (`root.dir`, checked above,
    // and `new_inode()` gives it `S_IFDIR`); `d_make_root()` consumes it.
    let dentry = unsafe { bindings::d_make_root(inode) };
    if dentry.is_null() {
        return mount_failed::<T>(ENOMEM, "no memory for the root dentry");
    }
    if let Some(r) = root_data {
        // SAFETY: The new root is ours until `s_root` publishes it, and no
        // data was set on it; `d_release::<T>()` takes this back.
        unsafe { glue::rdc_d_set_fsdata(dentry, r.into_foreign()) };
    }
    // SAFETY: Setting `s_root` is `fill_super`'s job.
    unsafe { (*sb).s_root = dentry };
    // SAFETY: `sb` has its data.
    match T::mounted(unsafe { data::<T>(sb) }, weak) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Logs why a mount failed in the layer; returns the errno for the VFS.
/// What the superblock got so far is undone by `->kill_sb()`.
fn mount_failed<T: FileSystem>(e: Error, why: &str) -> ffi::c_int {
    pr_err!(
        "{}: mount failed: {why} ({e:?})\n",
        T::NAME.to_str().unwrap_or("?")
    );
    e.to_errno()
}

/// Runs `f`, a callback of ours that the VFS may call with a directory's
/// `i_rwsem` of `sb` held (`->lookup()`, `->iterate_shared()`, and the
/// teardown callbacks, see `rdc_dir_callback_run()`), with the running task
/// listed as in one: in it, [`DentryRef::lookup`] and
/// [`DentryRef::create_child`] on `sb` are refused, as they could wait for
/// the task itself.  The record is allocated (`may_wait`: with
/// `GFP_KERNEL`, else without waiting); `Err(f)`, `f` not run, if that
/// failed.
///
/// [`DentryRef::lookup`]: super::DentryRef::lookup
/// [`DentryRef::create_child`]: super::DentryRef::create_child
fn in_dir_callback<R, F: FnOnce() -> R>(
    sb: *const bindings::super_block,
    may_wait: bool,
    f: F,
) -> core::result::Result<R, F> {
    /// Runs the closure of the `(Option<F>, Option<R>)` behind `p` once,
    /// keeping its result there.
    ///
    /// # Safety
    ///
    /// `p` points to a live `(Option<F>, Option<R>)` that nothing else uses
    /// during the call.
    unsafe extern "C" fn run<R, F: FnOnce() -> R>(p: *mut c_void) {
        // SAFETY: Per the function's contract.
        let (f, out) = unsafe { &mut *p.cast::<(Option<F>, Option<R>)>() };
        *out = f.take().map(|f| f());
    }
    let mut call: (Option<F>, Option<R>) = (Some(f), None);
    // SAFETY: `run::<R, F>` gets the `(Option<F>, Option<R>)` it expects,
    // which nothing else uses until `rdc_dir_callback_run()` returns; that
    // calls it at most once, in this task, before returning.  `sb` is only
    // compared.
    unsafe { glue::rdc_dir_callback_run(sb, may_wait, Some(run::<R, F>), (&raw mut call).cast()) };
    match call {
        (_, Some(r)) => Ok(r),
        (Some(f), None) => Err(f),
        // `run()` takes `f` only to put its result there.
        (None, None) => unreachable!(),
    }
}

/// [`in_dir_callback`] for a teardown callback, which cannot fail: if no
/// record could be had without waiting (memory is short, and it may run in
/// reclaim), `f` runs unlisted, and its layer calls are not refused.
fn teardown_callback<F: FnOnce()>(sb: *const bindings::super_block, f: F) {
    if let Err(f) = in_dir_callback(sb, false, f) {
        f();
    }
}

/// `inode_operations.lookup` of our directories: [`lookup_in`], listed as
/// a callback under the directory's `i_rwsem` ([`in_dir_callback`]).
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn lookup<T: FileSystem>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    _flags: ffi::c_uint,
) -> *mut bindings::dentry {
    // SAFETY: The VFS calls `->lookup()` on a live directory of a live superblock.
    let sb = unsafe { (*dir).i_sb };
    // SAFETY: Called as `->lookup()` (this function's contract), as
    // `lookup_in()` requires, and within this call.
    in_dir_callback(sb, true, || unsafe { lookup_in::<T>(dir, dentry) })
        .unwrap_or_else(|_| ENOMEM.to_ptr())
}

/// The body of [`lookup`].
///
/// # Safety
///
/// As for [`lookup`]: called from it, within its call.
unsafe fn lookup_in<T: FileSystem>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> *mut bindings::dentry {
    // SAFETY: The VFS calls `->lookup()` on a live directory of a live superblock.
    let sb = unsafe { (*dir).i_sb };
    // SAFETY: As above; the superblock is one of ours with its data set.
    let d = unsafe { data::<T>(sb) };
    let mut len: ffi::c_uint = 0;
    // SAFETY: An in-lookup dentry's name is stable during the lookup.
    let name = unsafe { glue::rdc_d_name(dentry, &mut len) };
    // SAFETY: `len` bytes at `name`, valid during the call.
    let name = unsafe { core::slice::from_raw_parts(name, len as usize) };
    // SAFETY: `dir` is a live directory inode of `T`'s type (the VFS holds
    // it for the call); only `new_inode::<T>()` installs this `->lookup()`.
    let Some(dir_info) = (unsafe { inode_info::<T>(dir) }) else {
        return EIO.to_ptr();
    };
    let found = T::lookup(d, dir_info.id, name);
    match T::dentry_data(d, found.as_ref()) {
        Ok(Some(x)) => {
            // SAFETY: `dentry` is ours to set up until it is spliced in, with
            // no data yet; `d_release::<T>()` takes this back, also when the
            // lookup fails below (the VFS `dput()`s the dentry).
            unsafe { glue::rdc_d_set_fsdata(dentry, x.into_foreign()) }
        }
        Ok(None) => {}
        Err(e) => return e.to_ptr(),
    }
    let inode = match found {
        // SAFETY: `sb` is live with its data.
        Some(node) => match unsafe { new_inode::<T>(sb, &node) } {
            Ok(i) => i,
            Err(e) => return e.to_ptr(),
        },
        None => core::ptr::null_mut(),
    };
    // SAFETY: `inode` (null: negative) goes to `dentry`, handed to us for this.
    unsafe { bindings::d_splice_alias(inode, dentry) }
}

/// `file_operations.iterate_shared` of our directories: [`iterate_in`],
/// listed as a callback under the directory's `i_rwsem`
/// ([`in_dir_callback`]).
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn iterate_shared<T: FileSystem>(
    file: *mut bindings::file,
    ctx: *mut bindings::dir_context,
) -> ffi::c_int {
    // SAFETY: `file` is an open directory of ours, so its inode and
    // superblock are live.
    let sb = unsafe { (*glue::rdc_file_inode(file)).i_sb };
    // SAFETY: Called as `->iterate_shared()` (this function's contract), as
    // `iterate_in()` requires, and within this call.
    in_dir_callback(sb, true, || unsafe { iterate_in::<T>(file, ctx) })
        .unwrap_or_else(|_| ENOMEM.to_errno())
}

/// The body of [`iterate_shared`].
///
/// # Safety
///
/// As for [`iterate_shared`]: called from it, within its call.
unsafe fn iterate_in<T: FileSystem>(
    file: *mut bindings::file,
    ctx: *mut bindings::dir_context,
) -> ffi::c_int {
    // SAFETY: `file` is an open directory of ours, `ctx` its iteration context.
    if !unsafe { glue::rdc_dir_emit_dots(file, ctx) } {
        return 0;
    }
    // SAFETY: As above.
    let inode = unsafe { glue::rdc_file_inode(file) };
    // SAFETY: An open file keeps its inode and superblock live.
    let d = unsafe { data::<T>((*inode).i_sb) };
    // SAFETY: An open directory of `T`'s type keeps its inode from eviction;
    // only `new_inode::<T>()` installs these operations.
    let Some(dir) = (unsafe { inode_info::<T>(inode) }).map(|i| i.id) else {
        return EIO.to_errno();
    };
    let mut name = [0u8; CHILD_NAME_MAX];
    loop {
        // SAFETY: `ctx` is live for the call.
        let pos = unsafe { glue::rdc_dir_pos(ctx) };
        let Some((len, node)) = T::child(d, dir, (pos - 2) as u64, &mut name) else {
            return 0;
        };
        // The length comes from the filesystem: clamp it to the buffer, and
        // refuse what `verify_dirent_name()` would (`fs/readdir.c`).
        let Some(name) = emit_name(&name, len) else {
            pr_warn!(
                "{}: child() of directory {dir:#x} gave an empty name or one with '/'\n",
                T::NAME.to_str().unwrap_or("?")
            );
            return EIO.to_errno();
        };
        let ino = node.id | 1 << 63;
        // `name.len() <= CHILD_NAME_MAX`, so the cast cannot truncate.
        let len = name.len() as ffi::c_int;
        // SAFETY: `name` is `len` valid bytes; `ctx` is live.
        if !unsafe { glue::rdc_dir_emit(ctx, name.as_ptr().cast(), len, ino, node.dir) } {
            return 0;
        }
        // SAFETY: `ctx` is live.
        unsafe { glue::rdc_dir_set_pos(ctx, pos + 1) };
    }
}

/// The name a [`FileSystem::child`] returned, as `dir_emit()` may see it:
/// `len` clamped to the buffer, `None` if it is empty or holds a `/`.
fn emit_name(buf: &[u8; CHILD_NAME_MAX], len: usize) -> Option<&[u8]> {
    let name = &buf[..len.min(CHILD_NAME_MAX)];
    (!name.is_empty() && !name.contains(&b'/')).then_some(name)
}

/// `file_operations.read_iter` of our files.
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn read_iter<T: FileSystem>(
    iocb: *mut bindings::kiocb,
    to: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: `iocb` is a live read on an open file of ours.
    let inode = unsafe { glue::rdc_file_inode((*iocb).ki_filp) };
    // SAFETY: An open file keeps its inode and superblock live.
    let d = unsafe { data::<T>((*inode).i_sb) };
    // SAFETY: As in `iterate_shared::<T>()`: an open file of ours.
    let Some(id) = (unsafe { inode_info::<T>(inode) }).map(|i| i.id) else {
        return EIO.to_errno() as isize;
    };
    let mut buf = [0u8; 256];
    let len = T::read(d, id, &mut buf).min(buf.len());
    // SAFETY: `buf[..len]` is valid; `iocb` and `to` are live.
    unsafe { glue::rdc_read_iter_buffer(iocb, to, buf.as_ptr().cast(), len) }
}

/// `dentry_operations.d_delete`: asks `T` whether to cache the dentry.
///
/// # Safety
///
/// Only the C side calls it, as that callback (under the dentry's
/// `d_lock`, from `retain_dentry()`); `T` is the type the callback was
/// registered for.
// rdcache-only {
/// (With rdcache's fallback, also from `rdc_dput_last_to_list()`, under
/// `d_lock` as well.)
// } rdcache-only
unsafe extern "C" fn d_delete<T: FileSystem>(dentry: *const bindings::dentry) -> ffi::c_int {
    // INVARIANT: The dentry of this `->d_delete()`, under its `d_lock`
    // (`retain_dentry()` calls it only with `locked`), whose count is 0, not
    // dead: `lockref_mark_dead()` in `lock_for_kill()` needs `d_lock`, so
    // `dentry_kill()` has not begun.
    let deleting = DeletingDentry::<T> {
        dentry,
        _p: PhantomData,
    };
    // Layer calls that may take a `d_lock` are refused inside the callback
    // (`may_lock()`): one would nest under this `d_lock`.
    // SAFETY: `d_lock` is held for the whole call (`retain_dentry()`), so this
    // task stays on this CPU until the matching exit below.
    let prev = unsafe { glue::rdc_dlock_callback_enter() };
    let kill = T::d_delete(&deleting);
    // SAFETY: The matching exit, on the same CPU, with what the entry saved.
    unsafe { glue::rdc_dlock_callback_exit(prev) };
    ffi::c_int::from(kill)
}

/// `dentry_operations.d_release`: `T`'s callback, then the dentry's data is
/// dropped.
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn d_release<T: FileSystem>(dentry: *mut bindings::dentry) {
    // SAFETY: The dentry is not freed until `->d_release()` returns; `d_sb`
    // is constant (its superblock, maybe dead, is only compared).
    let sb = unsafe { (*dentry).d_sb };
    // SAFETY: Called as `->d_release()` (this function's contract), as
    // `d_release_in()` requires, and within this call.
    teardown_callback(sb, || unsafe { d_release_in::<T>(dentry) });
}

/// The body of [`d_release`], listed as a callback that may run under a
/// directory's `i_rwsem` ([`teardown_callback`]).
///
/// # Safety
///
/// As for [`d_release`]: called from it, within its call.
unsafe fn d_release_in<T: FileSystem>(dentry: *mut bindings::dentry) {
    {
        // INVARIANT: The dentry of this `->d_release()`, not freed until it
        // returns (`dentry_kill()` calls `dentry_free()` after it); the data
        // is dropped after the handle.
        let dying = DyingDentry::<T> {
            dentry,
            _p: PhantomData,
        };
        T::d_release(&dying);
    }
    // SAFETY: The dentry is not freed yet; its (maybe dead) superblock is not touched.
    let ptr = unsafe { glue::rdc_d_fsdata(dentry) };
    if !ptr.is_null() {
        // SAFETY: The last reader of `d_fsdata`: the count is dead, so no
        // `DentryRef` or `DeletingDentry` is left, and `T::d_release()`'s
        // handle is gone.  Clear it first, so that nothing can reach the
        // freed value.
        unsafe { glue::rdc_d_set_fsdata(dentry, core::ptr::null_mut()) };
        // SAFETY: `ptr` came from `T::DentryData::into_foreign()`
        // (`dentry_data::<T>()`'s reasoning), and is taken back once: here,
        // after clearing it.
        drop(unsafe { T::DentryData::from_foreign(ptr) });
    }
}

/// `dentry_operations.d_iput`.
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn d_iput<T: FileSystem>(
    dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
) {
    // SAFETY: The dentry is not freed until `->d_release()`, after this;
    // `d_sb` is constant (its superblock is only compared).
    let sb = unsafe { (*dentry).d_sb };
    // SAFETY: Called as `->d_iput()` (this function's contract), as
    // `d_iput_in()` requires, and within this call.
    teardown_callback(sb, || unsafe { d_iput_in::<T>(dentry, inode) });
}

/// The body of [`d_iput`], listed as [`d_release`]'s is.
///
/// # Safety
///
/// As for [`d_iput`]: called from it, within its call.
unsafe fn d_iput_in<T: FileSystem>(dentry: *mut bindings::dentry, inode: *mut bindings::inode) {
    {
        // INVARIANT: The dentry of this `->d_iput()`, dying (its count is
        // dead), so `->d_release()`, which drops the data, comes later.
        let dying = DyingDentry::<T> {
            dentry,
            _p: PhantomData,
        };
        T::d_iput(&dying);
    }
    // SAFETY: `->d_iput()` must drop the dentry's inode reference.
    unsafe { bindings::iput(inode) };
}

/// `super_operations.evict_inode`: `T`'s callback, then the inode's record
/// and data are dropped.
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn evict_inode<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: The inode is not freed until `evict()` returns; `i_sb` is
    // constant (its superblock is only compared).
    let sb = unsafe { (*inode).i_sb };
    // SAFETY: Called as `->evict_inode()` (this function's contract), as
    // `evict_inode_in()` requires, and within this call.
    teardown_callback(sb, || unsafe { evict_inode_in::<T>(inode) });
}

/// The body of [`evict_inode`], listed as [`d_release`]'s is.
///
/// # Safety
///
/// As for [`evict_inode`]: called from it, within its call.
unsafe fn evict_inode_in<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: `->evict_inode()` of a live inode being torn down.
    unsafe { glue::rdc_evict_inode_common(inode) };
    {
        // INVARIANT: The inode of this `->evict_inode()`, freed only after
        // `evict()` returns; the record is dropped after the handle.
        let evicting = EvictingInode::<T> {
            inode,
            _p: PhantomData,
        };
        T::evict_inode(&evicting);
    }
    // SAFETY: The inode is not freed for the call.
    let info = unsafe { glue::rdc_inode_private(inode) };
    if !info.is_null() {
        // SAFETY: As above; being evicted, the inode has no other user.
        unsafe { glue::rdc_inode_set_private(inode, core::ptr::null_mut()) };
        // SAFETY: Set by `new_inode::<T>()` from `KBox::into_raw()` (only it
        // sets `i_private` of `T`'s inodes), freed once, here.
        drop(unsafe { KBox::from_raw(info.cast::<InodeInfo<T>>()) });
    }
}

/// `file_system_type.kill_sb`.
///
/// # Safety
///
/// Only the C side calls it, as that callback, with the guarantees the VFS
/// (or the helpers' fs_context plumbing) gives it; `T` is the type the callback was registered for.
unsafe extern "C" fn kill_sb<T: FileSystem>(sb: *mut bindings::super_block) {
    // SAFETY: `->kill_sb()` gets a live superblock of ours.
    let info = unsafe { glue::rdc_sb_fs_info(sb) }.cast::<SbInfo<T>>();
    if !info.is_null() {
        // SAFETY: Set by `fill_super::<T>()` and still ours.
        let info = unsafe { &*info };
        // No new pins from here on: the superblock is about to go.
        info.weak.clear();
        T::kill_sb_begin(&info.data);
    }
    // SAFETY: Our superblocks come from `get_tree_nodev()`.
    unsafe { bindings::kill_anon_super(sb) };
    if !info.is_null() {
        // SAFETY: Ours since `fill_super::<T>()`; the shut-down sb no longer reaches it.
        let info = unsafe { KBox::from_raw(info) };
        let SbInfo { data, weak } = KBox::into_inner(info);
        drop(weak);
        T::kill_sb_end(data);
    }
}
