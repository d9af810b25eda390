//! What systemd's virt.c (v252, with the vendor tables Debian's 252 carries) says about where we
//! run: `detect_container()`, `detect_vm()`, `detect_virtualization()`, `running_in_userns()` and
//! `running_in_chroot()`, checked in the same order and with the same files, so
//! systemd-detect-virt(1) and the manager's `ConditionVirtualization=` give systemd's answers.
//!
//! Failures that systemd ignores (with a debug message) are ignored here; the few it reports are
//! returned as errors.

use std::fs;
use std::io::{self, ErrorKind};

/// systemd's `Virtualization`, in its order: `--list` prints them so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Virtualization {
    None,
    Kvm,
    Amazon,
    Qemu,
    Bochs,
    Xen,
    Uml,
    Vmware,
    Oracle,
    Microsoft,
    Zvm,
    Parallels,
    Bhyve,
    Qnx,
    Acrn,
    Powervm,
    Apple,
    Sre,
    Google,
    VmOther,
    SystemdNspawn,
    LxcLibvirt,
    Lxc,
    Openvz,
    Docker,
    Podman,
    Rkt,
    Wsl,
    Proot,
    Pouch,
    ContainerOther,
}

impl Virtualization {
    pub const ALL: [Virtualization; 31] = [
        Virtualization::None,
        Virtualization::Kvm,
        Virtualization::Amazon,
        Virtualization::Qemu,
        Virtualization::Bochs,
        Virtualization::Xen,
        Virtualization::Uml,
        Virtualization::Vmware,
        Virtualization::Oracle,
        Virtualization::Microsoft,
        Virtualization::Zvm,
        Virtualization::Parallels,
        Virtualization::Bhyve,
        Virtualization::Qnx,
        Virtualization::Acrn,
        Virtualization::Powervm,
        Virtualization::Apple,
        Virtualization::Sre,
        Virtualization::Google,
        Virtualization::VmOther,
        Virtualization::SystemdNspawn,
        Virtualization::LxcLibvirt,
        Virtualization::Lxc,
        Virtualization::Openvz,
        Virtualization::Docker,
        Virtualization::Podman,
        Virtualization::Rkt,
        Virtualization::Wsl,
        Virtualization::Proot,
        Virtualization::Pouch,
        Virtualization::ContainerOther,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Virtualization::None => "none",
            Virtualization::Kvm => "kvm",
            Virtualization::Amazon => "amazon",
            Virtualization::Qemu => "qemu",
            Virtualization::Bochs => "bochs",
            Virtualization::Xen => "xen",
            Virtualization::Uml => "uml",
            Virtualization::Vmware => "vmware",
            Virtualization::Oracle => "oracle",
            Virtualization::Microsoft => "microsoft",
            Virtualization::Zvm => "zvm",
            Virtualization::Parallels => "parallels",
            Virtualization::Bhyve => "bhyve",
            Virtualization::Qnx => "qnx",
            Virtualization::Acrn => "acrn",
            Virtualization::Powervm => "powervm",
            Virtualization::Apple => "apple",
            Virtualization::Sre => "sre",
            Virtualization::Google => "google",
            Virtualization::VmOther => "vm-other",
            Virtualization::SystemdNspawn => "systemd-nspawn",
            Virtualization::LxcLibvirt => "lxc-libvirt",
            Virtualization::Lxc => "lxc",
            Virtualization::Openvz => "openvz",
            Virtualization::Docker => "docker",
            Virtualization::Podman => "podman",
            Virtualization::Rkt => "rkt",
            Virtualization::Wsl => "wsl",
            Virtualization::Proot => "proot",
            Virtualization::Pouch => "pouch",
            Virtualization::ContainerOther => "container-other",
        }
    }

    /// `VIRTUALIZATION_IS_VM()`.
    pub fn is_vm(self) -> bool {
        let index = self as usize;
        (Virtualization::Kvm as usize..=Virtualization::VmOther as usize).contains(&index)
    }

    /// `VIRTUALIZATION_IS_CONTAINER()`.
    pub fn is_container(self) -> bool {
        let index = self as usize;
        (Virtualization::SystemdNspawn as usize..=Virtualization::ContainerOther as usize)
            .contains(&index)
    }

    /// The `container=` values virt.c's `container_table` knows; anything else (`openvz`
    /// included) is `container-other`.
    fn from_container_name(name: &str) -> Option<Virtualization> {
        Some(match name {
            "lxc" => Virtualization::Lxc,
            "lxc-libvirt" => Virtualization::LxcLibvirt,
            "systemd-nspawn" => Virtualization::SystemdNspawn,
            "docker" => Virtualization::Docker,
            "podman" => Virtualization::Podman,
            "rkt" => Virtualization::Rkt,
            "wsl" => Virtualization::Wsl,
            "proot" => Virtualization::Proot,
            "pouch" => Virtualization::Pouch,
            _ => return None,
        })
    }
}

