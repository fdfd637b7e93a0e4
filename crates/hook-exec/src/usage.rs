//! CPU time and peak memory of a hook process, read from procfs without `unsafe`.
//!
//! Upstream takes them from `wait4`'s rusage. There is no safe `wait4`/`getrusage` in the
//! workspace's dependencies, so: CPU times are read from `/proc/<pid>/stat` once the hook has
//! exited but before it is reaped (a zombie keeps its counters, including those of the children
//! it waited for, exactly what rusage reports); the peak RSS is the largest `VmHWM` sampled while
//! the hook ran (a zombie has no memory map left), so very short runs may report `None` or an
//! early value.

use std::path::PathBuf;

/// procfs times are in `USER_HZ`, which is 100 on every mainstream Linux architecture.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// Collects usage figures for one process.
#[derive(Debug)]
pub(crate) struct UsageProbe {
    proc_dir: PathBuf,
    max_rss_kib: Option<u64>,
}

impl UsageProbe {
    pub(crate) fn new(pid: u32) -> Self {
        Self {
            proc_dir: PathBuf::from(format!("/proc/{pid}")),
            max_rss_kib: None,
        }
    }

    // procfs files are generated from kernel memory and never wait for a disk, so they are read
    // inline: a blocking-pool hand-off per read would cost more than the read.

    /// Records the current high-water RSS (ignored once the process is gone).
    pub(crate) fn sample_rss(&mut self) {
        let Ok(status) = std::fs::read_to_string(self.proc_dir.join("status")) else {
            return;
        };
        if let Some(kib) = parse_vm_hwm(&status) {
            self.max_rss_kib = Some(self.max_rss_kib.map_or(kib, |m| m.max(kib)));
        }
    }

    /// Reads CPU times of the exited, not yet reaped process.
    pub(crate) fn finish(&self) -> Option<crate::output::ResourceUsage> {
        let stat = std::fs::read_to_string(self.proc_dir.join("stat")).ok()?;
        let (user, sys) = parse_cpu_ticks(&stat)?;
        Some(crate::output::ResourceUsage {
            user_cpu_seconds: user as f64 / CLOCK_TICKS_PER_SECOND,
            sys_cpu_seconds: sys as f64 / CLOCK_TICKS_PER_SECOND,
            max_rss_bytes: self.max_rss_kib.map(|k| k.saturating_mul(1024)),
        })
    }
}

/// `VmHWM:     1234 kB` → 1234.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// (utime + cutime, stime + cstime) in clock ticks. The command name may contain spaces and
/// parentheses, so fields are counted after the last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
    let num = |i: usize| -> Option<u64> {
        let v: i64 = fields.get(i)?.parse().ok()?;
        Some(v.max(0) as u64)
    };
    Some((num(11)? + num(13)?, num(12)? + num(14)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_after_a_command_name_with_spaces_and_parens() {
        let stat = "1234 (my (odd) hook) Z 1 1234 1234 0 -1 4194560 100 0 0 0 250 30 7 3 20 0 1 0";
        assert_eq!(parse_cpu_ticks(stat), Some((257, 33)));
    }

    #[test]
    fn vm_hwm_is_parsed_in_kib() {
        let status = "Name:\tbash\nVmPeak:\t  9000 kB\nVmHWM:\t    3456 kB\nVmRSS:\t 3000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(3456));
        assert_eq!(parse_vm_hwm("Name:\tzombie\n"), None);
    }
}
