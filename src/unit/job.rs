//! The words of a job as systemd names them on D-Bus and in `systemctl` output (job.c's string
//! tables for `JobType`, `JobState` and `JobResult`): the manager's job engine queues and ends
//! jobs with them, its state file keeps them, and the client prints them and words its answer
//! by them, so that both ends of the control channel use one type.

use super::state::string_table;

string_table! {
    /// A job's type, as systemd's `JobType` has those the manager queues.
    pub enum JobKind {
        Start => "start",
        /// Requisite=: succeed only if the unit is already active.
        VerifyActive => "verify-active",
        Stop => "stop",
        Reload => "reload",
        Restart => "restart",
    }
}

string_table! {
    /// systemd's `JobState`: queued, or acting on its unit.
    pub enum JobState {
        Waiting => "waiting",
        Running => "running",
    }
}

string_table! {
    /// How a job ended (systemd's `JobResult`), which systemctl words its message by.
    pub enum JobResult {
        Done => "done",
        Canceled => "canceled",
        Timeout => "timeout",
        Failed => "failed",
        /// A job it required failed.
        Dependency => "dependency",
        /// Nothing to do: a condition or the unit's state made the job moot.
        Skipped => "skipped",
        /// A reload of a unit that is not active.
        Invalid => "invalid",
        Assert => "assert",
        Unsupported => "unsupported",
        Collected => "collected",
        Once => "once",
    }
}

string_table! {
    /// systemd's `JobMode` (`--job-mode=`, `OnFailureJobMode=`, `OnSuccessJobMode=`): how a new
    /// transaction treats the jobs already queued.
    pub enum JobMode {
        Fail => "fail",
        Replace => "replace",
        ReplaceIrreversibly => "replace-irreversibly",
        Isolate => "isolate",
        Flush => "flush",
        IgnoreDependencies => "ignore-dependencies",
        IgnoreRequirements => "ignore-requirements",
        Triggering => "triggering",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_words_cross_the_wire_as_systemds_words() {
        for kind in JobKind::ALL {
            let json = serde_json::to_string(kind).expect("encodes");
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<JobKind>(&json).ok(), Some(*kind));
        }
        for state in JobState::ALL {
            assert_eq!(
                serde_json::to_string(state).ok(),
                Some(format!("\"{state}\""))
            );
        }
        for result in JobResult::ALL {
            let json = serde_json::to_string(result).expect("encodes");
            assert_eq!(json, format!("\"{result}\""));
            assert_eq!(JobResult::parse(result.as_str()), Some(*result));
        }
        assert_eq!(JobKind::VerifyActive.as_str(), "verify-active");
    }
}