/// access(F_OK): whether `path` exists; errors other than "no such file" (a directory on the way we
/// may not search) are errors, which most callers, like systemd, take as "no".
fn access(path: &str) -> io::Result<bool> {
    match nix::unistd::access(path, nix::unistd::AccessFlags::F_OK) {
        Ok(()) => Ok(true),
        Err(nix::errno::Errno::ENOENT) => Ok(false),
        Err(e) => Err(io::Error::from(e)),
    }
}

fn exists(path: &str) -> bool {
    access(path).unwrap_or(false)
}

/// systemd's `read_one_line_file()`: the first line without its terminator (`\n`, `\r`, `\0`),
/// `None` for a missing file.
fn read_one_line(path: &str) -> io::Result<Option<String>> {
    Ok(read_first_line(path)?.map(|(line, _)| line))
}

/// The first line of `path`, and whether the file held anything at all: systemd takes a file with
/// only a newline as a (blank) answer, and an empty one as none.
fn read_first_line(path: &str) -> io::Result<Option<(String, bool)>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let end = bytes
        .iter()
        .position(|b| matches!(b, b'\n' | b'\r' | b'\0'))
        .unwrap_or(bytes.len());
    let line = String::from_utf8_lossy(&bytes[..end]).into_owned();
    Ok(Some((line, !bytes.is_empty())))
}

/// A container manager's name from one of the files it leaves for us: `None` unless the file
/// exists and is not empty.
fn read_manager_name(path: &str) -> io::Result<Option<String>> {
    Ok(read_first_line(path)?.and_then(|(line, non_empty)| non_empty.then_some(line)))
}

