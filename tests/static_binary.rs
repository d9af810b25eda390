//! The shipped artifact: the release build must be static (no ELF interpreter; a static-pie keeps
//! a dynamic section only to relocate itself) so that it runs in any image, even one without a
//! libc, stripped (no symbol table), and free of glibc's NSS (a static glibc would load the image's
//! NSS modules, of another glibc version, at the first getpwnam(): every lookup reads
//! /etc/passwd and /etc/group itself, src/sys/accounts.rs).

use std::fs;

const PT_INTERP: u32 = 3;
const SHT_SYMTAB: u32 = 2;

fn u16_at(elf: &[u8], o: usize) -> usize {
    u16::from_le_bytes([elf[o], elf[o + 1]]) as usize
}

fn u32_at(elf: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([elf[o], elf[o + 1], elf[o + 2], elf[o + 3]])
}

fn u64_at(elf: &[u8], o: usize) -> usize {
    let mut b = [0u8; 8];
    b.copy_from_slice(&elf[o..o + 8]);
    u64::from_le_bytes(b) as usize
}

/// Program header types of a 64-bit little-endian ELF file.
fn program_header_types(elf: &[u8]) -> Vec<u32> {
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf[4], 2, "not a 64-bit ELF file");
    let (phoff, phentsize, phnum) = (u64_at(elf, 0x20), u16_at(elf, 0x36), u16_at(elf, 0x38));
    (0..phnum)
        .map(|i| u32_at(elf, phoff + i * phentsize))
        .collect()
}

/// Section header types of a 64-bit little-endian ELF file.
fn section_types(elf: &[u8]) -> Vec<u32> {
    let (shoff, shentsize, shnum) = (u64_at(elf, 0x28), u16_at(elf, 0x3a), u16_at(elf, 0x3c));
    (0..shnum)
        .map(|i| u32_at(elf, shoff + i * shentsize + 4))
        .collect()
}

#[test]
fn release_build_is_static_stripped_and_without_nss() {
    let exe = env!("CARGO_BIN_EXE_systemctl");
    if !exe.contains("/release/") {
        eprintln!(
            "note: not the shipped build ({exe}); this check runs under cargo test --release"
        );
        return;
    }
    let elf = fs::read(exe).expect("read the built binary");
    let types = program_header_types(&elf);
    assert!(
        !types.contains(&PT_INTERP),
        "binary asks for a dynamic loader"
    );
    assert!(
        !section_types(&elf).contains(&SHT_SYMTAB),
        "binary carries a symbol table: not stripped"
    );
    assert!(
        !elf.windows(b"nsswitch.conf".len())
            .any(|w| w == b"nsswitch.conf"),
        "binary links glibc's NSS (getpwnam and friends): look accounts up in sys::accounts"
    );
}

#[test]
fn version_names_systemd_252_on_its_first_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_systemctl"))
        .arg("--version")
        .output()
        .expect("run --version");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("systemd 252 ("), "{text}");
    assert!(out.status.success());
}
