//! What a long-lived manager gives back to the kernel when it is idle: the allocator's free pages
//! and the pages of its own code it is not running (systemd PID 1 does neither; it is not one
//! binary for every tool, and links a shared libc whose pages other processes share).

use std::fs;

/// Give the allocator's free pages back: loading units for a query leaves short-lived garbage
/// between the long-lived unit table entries.
pub fn release_free_memory() {
    // SAFETY: mi_collect only walks and purges mimalloc's own free lists.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// The binary is one program for every tool; the manager runs a small part of it for a long time.
/// Without the kernel's fault-around the code it never runs is never mapped, and the pages the
/// start-up touched are dropped (they come back from the page cache when used). Only read-only
/// mappings of the binary that hold no anonymous (relocated or written) page: dropping those
/// loses nothing.
pub fn trim_code_pages() {
    let Ok(smaps) = fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    let Ok(exe) = fs::read_link("/proc/self/exe") else {
        return;
    };
    let exe = exe.to_string_lossy().into_owned();
    for (start, end) in clean_readonly_mappings(&smaps, &exe) {
        // SAFETY: advice on a read-only file mapping of our own binary without anonymous pages;
        // its pages are reloaded from the file on the next access.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_RANDOM);
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
        }
    }
}

/// The address ranges of `exe`'s read-only mappings (code and constants) whose `Anonymous:`
/// count in /proc/self/smaps is zero.
fn clean_readonly_mappings(smaps: &str, exe: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let Some(kb) = line.strip_prefix("Anonymous:") {
            if let Some(range) = current.take() {
                if kb.trim().trim_end_matches("kB").trim() == "0" {
                    found.push(range);
                }
            }
            continue;
        }
        // A mapping's header: "start-end perms offset dev inode path".
        let Some((start, end)) = fields.first().and_then(|r| r.split_once('-')) else {
            continue;
        };
        if fields.len() < 6 || fields[1].starts_with("rw") || !fields[1].starts_with('r') {
            current = None;
            continue;
        }
        let (Ok(start), Ok(end)) = (
            usize::from_str_radix(start, 16),
            usize::from_str_radix(end, 16),
        ) else {
            current = None;
            continue;
        };
        current = (fields[5] == exe).then_some((start, end));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clean_read_only_mappings_of_the_binary_are_trimmed() {
        let smaps = "\
1000-2000 r--p 00000000 08:01 7 /usr/bin/systemctl
Size: 4 kB
Anonymous: 0 kB
2000-5000 r-xp 00001000 08:01 7 /usr/bin/systemctl
Anonymous: 0 kB
5000-6000 r--p 00004000 08:01 7 /usr/bin/systemctl
Anonymous: 4 kB
6000-7000 rw-p 00005000 08:01 7 /usr/bin/systemctl
Anonymous: 0 kB
7000-8000 r-xp 00000000 08:01 9 /usr/lib/other
Anonymous: 0 kB
";
        assert_eq!(
            clean_readonly_mappings(smaps, "/usr/bin/systemctl"),
            vec![(0x1000, 0x2000), (0x2000, 0x5000)]
        );
    }
}
