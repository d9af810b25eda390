//! The targets systemd ships (systemd.special(7)) and syslog.socket, as systemd 252 installs
//! them, for images that lack them: a container with our binary as PID 1 usually has no systemd package, yet its units
//! say `WantedBy=multi-user.target` and `After=network.target`. Only the manager and the
//! dependency views use these; the offline verbs see the image's files alone, as systemctl does.

/// The [Unit] section of each target systemd ships, without its comments.
const TARGETS: &[(&str, &str)] = &[
    (
        "basic.target",
        "Description=Basic System\nRequires=sysinit.target\n\
         Wants=sockets.target timers.target paths.target slices.target\n\
         After=sysinit.target sockets.target paths.target slices.target tmp.mount\n\
         Wants=tmp.mount\n",
    ),
    (
        "sysinit.target",
        "Description=System Initialization\nWants=local-fs.target swap.target\n\
         After=local-fs.target swap.target\nConflicts=emergency.service emergency.target\n\
         Before=emergency.service emergency.target\n",
    ),
    (
        "multi-user.target",
        "Description=Multi-User System\nRequires=basic.target\n\
         Conflicts=rescue.service rescue.target\n\
         After=basic.target rescue.service rescue.target\nAllowIsolate=yes\n",
    ),
    (
        "graphical.target",
        "Description=Graphical Interface\nRequires=multi-user.target\n\
         Wants=display-manager.service\nConflicts=rescue.service rescue.target\n\
         After=multi-user.target rescue.service rescue.target display-manager.service\n\
         AllowIsolate=yes\n",
    ),
    ("sockets.target", "Description=Socket Units\n"),
    (
        "timers.target",
        "Description=Timer Units\nDefaultDependencies=no\nConflicts=shutdown.target\n",
    ),
    ("paths.target", "Description=Path Units\n"),
    (
        "slices.target",
        "Description=Slice Units\nWants=-.slice system.slice\nAfter=-.slice system.slice\n",
    ),
    ("swap.target", "Description=Swaps\n"),
    (
        "local-fs.target",
        "Description=Local File Systems\nDefaultDependencies=no\nConflicts=shutdown.target\n\
         After=local-fs-pre.target\n",
    ),
    (
        "local-fs-pre.target",
        "Description=Preparation for Local File Systems\nRefuseManualStart=yes\n",
    ),
    (
        "remote-fs.target",
        "Description=Remote File Systems\nAfter=remote-fs-pre.target\nDefaultDependencies=no\n\
         Conflicts=shutdown.target\n",
    ),
    (
        "remote-fs-pre.target",
        "Description=Preparation for Remote File Systems\nRefuseManualStart=yes\n",
    ),
    (
        "network.target",
        "Description=Network\nAfter=network-pre.target\nRefuseManualStart=yes\n",
    ),
    (
        "network-online.target",
        "Description=Network is Online\nAfter=network.target\n",
    ),
    (
        "network-pre.target",
        "Description=Preparation for Network\nRefuseManualStart=yes\n",
    ),
    (
        "nss-lookup.target",
        "Description=Host and Network Name Lookups\nRefuseManualStart=yes\n",
    ),
    (
        "nss-user-lookup.target",
        "Description=User and Group Name Lookups\nRefuseManualStart=yes\n",
    ),
    (
        "time-set.target",
        "Description=System Time Set\nRefuseManualStart=yes\n",
    ),
    (
        "time-sync.target",
        "Description=System Time Synchronized\nRefuseManualStart=yes\nAfter=time-set.target\n\
         Wants=time-set.target\n",
    ),
    ("getty.target", "Description=Login Prompts\n"),
    ("rpcbind.target", "Description=RPC Port Mapper\n"),
    (
        "shutdown.target",
        "Description=System Shutdown\nDefaultDependencies=no\nRefuseManualStart=yes\n",
    ),
    (
        "umount.target",
        "Description=Unmount All Filesystems\nDefaultDependencies=no\nRefuseManualStart=yes\n",
    ),
    (
        "final.target",
        "Description=Late Shutdown Services\nDefaultDependencies=no\nRefuseManualStart=yes\n\
         After=shutdown.target umount.target\n",
    ),
    (
        "halt.target",
        "Description=System Halt\nDefaultDependencies=no\nAllowIsolate=yes\n",
    ),
    (
        "poweroff.target",
        "Description=System Power Off\nDefaultDependencies=no\nAllowIsolate=yes\n",
    ),
    (
        "reboot.target",
        "Description=System Reboot\nDefaultDependencies=no\nAllowIsolate=yes\n",
    ),
    (
        "exit.target",
        "Description=Exit the Container\nDefaultDependencies=no\nAllowIsolate=yes\n",
    ),
    (
        "rescue.target",
        "Description=Rescue Mode\nRequires=sysinit.target\nAfter=sysinit.target\n\
         AllowIsolate=yes\n",
    ),
    (
        "emergency.target",
        "Description=Emergency Mode\nAllowIsolate=yes\n",
    ),
];

