//! The job engine's parts that own no process and run no event: job types and how two of them
//! merge (job.c's `job_type_merge()`), the unit graph (`graph`: dependencies, ordering edges and
//! ordering cycles), the transaction a request builds over the unit table (`transaction`,
//! systemd's transaction.c) and the queue of jobs (`queue`). Running jobs against the units is
//! the manager's (`manager/job.rs`).

pub mod graph;
pub mod queue;
pub mod transaction;

use crate::unit::job::JobKind;

/// systemd's `job_type_merge()`: the job that does both, if there is one.
pub fn merge(a: JobKind, b: JobKind) -> Option<JobKind> {
    use JobKind::*;
    match (a, b) {
        _ if a == b => Some(a),
        (Stop, _) | (_, Stop) => None,
        (VerifyActive, other) | (other, VerifyActive) => Some(other),
        (Restart, _) | (_, Restart) => Some(Restart),
        (Start, Reload) | (Reload, Start) => Some(Restart),
        _ => None,
    }
}

/// A queued job.
#[derive(Debug)]
pub struct Job {
    /// systemd's job number, as `list-jobs` shows it.
    pub id: u32,
    pub kind: JobKind,
    /// `--job-mode=ignore-dependencies`: runs without waiting for ordering.
    pub ignore_order: bool,
    /// The unit has acted on the job; it finishes with the unit's next settled state.
    pub running: bool,
    /// (client, slot in that client's reply).
    pub waiters: Vec<(u64, usize)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_follows_systemd_job_type_merge() {
        use JobKind::*;
        assert_eq!(merge(Start, VerifyActive), Some(Start));
        assert_eq!(merge(Start, Restart), Some(Restart));
        assert_eq!(merge(Start, Reload), Some(Restart));
        assert_eq!(merge(Start, Stop), None);
        assert_eq!(merge(Reload, Stop), None);
        assert_eq!(merge(Stop, Stop), Some(Stop));
        assert_eq!(merge(Reload, VerifyActive), Some(Reload));
    }
}