/// `$container` in the environment of pid 1 (`getenv_for_pid()`), which needs ptrace access to
/// it: failures are "not known".
fn pid1_container_variable() -> Option<String> {
    let environ = fs::read("/proc/1/environ").ok()?;
    environ
        .split(|b| *b == 0)
        .find_map(|entry| entry.strip_prefix(b"container="))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// The program tracing us is proot: it does not use a pid namespace, so its own ptrace is the sign.
fn traced_by_proot() -> bool {
    let Ok(status) = fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let tracer = status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .map(str::trim)
        .unwrap_or("0");
    if tracer == "0" {
        return false;
    }
    let Ok(pid) = tracer.parse::<u32>() else {
        return false;
    };
    read_one_line(&format!("/proc/{pid}/comm"))
        .ok()
        .flatten()
        .is_some_and(|comm| comm.starts_with("proot"))
}

/// `detect_container_files()`: podman's and docker's marker files, podman first (docker's can be
/// left behind in an image).
fn detect_container_files() -> Virtualization {
    if exists("/run/.containerenv") {
        Virtualization::Podman
    } else if exists("/.dockerenv") {
        Virtualization::Docker
    } else {
        Virtualization::None
    }
}

const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;
const TMPFS_MAGIC: i64 = 0x0102_1994;

// f_type is a long on glibc and an unsigned long on musl: the cast is a no-op on one of them.
#[allow(clippy::unnecessary_cast)]
fn filesystem_type(path: &str) -> Option<i64> {
    nix::sys::statfs::statfs(path)
        .ok()
        .map(|fs| fs.filesystem_type().0 as i64)
}

/// `running_in_cgroupns()`: our cgroup root is not the host's. Where systemd gets an error it
/// ignores it, which is "no" here.
fn running_in_cgroupns() -> bool {
    fn check() -> io::Result<bool> {
        if !access("/proc/self/ns/cgroup").unwrap_or(false) {
            return Ok(false);
        }
        match filesystem_type("/sys/fs/cgroup/") {
            // cgroup v2: the root cgroup has no cgroup.events, a nested one always has; the root
            // has no cgroup.type either, which tells the two apart unless the kernel is too old
            // to have cgroup.type anywhere (no /sys/kernel/cgroup/features).
            Some(CGROUP2_SUPER_MAGIC) => Ok(access("/sys/fs/cgroup/cgroup.events")?
                && (access("/sys/fs/cgroup/cgroup.type")?
                    || !access("/sys/kernel/cgroup/features")?)),
            // cgroup v1 (or hybrid): release_agent only exists in the root of name=systemd.
            Some(TMPFS_MAGIC) => Ok(access("/sys/fs/cgroup/systemd")?
                && !access("/sys/fs/cgroup/systemd/release_agent")?),
            _ => Ok(false),
        }
    }
    check().unwrap_or(false)
}

/// The answer for a container manager's name (`container=`, /run/host/container-manager).
fn translate_container_name(name: &str) -> Virtualization {
    // Some images hardcode container=oci, which names no manager: the marker files may.
    if name == "oci" {
        return match detect_container_files() {
            Virtualization::None => Virtualization::ContainerOther,
            found => found,
        };
    }
    Virtualization::from_container_name(name).unwrap_or(Virtualization::ContainerOther)
}

/// virt.c's `detect_container()`. Errors only where systemd reports them: a
/// /run/host/container-manager or /run/systemd/container that exists but cannot be read.
pub fn detect_container() -> io::Result<Virtualization> {
    // /proc/vz exists inside OpenVZ containers and on their host, /proc/bc only on the host.
    if exists("/proc/vz") && matches!(access("/proc/bc"), Ok(false)) {
        return Ok(Virtualization::Openvz);
    }
    // Microsoft's documented way to recognise WSL.
    if read_one_line("/proc/sys/kernel/osrelease")
        .ok()
        .flatten()
        .is_some_and(|release| release.contains("Microsoft") || release.contains("WSL"))
    {
        return Ok(Virtualization::Wsl);
    }
    if traced_by_proot() {
        return Ok(Virtualization::Proot);
    }
    if let Some(manager) = read_manager_name("/run/host/container-manager")? {
        return Ok(translate_container_name(&manager));
    }
    if std::process::id() == 1 {
        // As PID 1 our own $container is authoritative: set but empty means "no container".
        return Ok(match std::env::var("container") {
            Ok(name) if name.is_empty() => Virtualization::None,
            Ok(name) => translate_container_name(&name),
            Err(_) => detect_container_by_files(),
        });
    }
    if let Some(name) = read_manager_name("/run/systemd/container")? {
        return Ok(translate_container_name(&name));
    }
    if let Some(name) = pid1_container_variable() {
        // Unlike PID 1's own variable, an empty one here is still some container.
        return Ok(translate_container_name(&name));
    }
    Ok(detect_container_by_files())
}

fn detect_container_by_files() -> Virtualization {
    match detect_container_files() {
        Virtualization::None if running_in_cgroupns() => Virtualization::ContainerOther,
        found => found,
    }
}

/// Where DMI (SMBIOS) tables exist: systemd reads them only on these architectures.
const HAS_DMI: bool = cfg!(any(
    target_arch = "x86",
    target_arch = "x86_64",
    target_arch = "arm",
    target_arch = "aarch64",
    target_arch = "loongarch64"
));

/// Device trees name the hypervisor on these.
const HAS_DEVICE_TREE: bool = cfg!(any(
    target_arch = "arm",
    target_arch = "aarch64",
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "riscv64"
));

/// Vendor strings of `/sys/class/dmi/id/*` that name a hypervisor, first match wins.
const DMI_VENDORS: &[(&str, Virtualization)] = &[
    ("KVM", Virtualization::Kvm),
    ("OpenStack", Virtualization::Kvm),
    ("KubeVirt", Virtualization::Kvm),
    ("Amazon EC2", Virtualization::Amazon),
    ("QEMU", Virtualization::Qemu),
    ("VMware", Virtualization::Vmware),
    ("VMW", Virtualization::Vmware),
    ("innotek GmbH", Virtualization::Oracle),
    ("VirtualBox", Virtualization::Oracle),
    ("Oracle Corporation", Virtualization::Oracle),
    ("Xen", Virtualization::Xen),
    ("Bochs", Virtualization::Bochs),
    ("Parallels", Virtualization::Parallels),
    ("BHYVE", Virtualization::Bhyve),
    ("Hyper-V", Virtualization::Microsoft),
    ("Apple Virtualization", Virtualization::Apple),
    ("Google Compute Engine", Virtualization::Google),
];

fn detect_vm_dmi_vendor() -> io::Result<Virtualization> {
    // product_name first, to tell KVM from the QEMU of sys_vendor; product_version for Hyper-V.
    const FILES: [&str; 5] = [
        "/sys/class/dmi/id/product_name",
        "/sys/class/dmi/id/sys_vendor",
        "/sys/class/dmi/id/board_vendor",
        "/sys/class/dmi/id/bios_vendor",
        "/sys/class/dmi/id/product_version",
    ];
    for file in FILES {
        let Some(value) = read_one_line(file)? else {
            continue;
        };
        if let Some((_, v)) = DMI_VENDORS.iter().find(|(v, _)| value.starts_with(v)) {
            return Ok(*v);
        }
    }
    Ok(Virtualization::None)
}

/// The "virtual machine" bit of the SMBIOS BIOS characteristics extension byte 2, readable by
/// root only; `None` when it cannot be read or the table is too short to hold it.
fn smbios_says_vm() -> Option<bool> {
    let raw = fs::read("/sys/firmware/dmi/entries/0-0/raw").ok()?;
    // Byte 1 is the table's length (a C `char`, hence signed); byte 19 is extension byte 2.
    if raw.len() < 20 || (raw[1] as i8) < 20 {
        return None;
    }
    Some(raw[19] & (1 << 4) != 0)
}

fn detect_vm_dmi() -> io::Result<Virtualization> {
    if !HAS_DMI {
        return Ok(Virtualization::None);
    }
    let vendor = detect_vm_dmi_vendor()?;
    if vendor == Virtualization::Amazon {
        // EC2 bare-metal instances carry the same vendor strings as its VMs.
        return Ok(match smbios_says_vm() {
            Some(true) => Virtualization::Amazon,
            Some(false) => Virtualization::None,
            None => match read_one_line("/sys/class/dmi/id/product_name") {
                Ok(Some(name)) => {
                    let metal = name
                        .split_once(".metal")
                        .is_some_and(|(_, after)| after.is_empty() || after.starts_with('-'));
                    if metal {
                        Virtualization::None
                    } else {
                        Virtualization::Amazon
                    }
                }
                // Most of EC2 is virtual: unreadable means assume so.
                Ok(None) | Err(_) => Virtualization::Amazon,
            },
        });
    }
    if vendor == Virtualization::None && smbios_says_vm() == Some(true) {
        return Ok(Virtualization::VmOther);
    }
    Ok(vendor)
}

/// User-Mode Linux names itself as the CPU vendor.
fn detect_vm_uml() -> io::Result<Virtualization> {
    let cpuinfo = match fs::read("/proc/cpuinfo") {
        Ok(c) => c,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Virtualization::None),
        Err(e) => return Err(e),
    };
    let text = String::from_utf8_lossy(&cpuinfo);
    let uml = text
        .lines()
        .find_map(|l| l.strip_prefix("vendor_id\t: "))
        .is_some_and(|vendor| vendor.starts_with("User Mode Linux"));
    Ok(if uml {
        Virtualization::Uml
    } else {
        Virtualization::None
    })
}

