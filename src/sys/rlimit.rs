//! `Limit*=` of systemd.exec(5) "Process Properties": `LimitNOFILE=65536`, `infinity`,
//! `soft:hard`, sizes with K/M/G/T suffixes (base 1024) for the byte limits. A container cannot
//! raise a hard limit above its own; systemd would fail the unit there, which no image author wants,
//! so values are clamped to what this process has and a warning says so.

use thiserror::Error;

/// A setrlimit(2) resource number; glibc and musl give the constants different C types.
pub type Resource = i32;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum LimitError {
    #[error("Unknown resource limit setting {0}")]
    UnknownKey(String),
    #[error("Invalid resource limit '{value}' for {key}")]
    BadValue { key: String, value: String },
    #[error("Soft limit {soft} is above hard limit {hard} in {key}")]
    SoftAboveHard { key: String, soft: u64, hard: u64 },
}

/// The unit-file key → setrlimit(2) resource, and whether values are byte sizes, in the order of
/// systemd's rlimit table (which `show` keeps).
pub const RESOURCES: &[(&str, Resource, bool)] = &[
    ("LimitCPU", libc::RLIMIT_CPU as Resource, false),
    ("LimitFSIZE", libc::RLIMIT_FSIZE as Resource, true),
    ("LimitDATA", libc::RLIMIT_DATA as Resource, true),
    ("LimitSTACK", libc::RLIMIT_STACK as Resource, true),
    ("LimitCORE", libc::RLIMIT_CORE as Resource, true),
    ("LimitRSS", libc::RLIMIT_RSS as Resource, true),
    ("LimitNOFILE", libc::RLIMIT_NOFILE as Resource, false),
    ("LimitAS", libc::RLIMIT_AS as Resource, true),
    ("LimitNPROC", libc::RLIMIT_NPROC as Resource, false),
    ("LimitMEMLOCK", libc::RLIMIT_MEMLOCK as Resource, true),
    ("LimitLOCKS", libc::RLIMIT_LOCKS as Resource, false),
    (
        "LimitSIGPENDING",
        libc::RLIMIT_SIGPENDING as Resource,
        false,
    ),
    ("LimitMSGQUEUE", libc::RLIMIT_MSGQUEUE as Resource, true),
    ("LimitNICE", libc::RLIMIT_NICE as Resource, false),
    ("LimitRTPRIO", libc::RLIMIT_RTPRIO as Resource, false),
    ("LimitRTTIME", libc::RLIMIT_RTTIME as Resource, false),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub resource: Resource,
    pub soft: u64,
    pub hard: u64,
}

fn parse_one(key: &str, value: &str, bytes: bool) -> Result<u64, LimitError> {
    let bad = || LimitError::BadValue {
        key: key.to_string(),
        value: value.to_string(),
    };
    let v = value.trim();
    if v == "infinity" {
        return Ok(libc::RLIM_INFINITY);
    }
    if !bytes {
        return v.parse().map_err(|_| bad());
    }
    let (digits, factor) = match v.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        None => (v, 1u64),
        Some((i, _)) => {
            let factor = match &v[i..] {
                "B" => 1,
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                "T" => 1 << 40,
                "P" => 1 << 50,
                "E" => 1 << 60,
                _ => return Err(bad()),
            };
            (&v[..i], factor)
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(bad)
}

/// Parse `Limit*=` `value` for `key`.
pub fn parse(key: &str, value: &str) -> Result<Limit, LimitError> {
    let &(_, resource, bytes) = RESOURCES
        .iter()
        .find(|(k, _, _)| *k == key)
        .ok_or_else(|| LimitError::UnknownKey(key.to_string()))?;
    let (soft, hard) = match value.split_once(':') {
        Some((s, h)) => (parse_one(key, s, bytes)?, parse_one(key, h, bytes)?),
        None => {
            let v = parse_one(key, value, bytes)?;
            (v, v)
        }
    };
    if soft > hard {
        return Err(LimitError::SoftAboveHard {
            key: key.to_string(),
            soft,
            hard,
        });
    }
    Ok(Limit {
        resource,
        soft,
        hard,
    })
}

/// The key's name for messages.
pub fn key_of(resource: Resource) -> &'static str {
    RESOURCES
        .iter()
        .find(|(_, r, _)| *r == resource)
        .map_or("Limit?", |(k, _, _)| k)
}

/// Clamp to the hard limit this process has (unless it may raise it); returns the limit to
/// apply and, when clamped, a warning in words a user will understand.
pub fn clamp(limit: Limit, can_raise: bool) -> (Limit, Option<String>) {
    if can_raise {
        return (limit, None);
    }
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    if unsafe { libc::getrlimit(limit.resource as _, &mut current) } < 0 {
        return (limit, None);
    }
    let max = current.rlim_max;
    if limit.hard <= max {
        return (limit, None);
    }
    let show = |v: u64| {
        if v == libc::RLIM_INFINITY {
            "infinity".to_string()
        } else {
            v.to_string()
        }
    };
    let clamped = Limit {
        resource: limit.resource,
        soft: limit.soft.min(max),
        hard: max,
    };
    let warning = format!(
        "{}={} exceeds the container's hard limit {}; using {}:{}.",
        key_of(limit.resource),
        show(limit.hard),
        show(max),
        show(clamped.soft),
        show(clamped.hard)
    );
    (clamped, Some(warning))
}

impl Limit {
    pub fn as_rlimit(&self) -> libc::rlimit {
        libc::rlimit {
            rlim_cur: self.soft,
            rlim_max: self.hard,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_unit_files_write_them() {
        let l = parse("LimitNOFILE", "65536").unwrap();
        assert_eq!(
            (l.resource, l.soft, l.hard),
            (libc::RLIMIT_NOFILE as Resource, 65536, 65536)
        );
        let l = parse("LimitNOFILE", "1024:524288").unwrap();
        assert_eq!((l.soft, l.hard), (1024, 524288));
        let l = parse("LimitCORE", "infinity").unwrap();
        assert_eq!(l.hard, libc::RLIM_INFINITY);
        assert_eq!(parse("LimitMEMLOCK", "64M").unwrap().soft, 64 << 20);
        assert!(parse("LimitNOFILE", "lots").is_err());
        assert!(parse("LimitNOFILE", "10:5").is_err());
        assert!(parse("LimitBOGUS", "1").is_err());
    }

    #[test]
    fn above_the_containers_hard_limit_is_clamped_with_a_warning() {
        let mut current = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE as _, &mut current) };
        if current.rlim_max == libc::RLIM_INFINITY {
            return;
        }
        let (l, warning) = clamp(parse("LimitNOFILE", "infinity").unwrap(), false);
        assert_eq!(l.hard, current.rlim_max);
        assert!(warning.unwrap().starts_with("LimitNOFILE=infinity exceeds"));
        let (l, warning) = clamp(parse("LimitNOFILE", "1024").unwrap(), false);
        assert_eq!((l.soft, warning), (1024, None));
    }
}
