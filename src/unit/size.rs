//! Byte sizes as systemd's `parse_size(s, 1024)` reads them, shared by the settings that take one
//! (ReceiveBuffer=, SendBuffer=, PipeSize= …) and the conditions that compare one
//! (ConditionMemory=).

/// `parse_size(s, 1024)`: `8K`, `1.5M`, `1G 512M`, `4096`; suffixes B K M G T P E, each at
/// most once and in decreasing order. The error is the errno systemd reports: ERANGE for a
/// negative number or an overflow, EINVAL for anything else.
pub fn parse_iec_size(s: &str) -> std::io::Result<u64> {
    const UNITS: [(&str, u64); 8] = [
        ("E", 1 << 60),
        ("P", 1 << 50),
        ("T", 1 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
        ("B", 1),
        ("", 1),
    ];
    let errno = std::io::Error::from_raw_os_error;
    let is_ws = |c: char| c.is_ascii_whitespace();
    let mut rest = s;
    let mut total: u64 = 0;
    let mut first_unit = 0;
    loop {
        rest = rest.trim_start_matches(is_ws);
        if rest.starts_with('-') {
            return Err(errno(libc::ERANGE));
        }
        let number = rest.strip_prefix('+').unwrap_or(rest);
        let digits = number.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(errno(libc::EINVAL));
        }
        let whole: u64 = number[..digits].parse().map_err(|_| errno(libc::ERANGE))?;
        rest = &number[digits..];
        let mut frac = 0f64;
        if let Some(after) = rest.strip_prefix('.') {
            let n = after.bytes().take_while(u8::is_ascii_digit).count();
            if n > 0 {
                frac = format!("0.{}", &after[..n])
                    .parse()
                    .map_err(|_| errno(libc::EINVAL))?;
            }
            rest = &after[n..];
        }
        rest = rest.trim_start_matches(is_ws);
        let i = (first_unit..UNITS.len())
            .find(|&i| rest.starts_with(UNITS[i].0))
            .ok_or_else(|| errno(libc::EINVAL))?;
        let (suffix, factor) = UNITS[i];
        // the fraction is truncated to whole bytes, as systemd's cast does
        let part = whole
            .checked_mul(factor)
            .and_then(|p| p.checked_add((frac * factor as f64) as u64))
            .ok_or_else(|| errno(libc::ERANGE))?;
        total = total.checked_add(part).ok_or_else(|| errno(libc::ERANGE))?;
        rest = &rest[suffix.len()..];
        first_unit = i + 1;
        if rest.is_empty() {
            return Ok(total);
        }
    }
}

/// `parse_permyriad()`: `N%`, `N.M%` (one decimal), `N‰`, `N‱`, in hundredths of a percent,
/// at most 100%.
pub fn parse_permyriad(s: &str) -> Option<u32> {
    parse_permyriad_unbounded(s).filter(|v| *v <= 10_000)
}

/// `parse_permyriad_unbounded()`: the same, above 100% too (CPUQuota=200%).
pub fn parse_permyriad_unbounded(s: &str) -> Option<u32> {
    let (number, scale) = if let Some(n) = s.strip_suffix('%') {
        (n, 100u32)
    } else if let Some(n) = s.strip_suffix('‰') {
        (n, 10)
    } else {
        (s.strip_suffix('‱')?, 1)
    };
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac_digits = match scale {
        100 => 2,
        10 => 1,
        _ => 0,
    };
    if frac.len() > frac_digits || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<frac_digits$}").parse().ok()?
    };
    whole.checked_mul(scale)?.checked_add(frac_value)
}
