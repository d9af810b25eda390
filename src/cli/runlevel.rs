//! `runlevel`, systemd's SysV compatibility front end (systemctl-compat-runlevel.c): Debian's
//! systemd-sysv links it to systemctl, and invoke-rc.d reads its answer in maintainer scripts.
//! systemd answers from the utmp records systemd-update-utmp writes; there is no utmp here, so
//! the runlevel is the one the active target stands for (systemd's `runlevelN.target` aliases):
//! `N 5` for graphical.target, `N 3` for multi-user.target, `N 1` for rescue.target, and
//! `unknown` (exit 1) when none is active or no manager runs.

/// The targets, most specific first, and the runlevel each is.
const LEVELS: [(&str, char); 3] = [
    ("graphical.target", '5'),
    ("multi-user.target", '3'),
    ("rescue.target", '1'),
];

/// Run `runlevel` with the given argv (including argv[0]); returns the exit status.
pub fn runlevel_main<I, T>(argv: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<String> = argv
        .into_iter()
        .skip(1)
        .map(|a| a.into().to_string_lossy().into_owned())
        .collect();
    match args.first().map(String::as_str) {
        None => {}
        Some("-h" | "--help") => {
            println!(
                "runlevel [OPTIONS...]\n\nPrints the previous and current runlevel of the init system.\n\n\
                 Options:\n     --help      Show this help"
            );
            return 0;
        }
        Some(a) if a.starts_with('-') => {
            eprintln!("runlevel: unrecognized option '{a}'");
            return 1;
        }
        Some(_) => {
            eprintln!("Too many arguments.");
            return 1;
        }
    }
    let targets: Vec<String> = LEVELS.iter().map(|(t, _)| t.to_string()).collect();
    let states = super::runtime::query_states(&targets).unwrap_or_default();
    let current = LEVELS
        .iter()
        .zip(&states)
        .find(|(_, (_, active))| matches!(active.as_str(), "active" | "reloading"))
        .map(|((_, level), _)| *level);
    match current {
        Some(level) => {
            println!("N {level}");
            0
        }
        None => {
            println!("unknown");
            1
        }
    }
}
