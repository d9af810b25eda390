//! The mount points of this process's mount namespace, as systemd's mount.c learns them from
//! /proc/self/mountinfo (through libmount: the fifth field, with the kernel's `\040`-style
//! octal escapes of blanks and backslashes undone).

/// Every mount point, in the kernel's order; none where /proc is not mounted.
pub fn mount_points() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|text| parse(&text))
        .unwrap_or_default()
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
}
