//! The conditions on the machine, as systemd 252's condition.c tests them in
//! `condition_test_architecture()`, `condition_test_firmware()`, `condition_test_security()`,
//! `condition_test_ac_power()`, `condition_test_cpufeature()`, `condition_test_needs_update()`
//! and `condition_test_virtualization()`, with the helpers they call: architecture.c's
//! `uname_architecture()`, efivars.c's `is_efi_boot()` and `is_efi_secure_boot()`, audit-util.c's
//! `use_audit()`, battery-util.c's `on_ac_power()`, cpu-set-util.c's `has_cpu_with_flag()` and
//! proc-cmdline.c's `proc_cmdline_get_bool()`.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::compare::{next_word, parse_boolean};
use super::paths::read_only_fs;
use super::HostFacts;
use crate::unit::host;
use crate::unit::virt::Virtualization;

/// architecture.h's names, for `architecture_from_string()`.
const ARCHITECTURES: &[&str] = &[
    "x86",
    "x86-64",
    "ppc",
    "ppc-le",
    "ppc64",
    "ppc64-le",
    "ia64",
    "parisc",
    "parisc64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "mips",
    "mips-le",
    "mips64",
    "mips64-le",
    "alpha",
    "arm",
    "arm-be",
    "arm64",
    "arm64-be",
    "sh",
    "sh64",
    "m68k",
    "tilegx",
    "cris",
    "nios2",
    "riscv32",
    "riscv64",
    "arc",
    "arc-be",
    "loongarch64",
];

/// `uname_architecture()`: the kernel's machine name in systemd's words (the kernel's, not this
/// binary's: a 32-bit build on a 64-bit kernel says x86-64 here and x86 for `native`).
fn uname_architecture(machine: &str) -> Option<&'static str> {
    let le = cfg!(target_endian = "little");
    Some(match machine {
        "x86_64" | "amd64" => "x86-64",
        "i386" | "i486" | "i586" | "i686" => "x86",
        "aarch64" | "arm64" => "arm64",
        "aarch64_be" => "arm64-be",
        "ppc64le" => "ppc64-le",
        "ppc64" => "ppc64",
        "ppcle" => "ppc-le",
        "ppc" => "ppc",
        "s390x" => "s390x",
        "s390" => "s390",
        "ia64" => "ia64",
        "parisc64" => "parisc64",
        "parisc" => "parisc",
        "sparc64" => "sparc64",
        "sparc" => "sparc",
        "mips64" if le => "mips64-le",
        "mips64" => "mips64",
        "mips" if le => "mips-le",
        "mips" => "mips",
        "alpha" => "alpha",
        "sh5" => "sh64",
        "m68k" => "m68k",
        "tilegx" => "tilegx",
        "crisv32" => "cris",
        "nios2" => "nios2",
        "riscv32" => "riscv32",
        "riscv64" => "riscv64",
        "arc" => "arc",
        "arceb" => "arc-be",
        "loongarch64" => "loongarch64",
        m if m.starts_with("sh") => "sh",
        m if m.starts_with("arm") && m.ends_with('b') => "arm-be",
        m if m.starts_with("arm") => "arm",
        _ => return None,
    })
}

/// `ConditionArchitecture=`: an unknown name is simply not ours.
pub(super) fn architecture(p: &str, machine: &str) -> bool {
    let Some(ours) = uname_architecture(machine) else {
        return false;
    };
    let wanted = if p == "native" {
        host::architecture()
    } else if let Some(name) = ARCHITECTURES.iter().find(|a| **a == p) {
        name
    } else {
        return false;
    };
    ours == wanted
}

/// `is_efi_boot()`: never in a container, whose /sys/firmware is the host's.
fn is_efi_boot(f: &HostFacts) -> bool {
    !f.virtualization.is_container() && Path::new("/sys/firmware/efi").exists()
}

