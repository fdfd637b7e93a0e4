//! `process_*` metrics read from `/proc` on each scrape, as Go's default registry exposes them.

use std::path::{Path, PathBuf};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// `/proc` reports CPU times in USER_HZ, which is 100 on every Linux architecture we build for.
const USER_HZ: f64 = 100.0;

/// What one scrape reads about this process.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ProcessStats {
    cpu_seconds: f64,
    start_time_seconds: f64,
    virtual_memory_bytes: f64,
    resident_memory_bytes: f64,
    open_fds: f64,
    max_fds: Option<f64>,
}

/// Writes `process_cpu_seconds_total`, `process_start_time_seconds`,
/// `process_virtual_memory_bytes`, `process_resident_memory_bytes`, `process_open_fds` and
/// `process_max_fds` (unprefixed, as in Go). Writes nothing where `/proc` cannot be read.
#[derive(Debug, Clone)]
pub struct ProcessCollector {
    /// The process directory, `/proc/self` outside tests.
    process_dir: PathBuf,
    /// `/proc/stat`, for the boot time.
    stat_file: PathBuf,
}

impl Default for ProcessCollector {
    fn default() -> Self {
        Self {
            process_dir: PathBuf::from("/proc/self"),
            stat_file: PathBuf::from("/proc/stat"),
        }
    }
}

/// Fields after the `(comm)` of `/proc/<pid>/stat`: (utime+stime ticks, starttime ticks, vsize).
fn parse_stat(stat: &str) -> Option<(f64, f64, f64)> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let num = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((num(11)? + num(12)?, num(19)?, num(20)?))
}

/// `VmRSS` of `/proc/<pid>/status`, in bytes.
fn parse_rss(status: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// `btime` of `/proc/stat`: boot time in seconds since the epoch.
fn parse_btime(stat: &str) -> Option<f64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// The soft `Max open files` of `/proc/<pid>/limits`; `None` when unlimited.
fn parse_max_fds(limits: &str) -> Option<f64> {
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

impl ProcessCollector {
    fn read(&self) -> Option<ProcessStats> {
        let read = |p: &Path| std::fs::read_to_string(p).ok();
        let (cpu_ticks, start_ticks, vsize) = parse_stat(&read(&self.process_dir.join("stat"))?)?;
        let btime = parse_btime(&read(&self.stat_file)?)?;
        let open_fds = std::fs::read_dir(self.process_dir.join("fd")).ok()?.count();
        #[allow(clippy::cast_precision_loss, reason = "descriptor counts are small")]
        let open_fds = open_fds as f64;
        Some(ProcessStats {
            cpu_seconds: cpu_ticks / USER_HZ,
            start_time_seconds: btime + start_ticks / USER_HZ,
            virtual_memory_bytes: vsize,
            resident_memory_bytes: parse_rss(&read(&self.process_dir.join("status"))?)?,
            open_fds,
            max_fds: read(&self.process_dir.join("limits")).and_then(|l| parse_max_fds(&l)),
        })
    }
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    v: f64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstGauge::new(v);
    let m = encoder.encode_descriptor(name, help, None, metric.metric_type())?;
    metric.encode(m)
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(stats) = self.read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(stats.cpu_seconds);
        let m = encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            None,
            cpu.metric_type(),
        )?;
        cpu.encode(m)?;
        if let Some(max) = stats.max_fds {
            gauge(
                &mut encoder,
                "process_max_fds",
                "Maximum number of open file descriptors.",
                max,
            )?;
        }
        gauge(
            &mut encoder,
            "process_open_fds",
            "Number of open file descriptors.",
            stats.open_fds,
        )?;
        gauge(
            &mut encoder,
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            stats.resident_memory_bytes,
        )?;
        gauge(
            &mut encoder,
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            stats.start_time_seconds,
        )?;
        gauge(
            &mut encoder,
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            stats.virtual_memory_bytes,
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::MetricsRegistry;

    #[test]
    fn stat_fields_are_read_after_a_command_name_with_spaces_and_parens() {
        let stat = "42 (my (odd) cmd) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 12345 987654 321";
        assert_eq!(parse_stat(stat), Some((300.0, 12345.0, 987_654.0)));
    }

    #[test]
    fn status_limits_and_boot_time_are_parsed() {
        assert_eq!(
            parse_rss("Name:\tx\nVmRSS:\t    2048 kB\n"),
            Some(2_097_152.0)
        );
        assert_eq!(parse_btime("cpu 1 2 3\nbtime 1700000000\n"), Some(1.7e9));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 1048576              files\n";
        assert_eq!(parse_max_fds(limits), Some(1024.0));
        assert_eq!(
            parse_max_fds(
                "Max open files            unlimited            unlimited            files\n"
            ),
            None
        );
    }

    #[test]
    fn this_process_exposes_go_process_metric_names_on_linux() {
        if !Path::new("/proc/self/stat").exists() {
            return;
        }
        let mut registry = MetricsRegistry::default();
        registry.register_collector(Box::new(ProcessCollector::default()));
        let text = registry.encode().unwrap();
        assert!(
            text.contains("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total "),
            "{text}"
        );
        let rss: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(rss > 1_000_000.0, "{rss}");
        assert!(text.contains("# TYPE process_open_fds gauge\n"), "{text}");
    }

    #[test]
    fn an_unreadable_proc_writes_nothing() {
        let collector = ProcessCollector {
            process_dir: PathBuf::from("/nonexistent/self"),
            stat_file: PathBuf::from("/nonexistent/stat"),
        };
        let mut registry = MetricsRegistry::default();
        registry.register_collector(Box::new(collector));
        assert_eq!(registry.encode().unwrap(), "");
    }
}
