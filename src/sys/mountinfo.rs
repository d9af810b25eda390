//! The mount points of this process's mount namespace, as systemd's mount.c learns them from
//! /proc/self/mountinfo (through libmount: the fifth field, with the kernel's `\040`-style
//! octal escapes of blanks and backslashes undone).

/// Every mount point, in the kernel's order; none where /proc is not mounted.
pub fn mount_points() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|text| parse(&text))
        .unwrap_or_default()
}

/// The root (fourth field: the directory of its file system that is mounted) of what is
/// mounted at `mount_point` in a mountinfo text: the last entry there, the one on top.
pub fn root_at(text: &str, mount_point: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        let mut fields = line.split(' ');
        let root = fields.nth(3)?;
        (unescape(fields.next()?) == mount_point).then(|| unescape(root))
    })
}

fn parse(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(unescape)
        .collect()
}

/// The kernel's mangle_path() undone: `\NNN` (three octal digits) is the byte NNN.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(d) => {
                let value = d.iter().fold(0u32, |v, c| v * 8 + u32::from(c - b'0'));
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_field_is_the_mount_point_unescaped() {
        let text = "46 45 254:0 / / rw,relatime - ext4 /dev/vda rw\n\
                    97 46 0:52 / /run rw,relatime - tmpfs sandbox-run rw,mode=755\n\
                    98 46 0:53 / /srv/with\\040blank rw - tmpfs t rw\n";
        assert_eq!(parse(text), ["/", "/run", "/srv/with blank"]);
        assert_eq!(unescape("a\\134b\\011"), "a\\b\t");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
    }

    #[test]
    fn the_root_of_the_mount_on_top() {
        let text = "46 45 254:0 / / rw - ext4 /dev/vda rw\n\
                    60 46 0:30 / /sys/fs/cgroup ro - tmpfs tmpfs ro\n\
                    61 60 0:31 /../.. /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        assert_eq!(root_at(text, "/sys/fs/cgroup").as_deref(), Some("/../.."));
        assert_eq!(root_at(text, "/"), Some("/".into()));
        assert_eq!(root_at(text, "/run"), None);
    }
}