/// systemd 252's `ConditionFirmware=`: `device-tree`, `device-tree-compatible(…)` and `uefi`;
/// anything else (`smbios-field(…)` came in 253) is not met.
pub(super) fn firmware(p: &str, f: &HostFacts) -> bool {
    if p == "device-tree" {
        return Path::new("/sys/firmware/devicetree").exists();
    }
    if p == "uefi" {
        return is_efi_boot(f);
    }
    if let Some(arg) = p
        .strip_prefix("device-tree-compatible(")
        .and_then(|a| a.strip_suffix(')'))
    {
        // A list of NUL-terminated strings.
        return fs::read("/proc/device-tree/compatible").is_ok_and(|raw| {
            raw.last() == Some(&0)
                && raw
                    .split(|&b| b == 0)
                    .any(|s| !s.is_empty() && s == arg.as_bytes())
        });
    }
    false
}

/// `is_efi_secure_boot()`: the SecureBoot EFI variable (4 attribute bytes, then the value) is 1.
fn efi_secure_boot(f: &HostFacts) -> bool {
    is_efi_boot(f)
        && fs::read("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c")
            .is_ok_and(|v| v.get(4) == Some(&1))
}

/// `use_audit()`: an audit netlink socket can be opened (refused only where the kernel has no
/// audit or we may not).
fn use_audit() -> bool {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockProtocol, SockType};
    match socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        SockProtocol::NetlinkAudit,
    ) {
        Ok(_fd) => true,
        Err(e) => !matches!(
            e,
            nix::errno::Errno::EAFNOSUPPORT
                | nix::errno::Errno::EPROTONOSUPPORT
                | nix::errno::Errno::EPERM
        ),
    }
}

/// `ConditionSecurity=` as systemd 252 detects each module; an unknown name (`cvm` came later)
/// is not met.
pub(super) fn security(p: &str, f: &HostFacts) -> bool {
    let exists = |p: &str| Path::new(p).exists();
    match p {
        "selinux" => nix::sys::statfs::statfs("/sys/fs/selinux")
            .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::SELINUX_MAGIC),
        "smack" => exists("/sys/fs/smackfs"),
        "apparmor" => fs::read_to_string("/sys/module/apparmor/parameters/enabled")
            .is_ok_and(|v| parse_boolean(v.trim()) == Ok(true)),
        "audit" => use_audit(),
        "ima" => exists("/sys/kernel/security/ima"),
        "tomoyo" => exists("/sys/kernel/security/tomoyo/version"),
        "uefi-secureboot" => efi_secure_boot(f),
        // A TPM2 resource manager device, or firmware that reports one.
        "tpm2" => {
            fs::read_dir("/sys/class/tpmrm").is_ok_and(|mut d| d.next().is_some())
                || (is_efi_boot(f) && exists("/sys/firmware/acpi/tables/TPM2"))
        }
        _ => false,
    }
}

/// `on_ac_power()`: false only when there are mains supplies and all are offline; with none
/// (desktop, server, container without one) or an unreadable one, on AC.
pub(super) fn on_ac_power() -> bool {
    let Ok(entries) = fs::read_dir("/sys/class/power_supply") else {
        return true;
    };
    let mut offline = false;
    for entry in entries.flatten() {
        let dir = entry.path();
        if fs::read_to_string(dir.join("type")).map_or(true, |t| t != "Mains\n") {
            continue;
        }
        match fs::read_to_string(dir.join("online")).as_deref() {
            Ok("1\n") => return true,
            Ok("0\n") => offline = true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            _ => return true,
        }
    }
    !offline
}

