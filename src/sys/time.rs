//! The wall clock as systemd's src/basic/time-util.c reads and prints it: now() in microseconds of
//! CLOCK_REALTIME, and strftime(3) of a realtime stamp in local time or UTC.

use std::ffi::CString;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_usec() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// strftime(3) of a realtime stamp, local time unless `utc`.
// libc marks time_t deprecated on musl (its width changed in musl 1.2); the value is passed
// straight back to libc, so its width is whatever libc expects.
#[allow(deprecated)]
pub fn format_time(usec: u64, format: &str, utc: bool) -> String {
    let secs = (usec / 1_000_000) as libc::time_t;
    // SAFETY: tm is plain data; localtime_r/gmtime_r fill it; strftime writes at most buf.len().
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if utc {
            libc::gmtime_r(&secs, &mut tm);
        } else {
            libc::localtime_r(&secs, &mut tm);
        }
        let Ok(fmt) = CString::new(format) else {
            return String::new();
        };
        let mut buf = [0u8; 128];
        let n = libc::strftime(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), &tm);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// Realtime and monotonic microseconds of a transition.
pub type Stamp = (u64, u64);

pub fn now_stamp() -> Stamp {
    let real = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime into a timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let mono = ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000;
    (real, mono)
}
