//! The [Timer] settings of systemd.timer(5) as systemd 252's load-fragment.c keeps them, with
//! their defaults.

use crate::unit::timespan::Usec;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerSection {
    /// (`OnBootUSec`-style base name, span).
    pub monotonic: Vec<(&'static str, Usec)>,
    pub calendar: Vec<String>,
    pub unit: Option<String>,
    pub persistent: bool,
    pub wake_system: bool,
    pub remain_after_elapse: bool,
    pub accuracy: Usec,
    pub randomized_delay: Usec,
    pub fixed_random_delay: bool,
}

impl Default for TimerSection {
    fn default() -> Self {
        TimerSection {
            monotonic: Vec::new(),
            calendar: Vec::new(),
            unit: None,
            persistent: false,
            wake_system: false,
            remain_after_elapse: true,
            accuracy: Usec::secs(60),
            randomized_delay: Usec::ZERO,
            fixed_random_delay: false,
        }
    }
}