/// `has_cpu_with_flag()`: the CPUID bits systemd knows, by their /proc/cpuinfo names; only x86
/// has CPUID, elsewhere nothing is met.
#[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
pub(super) fn cpu_has_flag(flag: &str) -> bool {
    #[cfg(target_arch = "x86")]
    use std::arch::x86::{__cpuid, __cpuid_count, __get_cpuid_max};
    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::{__cpuid, __cpuid_count, __get_cpuid_max};
    const LEAF1_EDX: &[(u32, &str)] = &[
        (0, "fpu"),
        (1, "vme"),
        (2, "de"),
        (3, "pse"),
        (4, "tsc"),
        (5, "msr"),
        (6, "pae"),
        (7, "mce"),
        (8, "cx8"),
        (9, "apic"),
        (11, "sep"),
        (12, "mtrr"),
        (13, "pge"),
        (14, "mca"),
        (15, "cmov"),
        (16, "pat"),
        (17, "pse36"),
        (19, "clflush"),
        (23, "mmx"),
        (24, "fxsr"),
        (25, "sse"),
        (26, "sse2"),
        (28, "ht"),
    ];
    const LEAF1_ECX: &[(u32, &str)] = &[
        (0, "pni"),
        (1, "pclmul"),
        (3, "monitor"),
        (9, "ssse3"),
        (12, "fma3"),
        (13, "cx16"),
        (19, "sse4_1"),
        (20, "sse4_2"),
        (22, "movbe"),
        (23, "popcnt"),
        (25, "aes"),
        (26, "xsave"),
        (27, "osxsave"),
        (28, "avx"),
        (29, "f16c"),
        (30, "rdrand"),
    ];
    const LEAF7_EBX: &[(u32, &str)] = &[
        (3, "bmi1"),
        (5, "avx2"),
        (8, "bmi2"),
        (18, "rdseed"),
        (19, "adx"),
        (29, "sha_ni"),
    ];
    const LEAF81_EDX: &[(u32, &str)] = &[(11, "syscall"), (27, "rdtscp"), (29, "lm")];
    const LEAF81_ECX: &[(u32, &str)] = &[(0, "lahf_lm"), (5, "abm")];
    const LEAF87_EDX: &[(u32, &str)] = &[(8, "constant_tsc")];
    let has = |set: &[(u32, &str)], value: u32| {
        set.iter()
            .any(|&(bit, name)| value & (1 << bit) != 0 && name == flag)
    };
    let (max_basic, _) = __get_cpuid_max(0);
    let (max_extended, _) = __get_cpuid_max(0x8000_0000);
    if max_basic >= 1 {
        let r = __cpuid(1);
        if has(LEAF1_ECX, r.ecx) || has(LEAF1_EDX, r.edx) {
            return true;
        }
    }
    if max_basic >= 7 && has(LEAF7_EBX, __cpuid_count(7, 0).ebx) {
        return true;
    }
    if max_extended >= 0x8000_0001 {
        let r = __cpuid(0x8000_0001);
        if has(LEAF81_ECX, r.ecx) || has(LEAF81_EDX, r.edx) {
            return true;
        }
    }
    max_extended >= 0x8000_0007 && has(LEAF87_EDX, __cpuid(0x8000_0007).edx)
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "x86")))]
pub(super) fn cpu_has_flag(_flag: &str) -> bool {
    false
}

/// `proc_cmdline_get_bool()`: `key` alone is true, `key=VALUE` is parsed; `None` when absent.
fn cmdline_bool(f: &HostFacts, key: &str) -> Option<bool> {
    let mut rest = f.kernel_command_line.as_deref()?;
    let mut found = None;
    while let Ok(Some(word)) = next_word(&mut rest, true, true) {
        if word == key {
            found = Some(true);
        } else if let Some(v) = word.strip_prefix(key).and_then(|t| t.strip_prefix('=')) {
            found = parse_boolean(v).ok().or(found);
        }
    }
    found
}

/// `ConditionNeedsUpdate=`: /usr is newer than the directory's `.updated` stamp, so an update
/// tool should run. Anything unclear answers yes; a read-only directory or an initrd answers no.
pub(super) fn needs_update(p: &str, f: &HostFacts) -> bool {
    if let Some(b) = cmdline_bool(f, "systemd.condition-needs-update") {
        return b;
    }
    if f.path("/etc/initrd-release").exists() {
        return false;
    }
    if !p.starts_with('/') {
        return true;
    }
    let dir = f.path(p);
    if read_only_fs(&dir).unwrap_or(false) {
        return false;
    }
    let stamp = dir.join(".updated");
    let Ok(other) = fs::symlink_metadata(&stamp) else {
        return true;
    };
    let Ok(usr) = fs::symlink_metadata(f.path("/usr")) else {
        return true;
    };
    if usr.mtime() != other.mtime() {
        return usr.mtime() > other.mtime();
    }
    // Same second: the stamp's nanoseconds are trustworthy unless they are 0 while /usr's are
    // not (a file system without them), when the stamp file's TIMESTAMP_NSEC= says.
    if usr.mtime_nsec() == 0 || other.mtime_nsec() > 0 {
        return usr.mtime_nsec() > other.mtime_nsec();
    }
    let Some(stamp_nsec) = fs::read_to_string(&stamp).ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.trim().strip_prefix("TIMESTAMP_NSEC="))
            .and_then(|v| v.trim().parse::<u64>().ok())
    }) else {
        return true;
    };
    let usr_nsec = (usr.mtime() as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(usr.mtime_nsec() as u64);
    usr_nsec > stamp_nsec
}