/// sscanf("%lx"): leading hex digits, an optional `0x`.
fn parse_hex_prefix(s: &str) -> Option<u64> {
    let s = s.trim_start();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let digits: String = s.chars().take_while(char::is_ascii_hexdigit).collect();
    u64::from_str_radix(&digits, 16).ok()
}

/// Whether this Xen domain is dom0 (the hardware domain), which systemd does not count as a VM.
fn xen_is_dom0() -> io::Result<bool> {
    const XENFEAT_DOM0: u32 = 11;
    if let Some(features) = read_one_line("/sys/hypervisor/properties/features")? {
        if let Some(bits) = parse_hex_prefix(&features) {
            return Ok(bits & (1 << XENFEAT_DOM0) != 0);
        }
    }
    Ok(read_one_line("/proc/xen/capabilities")?
        .is_some_and(|caps| caps.split(',').any(|c| c == "control_d")))
}

/// The hypervisor's CPUID signature (leaf 0x40000000), when CPUID says there is one.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn detect_vm_cpuid() -> Virtualization {
    #[cfg(target_arch = "x86")]
    use std::arch::x86::{__cpuid, __get_cpuid_max};
    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::{__cpuid, __get_cpuid_max};

    const SIGNATURES: &[(&[u8], Virtualization)] = &[
        (b"XenVMMXenVMM", Virtualization::Xen),
        (b"KVMKVMKVM", Virtualization::Kvm),
        (b"Linux KVM Hv", Virtualization::Kvm),
        (b"TCGTCGTCGTCG", Virtualization::Qemu),
        (b"VMwareVMware", Virtualization::Vmware),
        (b"Microsoft Hv", Virtualization::Microsoft),
        (b"bhyve bhyve ", Virtualization::Bhyve),
        (b"QNXQVMBSQG", Virtualization::Qnx),
        (b"ACRNACRNACRN", Virtualization::Acrn),
        (b"SRESRESRESRE", Virtualization::Sre),
        (b"Apple VZ", Virtualization::Apple),
    ];

    // __get_cpuid(1) fails when the CPU has no leaf 1.
    let (max_leaf, _) = __get_cpuid_max(0);
    if max_leaf < 1 {
        return Virtualization::None;
    }
    if __cpuid(1).ecx & 0x8000_0000 == 0 {
        return Virtualization::None;
    }
    let leaf = __cpuid(0x4000_0000);
    let mut signature = [0u8; 12];
    signature[0..4].copy_from_slice(&leaf.ebx.to_le_bytes());
    signature[4..8].copy_from_slice(&leaf.ecx.to_le_bytes());
    signature[8..12].copy_from_slice(&leaf.edx.to_le_bytes());
    // The table's shorter signatures are NUL-padded to the 12 bytes they are compared over.
    SIGNATURES
        .iter()
        .find(|(sig, _)| {
            let mut padded = [0u8; 12];
            padded[..sig.len()].copy_from_slice(sig);
            padded == signature
        })
        .map(|(_, v)| *v)
        .unwrap_or(Virtualization::VmOther)
}

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
fn detect_vm_cpuid() -> Virtualization {
    Virtualization::None
}

