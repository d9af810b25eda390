//! Error texts as systemd prints them: glibc's strerror() wording, which this static musl binary
//! would otherwise word differently ("Not a tty" for "Inappropriate ioctl for device").

use std::io;

/// glibc's strerror() texts, which systemd's messages carry; musl and nix word some differently.
const GLIBC_ERRNO_TEXTS: &[(i32, &str)] = &[
    (libc::EPERM, "Operation not permitted"),
    (libc::ENOENT, "No such file or directory"),
    (libc::ESRCH, "No such process"),
    (libc::EIO, "Input/output error"),
    (libc::ENXIO, "No such device or address"),
    (libc::EBADF, "Bad file descriptor"),
    (libc::EAGAIN, "Resource temporarily unavailable"),
    (libc::ENOMEM, "Cannot allocate memory"),
    (libc::EACCES, "Permission denied"),
    (libc::EBUSY, "Device or resource busy"),
    (libc::EEXIST, "File exists"),
    (libc::EXDEV, "Invalid cross-device link"),
    (libc::ENODEV, "No such device"),
    (libc::ENOTDIR, "Not a directory"),
    (libc::EISDIR, "Is a directory"),
    (libc::EINVAL, "Invalid argument"),
    (libc::ETXTBSY, "Text file busy"),
    (libc::EFBIG, "File too large"),
    (libc::ENOSPC, "No space left on device"),
    (libc::EROFS, "Read-only file system"),
    (libc::EMLINK, "Too many links"),
    (libc::ENAMETOOLONG, "File name too long"),
    (libc::ENOTEMPTY, "Directory not empty"),
    (libc::ELOOP, "Too many levels of symbolic links"),
    (libc::EOPNOTSUPP, "Operation not supported"),
    (libc::EDQUOT, "Disk quota exceeded"),
    (libc::ENOTTY, "Inappropriate ioctl for device"),
    (libc::EBADFD, "File descriptor in bad state"),
    (
        libc::ESHUTDOWN,
        "Cannot send after transport endpoint shutdown",
    ),
    (libc::ECONNREFUSED, "Connection refused"),
    (libc::EADDRINUSE, "Address already in use"),
    (libc::EHOSTDOWN, "Host is down"),
    (libc::ETIMEDOUT, "Connection timed out"),
    (libc::ENOEXEC, "Exec format error"),
    (libc::EBADMSG, "Bad message"),
    (libc::ERANGE, "Numerical result out of range"),
];

/// strerror() of an I/O error as glibc words it, without Rust's "(os error N)" suffix.
pub fn text(e: &io::Error) -> String {
    let Some(n) = e.raw_os_error() else {
        return e.to_string();
    };
    GLIBC_ERRNO_TEXTS
        .iter()
        .find(|(code, _)| *code == n)
        .map(|(_, text)| text.to_string())
        .unwrap_or_else(|| nix::errno::Errno::from_raw(n).desc().to_string())
}
