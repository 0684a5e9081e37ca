//! A server's CPU time and memory, read from `/proc/PID` (Linux): of one process, or added
//! up over several (a cluster's nodes).

/// Clock ticks per second in `/proc/PID/stat` (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds a process has used, in its own code and in the kernel on its behalf.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Cpu {
    pub(crate) user: f64,
    pub(crate) system: f64,
}

impl Cpu {
    pub(crate) fn total(self) -> f64 {
        self.user + self.system
    }

    /// The CPU used between `self` and `later`.
    pub(crate) fn until(self, later: Cpu) -> Cpu {
        Cpu {
            user: later.user - self.user,
            system: later.system - self.system,
        }
    }
}

/// The CPU time the process has used so far.
pub(crate) fn cpu(pid: u32) -> Option<Cpu> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count fields after its end.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some(Cpu {
        user: user / TICKS_PER_SECOND,
        system: system / TICKS_PER_SECOND,
    })
}

/// The CPU time every process of `pids` has used so far, added up; `None` if there are none,
/// or one of them cannot be read (it ended): a part would pass for the whole.
pub(crate) fn cpu_of_all(pids: &[u32]) -> Option<Cpu> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().try_fold(Cpu::default(), |sum, pid| {
        let one = cpu(*pid)?;
        Some(Cpu {
            user: sum.user + one.user,
            system: sum.system + one.system,
        })
    })
}

/// The resident memory of every process of `pids`, added up, as [`cpu_of_all`].
pub(crate) fn rss_of_all(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|pid| rss_bytes(*pid)).sum()
}

/// Resident memory of the process, in bytes.
pub(crate) fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