fn detect_vm_hypervisor() -> io::Result<Virtualization> {
    Ok(match read_one_line("/sys/hypervisor/type")? {
        None => Virtualization::None,
        Some(t) if t == "xen" => Virtualization::Xen,
        Some(_) => Virtualization::VmOther,
    })
}

fn detect_vm_device_tree() -> io::Result<Virtualization> {
    if !HAS_DEVICE_TREE {
        return Ok(Virtualization::None);
    }
    if let Some(hv) = read_one_line("/proc/device-tree/hypervisor/compatible")? {
        return Ok(if hv == "linux,kvm" {
            Virtualization::Kvm
        } else if hv.contains("xen") {
            Virtualization::Xen
        } else if hv.contains("vmware") {
            Virtualization::Vmware
        } else {
            Virtualization::VmOther
        });
    }
    if exists("/proc/device-tree/ibm,partition-name")
        && exists("/proc/device-tree/hmc-managed?")
        && !exists("/proc/device-tree/chosen/qemu,graphic-width")
    {
        return Ok(Virtualization::Powervm);
    }
    let entries = match fs::read_dir("/proc/device-tree") {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Virtualization::None),
        Err(e) => return Err(e),
    };
    for entry in entries {
        if entry?.file_name().to_string_lossy().contains("fw-cfg") {
            return Ok(Virtualization::Qemu);
        }
    }
    Ok(Virtualization::None)
}

/// s390's z/VM names itself in /proc/sysinfo; any other control program there is KVM.
fn detect_vm_zvm() -> io::Result<Virtualization> {
    if !cfg!(target_arch = "s390x") {
        return Ok(Virtualization::None);
    }
    let sysinfo = match fs::read_to_string("/proc/sysinfo") {
        Ok(s) => s,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Virtualization::None),
        Err(e) => return Err(e),
    };
    let program = sysinfo
        .lines()
        .find_map(|l| l.strip_prefix("VM00 Control Program:"))
        .and_then(|rest| rest.split_whitespace().next());
    Ok(match program {
        None => Virtualization::None,
        Some("z/VM") => Virtualization::Zvm,
        Some(_) => Virtualization::Kvm,
    })
}

