//! getpwuid_r(3), getgrouplist(3), initgroups(3) and getaddrinfo(3) for the libraries linked into the static binary: zbus asks
//! them of a peer on the private bus socket (the groups the D-Bus spec wants with a peer's
//! credentials). Answered from the image's /etc/passwd and /etc/group through
//! [`super::accounts`], as the rest of the binary reads accounts, these definitions stand in for
//! glibc's: a static glibc's own would load the image's NSS modules, built against another glibc
//! (tests/static_binary.rs checks that none is linked). src/basic/user-util.c reads the same
//! files when NSS is not wanted.

use std::ffi::{c_char, c_int, CStr};

use super::accounts::Accounts;

/// Copy `s` with its NUL into `buf` from `*used` on; the copy's address, or None when it does
/// not fit.
///
/// # Safety
/// `buf` must be valid for `len` bytes.
unsafe fn put(buf: *mut c_char, len: usize, used: &mut usize, s: &str) -> Option<*mut c_char> {
    let bytes = s.as_bytes();
    if bytes.contains(&0) || *used + bytes.len() + 1 > len {
        return None;
    }
    let at = buf.add(*used);
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), at.cast::<u8>(), bytes.len());
    *at.add(bytes.len()) = 0;
    *used += bytes.len() + 1;
    Some(at)
}

/// getpwuid_r(3): 0 with `*result` set to `pwd` (or NULL when there is no such user), or
/// ERANGE when `buf` is too small.
///
/// # Safety
/// The arguments must be what getpwuid_r(3) requires: `pwd` and `result` writable, `buf` valid
/// for `buflen` bytes.
#[no_mangle]
pub unsafe extern "C" fn getpwuid_r(
    uid: libc::uid_t,
    pwd: *mut libc::passwd,
    buf: *mut c_char,
    buflen: usize,
    result: *mut *mut libc::passwd,
) -> c_int {
    if pwd.is_null() || buf.is_null() || result.is_null() {
        return libc::EINVAL;
    }
    *result = std::ptr::null_mut();
    let accounts = Accounts::host();
    let Some(user) = accounts.user_by_uid(uid) else {
        return 0;
    };
    let mut used = 0;
    let fields = (
        put(buf, buflen, &mut used, &user.name),
        put(buf, buflen, &mut used, "x"),
        put(buf, buflen, &mut used, ""),
        put(buf, buflen, &mut used, &user.home),
        put(buf, buflen, &mut used, &user.shell),
    );
    let (Some(name), Some(passwd), Some(gecos), Some(dir), Some(shell)) = fields else {
        return libc::ERANGE;
    };
    *pwd = libc::passwd {
        pw_name: name,
        pw_passwd: passwd,
        pw_uid: user.uid,
        pw_gid: user.gid,
        pw_gecos: gecos,
        pw_dir: dir,
        pw_shell: shell,
    };
    *result = pwd;
    0
}

/// getgrouplist(3): `group` and every group that lists `user`; the count, or -1 (with
/// `*ngroups` set to the count) when `groups` has no room for all.
///
/// # Safety
/// `user` must be a C string, `ngroups` writable and `groups` valid for `*ngroups` entries.
#[no_mangle]
pub unsafe extern "C" fn getgrouplist(
    user: *const c_char,
    group: libc::gid_t,
    groups: *mut libc::gid_t,
    ngroups: *mut c_int,
) -> c_int {
    if user.is_null() || ngroups.is_null() {
        return -1;
    }
    let name = CStr::from_ptr(user).to_string_lossy();
    let mut list = vec![group];
    for g in Accounts::host().groups {
        if g.members.iter().any(|m| *m == name) && !list.contains(&g.gid) {
            list.push(g.gid);
        }
    }
    let room = usize::try_from(*ngroups).unwrap_or(0);
    if !groups.is_null() {
        for (i, gid) in list.iter().take(room).enumerate() {
            *groups.add(i) = *gid;
        }
    }
    let count = c_int::try_from(list.len()).unwrap_or(c_int::MAX);
    *ngroups = count;
    if list.len() > room {
        -1
    } else {
        count
    }
}

/// initgroups(3): the groups getgrouplist() gives become the process's supplementary groups.
/// (glibc keeps it in one object with getgrouplist(): defining one means defining both.)
///
/// # Safety
/// `user` must be a C string.
#[no_mangle]
pub unsafe extern "C" fn initgroups(user: *const c_char, group: libc::gid_t) -> c_int {
    let mut groups = [0 as libc::gid_t; 1024];
    let mut n = groups.len() as c_int;
    if getgrouplist(user, group, groups.as_mut_ptr(), &mut n) < 0 {
        *libc::__errno_location() = libc::EINVAL;
        return -1;
    }
    libc::setgroups(usize::try_from(n).unwrap_or(0), groups.as_ptr())
}

/// getaddrinfo(3): no name is looked up. zbus can reach a bus over TCP, whose host names glibc
/// resolves through NSS; the manager only connects to unix sockets, and numeric addresses
/// (`ListenStream=127.0.0.1:80`) are parsed without it.
///
/// # Safety
/// `res` must be writable (or NULL).
#[no_mangle]
pub unsafe extern "C" fn getaddrinfo(
    _node: *const c_char,
    _service: *const c_char,
    _hints: *const libc::addrinfo,
    res: *mut *mut libc::addrinfo,
) -> c_int {
    if !res.is_null() {
        *res = std::ptr::null_mut();
    }
    libc::EAI_FAIL
}

/// freeaddrinfo(3): getaddrinfo() above never hands out a list.
///
/// # Safety
/// Always safe: there is nothing to free.
#[no_mangle]
pub unsafe extern "C" fn freeaddrinfo(_res: *mut libc::addrinfo) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_read_from_etc_passwd_and_a_small_buffer_is_erange() {
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let mut buf = vec![0 as c_char; 1024];
        let r = unsafe { getpwuid_r(0, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
        assert_eq!(r, 0);
        assert!(!result.is_null());
        let name = unsafe { CStr::from_ptr(pwd.pw_name) };
        assert_eq!(name.to_str(), Ok("root"));
        let r = unsafe { getpwuid_r(0, &mut pwd, buf.as_mut_ptr(), 3, &mut result) };
        assert_eq!(r, libc::ERANGE);
        let r = unsafe {
            getpwuid_r(
                4_000_000_000,
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        assert_eq!((r, result.is_null()), (0, true));
    }

    #[test]
    fn the_primary_group_comes_first_and_a_short_list_asks_for_more() {
        let user = std::ffi::CString::new("root").unwrap();
        let mut groups = [0 as libc::gid_t; 64];
        let mut n: c_int = 64;
        let r = unsafe { getgrouplist(user.as_ptr(), 0, groups.as_mut_ptr(), &mut n) };
        assert!(r >= 1);
        assert_eq!(groups[0], 0);
        let mut none: c_int = 0;
        let r = unsafe { getgrouplist(user.as_ptr(), 0, groups.as_mut_ptr(), &mut none) };
        assert_eq!(r, -1);
        assert!(none >= 1);
    }
}
