//! Reading a pipe line by line with bounded memory: the part of a line beyond the limit is
//! dropped (and the line flagged as cut) instead of buffered.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// Keeps the last `cap` bytes written to it (stderr for error messages).
#[derive(Debug, Default)]
pub(crate) struct Tail {
    cap: usize,
    buf: Vec<u8>,
}

impl Tail {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            buf: Vec::new(),
        }
    }

    pub(crate) fn push_line(&mut self, line: &[u8]) {
        self.buf.extend_from_slice(line);
        self.buf.push(b'\n');
        if self.buf.len() > self.cap.saturating_mul(2) {
            let excess = self.buf.len() - self.cap;
            self.buf.drain(..excess);
        }
    }

    pub(crate) fn into_string(self) -> String {
        let start = self.buf.len().saturating_sub(self.cap);
        String::from_utf8_lossy(&self.buf[start..]).into_owned()
    }
}

/// Calls `on_line(line, cut)` for every line of `reader` (without the newline) until EOF or a
/// read error. Lines longer than `max_line` are cut to it.
pub(crate) async fn read_lines<R: AsyncRead + Unpin>(
    reader: R,
    max_line: usize,
    mut on_line: impl FnMut(&[u8], bool),
) {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut line = Vec::new();
    let mut cut = false;
    loop {
        let buf = match reader.fill_buf().await {
            Ok(buf) => buf,
            Err(e) => {
                tracing::warn!(error = %e, "reading hook output failed");
                break;
            }
        };
        if buf.is_empty() {
            if !line.is_empty() || cut {
                on_line(&line, cut);
            }
            return;
        }
        let (chunk, consumed, complete) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        let room = max_line.saturating_sub(line.len());
        if chunk.len() > room {
            line.extend_from_slice(&chunk[..room]);
            cut = true;
        } else {
            line.extend_from_slice(chunk);
        }
        reader.consume(consumed);
        if complete {
            on_line(&line, cut);
            line.clear();
            cut = false;
        }
    }
}

/// Reads everything up to `limit` bytes; `Err(())` when there is more.
pub(crate) async fn read_all_limited<R: AsyncRead + Unpin>(
    reader: R,
    limit: usize,
) -> Result<Vec<u8>, ()> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let mut limited = reader.take(limit as u64 + 1);
    if let Err(e) = limited.read_to_end(&mut out).await {
        tracing::warn!(error = %e, "reading hook output failed");
    }
    if out.len() > limit {
        return Err(());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(input: &[u8], max: usize) -> Vec<(String, bool)> {
        let mut lines = Vec::new();
        read_lines(input, max, |l, cut| {
            lines.push((String::from_utf8_lossy(l).into_owned(), cut));
        })
        .await;
        lines
    }

    #[tokio::test]
    async fn splits_on_newlines_and_keeps_a_final_unterminated_line() {
        let lines = collect(b"a\nbb\n\nccc", 100).await;
        let expected = [("a", false), ("bb", false), ("", false), ("ccc", false)];
        let expected: Vec<(String, bool)> =
            expected.iter().map(|(s, c)| (s.to_string(), *c)).collect();
        assert_eq!(lines, expected);
    }

    #[tokio::test]
    async fn lines_longer_than_the_limit_are_cut_without_buffering_them() {
        let mut input = vec![b'x'; 300_000];
        input.extend_from_slice(b"\nnext\n");
        let lines = collect(&input, 1000).await;
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0.len(), 1000);
        assert!(lines[0].1);
        assert_eq!(lines[1], ("next".to_string(), false));
    }

    #[test]
    fn tail_keeps_only_the_last_bytes() {
        let mut tail = Tail::new(10);
        for i in 0..100 {
            tail.push_line(format!("line{i}").as_bytes());
        }
        let s = tail.into_string();
        assert_eq!(s.len(), 10);
        assert!(s.ends_with("line99\n"));
    }

    #[tokio::test]
    async fn read_all_limited_rejects_oversized_output() {
        assert_eq!(
            read_all_limited(&b"12345"[..], 5).await,
            Ok(b"12345".to_vec())
        );
        assert_eq!(read_all_limited(&b"123456"[..], 5).await, Err(()));
    }
}
