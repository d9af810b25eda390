//! Capability names as systemd 252 knows them (src/basic/cap-list.c): by number, in the
//! kernel's order.

/// capability-list names, by number, as `capability_from_name()` knows them (case-insensitive,
/// `cap_` prefix included; a number is taken too).
pub const NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

pub fn from_name(name: &str) -> Option<u32> {
    if let Ok(n) = name.parse::<usize>() {
        return (n < NAMES.len()).then_some(n as u32);
    }
    let lower = name.to_ascii_lowercase();
    NAMES.iter().position(|c| *c == lower).map(|n| n as u32)
}

/// The mask of the capabilities `names` (space-separated) names; unknown names are left out.
pub fn mask_of(names: &str) -> u64 {
    names
        .split_whitespace()
        .filter_map(from_name)
        .fold(0, |mask, n| mask | (1u64 << n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_numbers_in_the_kernels_order() {
        assert_eq!(from_name("CAP_NET_BIND_SERVICE"), Some(10));
        assert_eq!(from_name("40"), Some(40));
        assert_eq!(from_name("cap_nope"), None);
        assert_eq!(mask_of("cap_chown cap_kill"), 1 | (1 << 5));
        assert_eq!(mask_of(&NAMES.join(" ")), (1u64 << NAMES.len()) - 1);
    }
}