// ---- Virtualization ---------------------------------------------------------------------------

/// `ConditionVirtualization=`: a boolean (any virtualization), `vm`, `container`,
/// `private-users`, or an id.
pub(super) fn virtualization(p: &str, f: &HostFacts) -> bool {
    if p == "private-users" {
        return f.user_namespace;
    }
    let v = f.virtualization;
    if let Ok(b) = parse_boolean(p) {
        return b == (v != Virtualization::None);
    }
    match p {
        "vm" => v.is_vm(),
        "container" => v.is_container(),
        _ => v != Virtualization::None && v.as_str() == p,
    }
}

#[cfg(test)]
mod tests {
    use crate::unit::condition::fixtures::{cond, facts, met, not, tree};
    use crate::unit::condition::{check, ConditionResult};
    use crate::unit::virt::Virtualization;
    use std::fs;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn virtualization_architecture_and_first_boot() {
        let root = tree();
        let mut f = facts(root.path());
        for (p, expected) in [
            ("container", true),
            ("yes", true),
            ("docker", true),
            ("podman", false),
            ("vm", false),
            ("no", false),
        ] {
            assert_eq!(met(cond("ConditionVirtualization", p), &f), expected, "{p}");
        }
        assert!(met(not(cond("ConditionVirtualization", "vm")), &f));
        f.virtualization = Virtualization::None;
        assert!(!met(cond("ConditionVirtualization", "container"), &f));
        assert!(met(cond("ConditionVirtualization", "no"), &f));
        assert!(!met(cond("ConditionVirtualization", "none"), &f));

        assert!(met(cond("ConditionArchitecture", "x86-64"), &f));
        assert!(!met(cond("ConditionArchitecture", "arm64"), &f));
        assert!(!met(cond("ConditionArchitecture", "nonsense"), &f));
        f.machine = "aarch64".into();
        assert!(met(cond("ConditionArchitecture", "arm64"), &f));
        f.machine = std::env::consts::ARCH.into();
        assert!(met(cond("ConditionArchitecture", "native"), &f));

        assert!(!met(cond("ConditionFirstBoot", "yes"), &f));
        assert!(met(cond("ConditionFirstBoot", "no"), &f));
        fs::create_dir_all(root.path().join("run/systemd")).unwrap();
        fs::write(root.path().join("run/systemd/first-boot"), "").unwrap();
        assert!(met(cond("ConditionFirstBoot", "yes"), &f));
        assert_eq!(
            check(&[cond("ConditionFirstBoot", "maybe")], &f).outcomes[0].result,
            ConditionResult::Error
        );
    }

    #[test]
    fn needs_update_compares_usr_with_the_stamp() {
        let root = tree();
        let mut f = facts(root.path());
        fs::create_dir_all(root.path().join("usr")).unwrap();
        // No stamp: an update is due.
        assert!(met(cond("ConditionNeedsUpdate", "/etc"), &f));
        fs::write(root.path().join("etc/.updated"), "").unwrap();
        let usr = fs::metadata(root.path().join("usr")).unwrap();
        let stamp = fs::metadata(root.path().join("etc/.updated")).unwrap();
        let expected = (usr.mtime(), usr.mtime_nsec()) > (stamp.mtime(), stamp.mtime_nsec());
        assert_eq!(met(cond("ConditionNeedsUpdate", "/etc"), &f), expected);
        f.kernel_command_line = Some("systemd.condition-needs-update=yes".into());
        assert!(met(cond("ConditionNeedsUpdate", "/etc"), &f));
    }
}
