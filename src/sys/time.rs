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
