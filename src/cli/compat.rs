//! systemd's SysV compatibility front ends (systemctl-compat-*.c), the names Debian's
//! systemd-sysv links to systemctl: `runlevel`, `telinit`, `halt`/`poweroff`/`reboot` and
//! `shutdown`, each turned into the systemctl verb it stands for.
//!
//! `runlevel`: systemd answers from the utmp records systemd-update-utmp writes; there is no
//! utmp here, so the runlevel is the one the active target stands for (systemd's
//! `runlevelN.target` aliases): `N 5` for graphical.target, `N 3` for multi-user.target, `N 1`
//! for rescue.target, and `unknown` (exit 1) when none is active or no manager runs.

/// The targets, most specific first, and the runlevel each is.
const LEVELS: [(&str, char); 3] = [
    ("graphical.target", '5'),
    ("multi-user.target", '3'),
    ("rescue.target", '1'),
];

/// Run the front end `program` (`runlevel`, `telinit`, `halt`, `poweroff`, `reboot`,
/// `shutdown`) with the given argv (including argv[0]); `None` for another name.
pub fn compat_main(program: &str, argv: &[std::ffi::OsString]) -> Option<u8> {
    let args: Vec<String> = argv
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let verb = match program {
        "runlevel" => return Some(runlevel(&args)),
        "telinit" => telinit(&args),
        "halt" | "poweroff" | "reboot" => halt(program, &args),
        "shutdown" => shutdown(&args),
        _ => return None,
    };
    Some(match verb {
        Ok(verb) => {
            let mut call = vec!["systemctl".to_string()];
            call.extend(verb);
            super::systemctl_main(call)
        }
        Err(code) => code,
    })
}

/// What a front end asks of systemctl: its arguments, or the exit status when nothing is left
/// to do (help, a refusal).
type Verb = Result<Vec<String>, u8>;

fn refuse(program: &str, message: &str) -> Verb {
    eprintln!("{program}: {message}");
    Err(1)
}

/// telinit_parse_argv(): the runlevel letter or number picks the verb.
fn telinit(args: &[String]) -> Verb {
    let words: Vec<&String> = args.iter().filter(|a| a.as_str() != "--no-wall").collect();
    if let Some(option) = words.iter().find(|a| a.starts_with('-')) {
        return refuse("telinit", &format!("unrecognized option '{option}'"));
    }
    let [level] = words.as_slice() else {
        return refuse("telinit", "Wrong number of arguments.");
    };
    let verb: &[&str] = match level.as_str() {
        "0" => &["poweroff"],
        "6" => &["reboot"],
        "1" | "s" | "S" => &["isolate", "rescue.target"],
        "2" | "3" | "4" => &["isolate", "multi-user.target"],
        "5" => &["isolate", "graphical.target"],
        "q" | "Q" => &["daemon-reload"],
        "u" | "U" => &["daemon-reexec"],
        _ => return refuse("telinit", "Unknown command."),
    };
    Ok(verb.iter().map(|s| s.to_string()).collect())
}

/// halt_parse_argv(): `halt`, `poweroff` and `reboot` with their options.
fn halt(program: &str, args: &[String]) -> Verb {
    let mut verb = program.to_string();
    let mut force = false;
    for a in args {
        match a.as_str() {
            "--halt" => verb = "halt".into(),
            "-p" | "--poweroff" => verb = "poweroff".into(),
            "--reboot" => verb = "reboot".into(),
            "-f" | "--force" => force = true,
            // Only the wtmp record would be written: there is no wtmp here.
            "-w" | "--wtmp-only" => return Err(0),
            "-d" | "--no-wtmp" | "-n" | "--no-sync" | "--no-wall" | "-i" => {}
            o if o.starts_with('-') => {
                return refuse(program, &format!("unrecognized option '{o}'"));
            }
            _ => return refuse(program, "Too many arguments."),
        }
    }
    let mut call = vec![verb];
    if force {
        call.push("--force".into());
    }
    Ok(call)
}

/// shutdown_parse_argv(): `shutdown [OPTIONS…] [TIME] [WALL…]`. Only an immediate shutdown is
/// possible: a scheduled one needs systemd-logind, which does not run here.
fn shutdown(args: &[String]) -> Verb {
    let mut verb = "poweroff";
    let mut words = Vec::new();
    for a in args {
        match a.as_str() {
            "-H" | "--halt" => verb = "halt",
            "-P" | "--poweroff" => verb = "poweroff",
            "-r" | "--reboot" => verb = "reboot",
            "-h" if verb != "halt" => verb = "poweroff",
            "-h" | "--no-wall" => {}
            // Only the wall message, or a cancel of a scheduled shutdown (none is ever scheduled).
            "-k" | "-c" => return Err(0),
            o if o.starts_with('-') => {
                return refuse("shutdown", &format!("unrecognized option '{o}'"));
            }
            w => words.push(w),
        }
    }
    match words.first().copied() {
        None | Some("now" | "+0" | "0") => Ok(vec![verb.to_string()]),
        Some(_) => refuse(
            "shutdown",
            "Scheduled shutdowns need systemd-logind, which does not run here; use \"shutdown now\".",
        ),
    }
}

fn runlevel(args: &[String]) -> u8 {
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
    let states = super::queries::query_states(&targets).unwrap_or_default();
    let current = LEVELS
        .iter()
        .zip(&states)
        .find(|(_, (_, active))| active.is_active_or_reloading())
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
