//! The conditions on who the manager runs as, as systemd 252's condition.c tests them in
//! `condition_test_user()`, `condition_test_group()` and `condition_test_capability()`, with
//! user-util.c's `parse_uid()` and cap-list.c's `capability_from_name()`.

use std::fs;

use super::HostFacts;

/// systemd's `SYSTEM_UID_MAX` default: `@system` means a uid up to this.
const SYSTEM_UID_MAX: u32 = 999;
const UID_NOBODY: u32 = 65534;

/// `parse_uid()`: a decimal id other than the two invalid ones.
fn parse_id(s: &str) -> Option<u32> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u32>()
        .ok()
        .filter(|&id| id != u32::MAX && id != 0xFFFF)
}

/// `ConditionUser=`: the manager's real or effective uid is that user. Names are looked up in
/// the image's /etc/passwd (systemd PID 1 refuses NSS and answers no for any name but root; we
/// have no NSS and read the file, which is what those names mean in the image).
pub(super) fn user(p: &str, f: &HostFacts) -> bool {
    let is = |id: u32| f.uid == id || f.euid == id;
    match p {
        "root" => is(0),
        "nobody" => is(UID_NOBODY),
        "@system" => f.uid <= SYSTEM_UID_MAX || f.euid <= SYSTEM_UID_MAX,
        _ => match parse_id(p) {
            Some(id) => is(id),
            None => f
                .accounts
                .users
                .iter()
                .find(|u| u.name == p)
                .is_some_and(|u| is(u.uid)),
        },
    }
}

/// `ConditionGroup=`: the manager's real, effective or a supplementary gid is that group.
pub(super) fn group(p: &str, f: &HostFacts) -> bool {
    // root and nobody exist even without a group file, as get_group_creds() has them built in.
    let id = parse_id(p).or_else(|| {
        let named = f
            .accounts
            .groups
            .iter()
            .find(|g| g.name == p)
            .map(|g| g.gid);
        named.or(match p {
            "root" => Some(0),
            "nobody" => Some(UID_NOBODY),
            _ => None,
        })
    });
    id.is_some_and(|id| f.gid == id || f.egid == id || f.groups.contains(&id))
}

/// `ConditionCapability=`: the capability is in the manager's bounding set (CapBnd), which in a
/// container is what the runtime granted; an unknown name is an error.
pub(super) fn capability(p: &str) -> Result<bool, String> {
    let cap =
        crate::sys::capability::from_name(p).ok_or_else(|| format!("Unknown capability {p}"))?;
    let status = fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("Failed to read /proc/self/status: {e}"))?;
    // Without the line systemd assumes every capability.
    let bounding = match status.lines().find_map(|l| l.strip_prefix("CapBnd:")) {
        Some(hex) => u64::from_str_radix(hex.trim(), 16)
            .map_err(|_| "Failed to parse CapBnd in /proc/self/status".to_string())?,
        None => u64::MAX,
    };
    Ok(bounding & (1u64 << cap) != 0)
}

#[cfg(test)]
mod tests {
    use crate::unit::condition::fixtures::{cond, facts, met, not, tree};

    #[test]
    fn users_and_groups() {
        let root = tree();
        let mut f = facts(root.path());
        for (p, expected) in [
            ("alice", true),
            ("1000", true),
            ("bob", false),
            ("1001", false),
            ("root", false),
            ("nosuchuser", false),
            ("@system", false),
        ] {
            assert_eq!(met(cond("ConditionUser", p), &f), expected, "User={p}");
        }
        for (p, expected) in [
            ("alice", true),
            ("1000", true),
            ("sudo", true),
            ("27", true),
            ("bob", false),
            ("0", false),
            ("nosuchgroup", false),
        ] {
            assert_eq!(met(cond("ConditionGroup", p), &f), expected, "Group={p}");
        }
        f.uid = 0;
        assert!(met(cond("ConditionUser", "root"), &f));
        assert!(met(cond("ConditionUser", "@system"), &f));
        f.uid = 999;
        assert!(met(cond("ConditionUser", "@system"), &f));
        assert!(!met(not(cond("AssertUser", "1000")), &f));
    }
}