/// Whole unit files systemd ships that packages require (rsyslog.service has
/// `Requires=syslog.socket`, the socket journald forwards to), and init.scope, which systemd
/// makes in memory.
const OTHER_UNITS: &[(&str, &str)] = &[
    (
        INIT_SCOPE,
        "[Unit]\nDescription=System and Service Manager\nDocumentation=man:systemd(1)\n\
         DefaultDependencies=no\nIgnoreOnIsolate=yes\n[Scope]\nSlice=-.slice\n",
    ),
    (
        "syslog.socket",
        "[Unit]\nDescription=Syslog Socket\nDocumentation=man:systemd.special(7)\n\
         Documentation=https://www.freedesktop.org/wiki/Software/systemd/syslog\n\
         DefaultDependencies=no\nBefore=sockets.target\n\
         Conflicts=shutdown.target\nBefore=shutdown.target\n\
         Conflicts=emergency.service\nBefore=emergency.service\n\
         [Socket]\nListenDatagram=/run/systemd/journal/syslog\nSocketMode=0666\n\
         PassCredentials=yes\nPassSecurity=yes\nReceiveBuffer=8M\n",
    ),
];

/// The scope of the manager's own process (systemd.special(7)): made by the manager at start,
/// always up.
pub const INIT_SCOPE: &str = "init.scope";

/// The units systemd makes at start that are always up and that no job may stop (unit.c's
/// `perpetual`): the root slice and the manager's own scope.
pub fn is_perpetual(name: &str) -> bool {
    name == "-.slice" || name == INIT_SCOPE
}

/// The unit file text systemd ships (or, for slices, makes up) for `name`, and the name it
/// loads under. `default.target` is `multi-user.target` here: a container has no display
/// manager.
pub fn shipped_unit(name: &str) -> Option<(String, String)> {
    if let Some(stem) = name.strip_suffix(".slice") {
        return Some((name.to_string(), slice_unit(stem)));
    }
    let name = if name == "default.target" {
        "multi-user.target"
    } else {
        name
    };
    if let Some((n, text)) = OTHER_UNITS.iter().find(|(n, _)| *n == name) {
        return Some((n.to_string(), text.to_string()));
    }
    TARGETS.iter().find(|(n, _)| *n == name).map(|(n, body)| {
        (
            n.to_string(),
            format!("[Unit]\n{body}Documentation=man:systemd.special(7)\n"),
        )
    })
}

/// The slices systemd creates in memory: the root slice, system.slice, and one per template
/// (`system-getty.slice`, "Slice /system/getty").
fn slice_unit(stem: &str) -> String {
    let description = match stem {
        "-" => "Root Slice".to_string(),
        "system" => "System Slice".to_string(),
        _ => format!("Slice /{}", stem.replace('-', "/")),
    };
    format!("[Unit]\nDescription={description}\nDefaultDependencies=no\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_unit_parses_as_a_unit_file() {
        for (name, _) in TARGETS.iter().chain(OTHER_UNITS) {
            let (_, text) = shipped_unit(name).expect("listed");
            assert!(
                crate::unit::syntax::parse(text.as_bytes()).is_ok(),
                "{name}"
            );
        }
    }

    #[test]
    fn default_target_is_multi_user_target() {
        assert_eq!(
            shipped_unit("default.target").unwrap().0,
            "multi-user.target"
        );
        assert!(shipped_unit("nonexistent.target").is_none());
    }

    #[test]
    fn slices_are_made_up_as_systemd_does() {
        assert!(shipped_unit("system.slice")
            .unwrap()
            .1
            .contains("System Slice"));
        assert!(shipped_unit("system-getty.slice")
            .unwrap()
            .1
            .contains("Slice /system/getty"));
    }
}