/// virt.c's `detect_vm()`: DMI first for the hypervisors that also show KVM's CPUID (VirtualBox,
/// EC2, Parallels, GCE) and for Xen; then UML and Xen's /proc/xen; then CPUID; then the rest of
/// DMI, /sys/hypervisor, the device tree and s390's sysinfo.
pub fn detect_vm() -> io::Result<Virtualization> {
    let mut other = false;
    let dmi = detect_vm_dmi();
    if let Ok(
        v @ (Virtualization::Oracle
        | Virtualization::Xen
        | Virtualization::Amazon
        | Virtualization::Parallels
        | Virtualization::Google),
    ) = dmi
    {
        return Ok(v);
    }
    let uml = detect_vm_uml()?;
    if uml != Virtualization::None {
        return Ok(uml);
    }
    let mut xen_dom0 = false;
    if exists("/proc/xen") {
        // A dom0 is reported only if nothing else is found: it may itself run nested in a VM.
        xen_dom0 = xen_is_dom0()?;
        if !xen_dom0 {
            return Ok(Virtualization::Xen);
        }
    }
    let cpuid = detect_vm_cpuid();
    match cpuid {
        Virtualization::VmOther => other = true,
        Virtualization::None => {}
        found => return Ok(found),
    }
    let with_other = |v: Virtualization| {
        if v == Virtualization::None && other {
            Virtualization::VmOther
        } else {
            v
        }
    };
    if xen_dom0 {
        return Ok(with_other(cpuid));
    }
    match dmi? {
        Virtualization::VmOther => other = true,
        Virtualization::None => {}
        found => return Ok(found),
    }
    for detect in [detect_vm_hypervisor, detect_vm_device_tree] {
        match detect()? {
            Virtualization::VmOther => other = true,
            Virtualization::None => {}
            found => return Ok(found),
        }
    }
    let zvm = detect_vm_zvm()?;
    Ok(if zvm == Virtualization::None && other {
        Virtualization::VmOther
    } else {
        zvm
    })
}

/// virt.c's `detect_virtualization()`: a container if any, else a VM if any.
pub fn detect_virtualization() -> io::Result<Virtualization> {
    match detect_container()? {
        Virtualization::None => detect_vm(),
        container => Ok(container),
    }
}

/// Whether a uid/gid map is anything but the initial namespace's identity map.
fn userns_has_mapping(path: &str) -> io::Result<bool> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    if fields.is_empty() {
        // A namespace whose map was not written yet.
        return Ok(true);
    }
    let numbers: Vec<u32> = fields.iter().filter_map(|f| f.parse().ok()).collect();
    if numbers.len() != 3 {
        return Err(io::Error::from_raw_os_error(libc::EBADMSG));
    }
    Ok(numbers != [0, 0, u32::MAX])
}

/// virt.c's `running_in_userns()`.
pub fn running_in_userns() -> io::Result<bool> {
    if userns_has_mapping("/proc/self/uid_map")? || userns_has_mapping("/proc/self/gid_map")? {
        return Ok(true);
    }
    // A mapping identical to the host's is still a namespace if setgroups() was denied in it.
    match fs::read_to_string("/proc/self/setgroups") {
        Ok(s) => Ok(s.trim() == "deny"),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// systemd's `getenv_bool()` truth: 1, yes, y, true, t, on.
fn env_is_true(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| {
        matches!(
            v.to_ascii_lowercase().as_str(),
            "1" | "yes" | "y" | "true" | "t" | "on"
        )
    })
}

/// virt.c's `running_in_chroot()`: our `/` is not PID 1's. Reading PID 1's root needs ptrace
/// access to it, which is an error here as in systemd. `SYSTEMD_IGNORE_CHROOT=1` says "no".
pub fn running_in_chroot() -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    if env_is_true("SYSTEMD_IGNORE_CHROOT") {
        return Ok(false);
    }
    let init_root = fs::metadata("/proc/1/root")?;
    let root = fs::metadata("/")?;
    Ok((init_root.dev(), init_root.ino()) != (root.dev(), root.ino()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_classes_follow_systemds_table() {
        let names: Vec<&str> = Virtualization::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(names.first(), Some(&"none"));
        assert_eq!(names.last(), Some(&"container-other"));
        assert_eq!(names.len(), 31);
        assert!(Virtualization::Kvm.is_vm() && Virtualization::VmOther.is_vm());
        assert!(!Virtualization::Kvm.is_container() && !Virtualization::None.is_vm());
        assert!(Virtualization::SystemdNspawn.is_container());
        assert!(Virtualization::ContainerOther.is_container());
        assert!(!Virtualization::ContainerOther.is_vm());
    }

    #[test]
    fn container_names_translate_like_virt_c() {
        assert_eq!(translate_container_name("lxc"), Virtualization::Lxc);
        assert_eq!(translate_container_name("podman"), Virtualization::Podman);
        assert_eq!(
            translate_container_name("openvz"),
            Virtualization::ContainerOther,
            "openvz is recognised by /proc/vz only"
        );
        assert_eq!(
            translate_container_name("docker "),
            Virtualization::ContainerOther
        );
    }

    #[test]
    fn hex_features_parse_as_sscanf_would() {
        assert_eq!(parse_hex_prefix("00000800"), Some(0x800));
        assert_eq!(parse_hex_prefix(" 0x1f zz"), Some(0x1f));
        assert_eq!(parse_hex_prefix("zz"), None);
    }
}
