//! The install verbs with our manager running answer as systemctl 252 answers when it asks
//! systemd 252 over D-Bus (dbus-manager.c's install_error(), systemctl-enable.c,
//! systemctl-is-enabled.c): the exit codes and messages scripts test for. The same verbs with
//! no manager running keep the offline answer (install.c's install_changes_dump()). The
//! runtime differential compares these with systemd 252 itself (`install-errors-runtime`,
//! `missing-unit-every-verb`); this pins the parts scripts rely on.

mod common;

use common::sandbox::Sandbox;
use common::Outcome;

const ENABLEABLE: &str =
    "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n";

/// A sandbox with `on.service` (enableable) whose manager runs.
fn with_manager() -> Sandbox {
    let sb = Sandbox::new();
    sb.unit("on.service", ENABLEABLE);
    sb.unit("up.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    sb.quiet_ok(&["start", "up.service"]);
    sb
}

fn answer(o: &Outcome) -> (i32, &str, &str) {
    (o.code, o.stdout.as_str(), o.stderr.as_str())
}

#[test]
fn missing_unit_fails_every_install_verb_with_the_bus_error() {
    let sb = with_manager();
    let o = sb.systemctl(&["is-enabled", "nothere.service"]);
    assert_eq!(
        answer(&o),
        (
            1,
            "",
            "Failed to get unit file state for nothere.service: No such file or directory\n"
        )
    );
    // --quiet keeps the error: it is no state line.
    let o = sb.systemctl(&["is-enabled", "-q", "nothere.service"]);
    assert_eq!(o.code, 1, "{o:?}");
    for verb in ["enable", "disable", "reenable", "preset"] {
        let o = sb.systemctl(&[verb, "nothere.service"]);
        assert_eq!(
            answer(&o),
            (
                1,
                "",
                format!("Failed to {verb} unit: Unit file nothere.service does not exist.\n")
                    .as_str()
            ),
            "{verb}"
        );
    }
    // is-enabled stops at the first unit the manager refuses.
    let o = sb.systemctl(&["is-enabled", "on.service", "nothere.service", "up.service"]);
    assert_eq!(
        answer(&o),
        (
            1,
            "disabled\n",
            "Failed to get unit file state for nothere.service: No such file or directory\n"
        )
    );
}

#[test]
fn a_change_that_succeeds_hides_the_failed_ones() {
    let sb = with_manager();
    let o = sb.systemctl(&["enable", "on.service"]);
    assert_eq!(o.code, 0, "{o:?}");
    let o = sb.systemctl(&["disable", "on.service", "nothere.service"]);
    assert_eq!(
        answer(&o),
        (
            0,
            "",
            "Removed \"/etc/systemd/system/multi-user.target.wants/on.service\".\n"
        )
    );
    let o = sb.systemctl(&["is-enabled", "on.service"]);
    assert_eq!(answer(&o), (1, "disabled\n", ""));
}

#[test]
fn mask_says_when_the_manager_does_not_know_the_unit() {
    let sb = with_manager();
    let o = sb.systemctl(&["mask", "-q", "nothere.service"]);
    assert_eq!(
        answer(&o),
        (
            0,
            "",
            "Unit nothere.service does not exist, proceeding anyway.\n"
        )
    );
    // A file in /etc is the manager's EEXIST.
    let o = sb.systemctl(&["mask", "on.service"]);
    assert_eq!(
        answer(&o),
        (
            1,
            "",
            "Failed to mask unit: File /etc/systemd/system/on.service already exists.\n"
        )
    );
}

#[test]
fn without_a_manager_or_when_told_the_answer_stays_offline() {
    let sb = Sandbox::new();
    sb.unit("on.service", ENABLEABLE);
    let offline = |sb: &Sandbox, env: &[(&str, &str)]| {
        let o = sb.systemctl_env(env, &["is-enabled", "nothere.service"]);
        assert_eq!(answer(&o), (4, "not-found\n", ""), "{env:?}");
        let o = sb.systemctl_env(env, &["disable", "nothere.service"]);
        assert_eq!(
            answer(&o),
            (
                0,
                "",
                "Failed to disable unit, unit nothere.service does not exist.\n"
            ),
            "{env:?}"
        );
    };
    offline(&sb, &[]);
    sb.unit("up.service", "[Service]\nExecStart=/bin/sleep infinity\n");
    sb.quiet_ok(&["start", "up.service"]);
    offline(&sb, &[("SYSTEMCTL_INSTALL_CLIENT_SIDE", "1")]);
}
