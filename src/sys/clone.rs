//! clone3() with `CLONE_INTO_CGROUP` (Linux 5.7): a child made as fork() makes it, but born in
//! the cgroup whose directory descriptor is given, as systemd's exec_spawn() wants its children
//! (252 writes cgroup.procs from the child; the kernel's way avoids the migration, which waits
//! for an RCU grace period, milliseconds, on every isolated spawn). glibc has no wrapper for it.
//!
//! The child returns from [`fork_into_cgroup`] as from fork(): a copy of the caller's memory with
//! one thread, in which only async-signal-safe calls may follow (glibc's fork() handlers have
//! not run: no allocation, no lock, no stdio).

use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;

/// The kernel's `struct clone_args` (include/uapi/linux/sched.h), up to `cgroup`.
#[repr(C)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// fork(), the child placed in `cgroup`: `Ok(0)` in the child, its pid in the parent.
/// ENOSYS (an older kernel, or a seccomp filter that refuses clone3, as Docker's default
/// profile did) and the other errors are the caller's to fall back from.
///
/// # Safety
/// As fork(): in a multi-threaded caller the child may only make async-signal-safe calls until
/// it execs or exits.
pub unsafe fn fork_into_cgroup(cgroup: BorrowedFd<'_>) -> Result<libc::pid_t, Errno> {
    let args = CloneArgs {
        flags: CLONE_INTO_CGROUP,
        pidfd: 0,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
        set_tid: 0,
        set_tid_size: 0,
        cgroup: cgroup.as_raw_fd() as u64,
    };
    // SAFETY: args is a valid clone_args of the size given; without CLONE_VM and with no stack
    // the child continues on its own copy of this stack, as after fork().
    let r = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r as libc::pid_t)
    }
}
