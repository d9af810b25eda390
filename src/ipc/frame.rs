//! Cutting a byte stream from an untrusted peer into newline-terminated frames, as the manager
//! reads `systemctl` requests off the control socket. It keeps what sd-bus's
//! bus_socket_read_message() (src/libsystemd/sd-bus/bus-socket.c) keeps for a message in
//! progress: how much has been looked at, so that each byte received is examined once, and a size
//! cap checked as bytes arrive (sd-bus refuses a message over BUS_MESSAGE_SIZE_MAX before reading
//! its body) rather than after the whole frame is buffered.
//!
//! Pure: no I/O, so that tests and the fuzz harness can drive it with any split of any bytes.

use std::collections::VecDeque;

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// A frame (finished or not) is longer than the reader's limit; the reader refuses every
    /// later byte too, since it no longer knows where the next frame starts.
    #[error("request larger than {limit} bytes")]
    TooLarge { limit: usize },
}

/// Buffers at most one unfinished frame of at most `limit` bytes, plus finished frames not yet
/// taken. Feeding n bytes costs O(n) whatever the split: a byte is scanned for the newline once.
#[derive(Debug)]
pub struct FrameReader {
    buf: Vec<u8>,
    /// Where the first byte not yet handed out as a frame is in `buf`.
    start: usize,
    /// Positions in `buf` of the newlines that end finished frames not yet taken, in order.
    ends: VecDeque<usize>,
    limit: usize,
    refused: bool,
}

/// A buffer left this large once emptied is given back rather than kept for the next request.
const KEEP_CAPACITY: usize = 64 * 1024;

impl FrameReader {
    /// A reader refusing frames longer than `limit` bytes (the newline not counted).
    pub fn new(limit: usize) -> FrameReader {
        FrameReader {
            buf: Vec::new(),
            start: 0,
            ends: VecDeque::new(),
            limit,
            refused: false,
        }
    }

    /// Add received bytes. Only these bytes are scanned; a frame over the limit is refused
    /// before any of its bytes past the limit are stored.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), FrameError> {
        let too_large = FrameError::TooLarge { limit: self.limit };
        if self.refused {
            return Err(too_large);
        }
        // The unfinished frame so far, then each newline in `bytes` ends a frame.
        let mut open = self.buf.len() - self.frame_start();
        let mut new_ends = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                new_ends.push(i);
                open = 0;
            } else {
                open += 1;
                if open > self.limit {
                    self.refuse();
                    return Err(too_large);
                }
            }
        }
        self.compact();
        let base = self.buf.len();
        self.ends.extend(new_ends.into_iter().map(|i| base + i));
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The next finished frame, without its newline.
    pub fn next_frame(&mut self) -> Option<Vec<u8>> {
        let end = self.ends.pop_front()?;
        let frame = self.buf[self.start..end].to_vec();
        self.start = end + 1;
        if self.start == self.buf.len() {
            self.clear();
        }
        Some(frame)
    }

    /// [`FrameReader::feed`], then every frame finished so far.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, FrameError> {
        self.feed(bytes)?;
        Ok(std::iter::from_fn(|| self.next_frame()).collect())
    }

    /// Whether a finished frame waits to be taken.
    pub fn has_frame(&self) -> bool {
        !self.ends.is_empty()
    }

    /// Bytes held: finished frames not taken and the unfinished one.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Bytes of the unfinished frame (0 between requests).
    pub fn unfinished(&self) -> usize {
        self.buf.len() - self.frame_start()
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Where the unfinished frame starts.
    fn frame_start(&self) -> usize {
        self.ends.back().map_or(self.start, |&e| e + 1)
    }

    /// Drop the bytes already handed out once they are at least half of the buffer, so that
    /// moving the rest costs no more than the bytes dropped: O(n) over the stream.
    fn compact(&mut self) {
        if self.start == 0 || self.start < self.buf.len() - self.start {
            return;
        }
        self.buf.drain(..self.start);
        for e in &mut self.ends {
            *e -= self.start;
        }
        self.start = 0;
    }

    fn clear(&mut self) {
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        } else {
            self.buf.clear();
        }
        self.start = 0;
        self.ends.clear();
    }

    fn refuse(&mut self) {
        self.refused = true;
        self.buf = Vec::new();
        self.start = 0;
        self.ends.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_become_frames_in_order() {
        let mut r = FrameReader::new(100);
        assert!(r.push(b"{\"a\":").unwrap().is_empty());
        assert_eq!(r.unfinished(), 5);
        let frames = r.push(b"1}\n{\"b\":2}\n{\"c").unwrap();
        assert_eq!(frames, vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        assert_eq!(r.buffered(), 3);
        assert_eq!(r.push(b"\":3}\n").unwrap(), vec![b"{\"c\":3}".to_vec()]);
        assert_eq!(r.buffered(), 0);
        assert_eq!(r.push(b"\n").unwrap(), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn every_split_of_a_stream_gives_the_same_frames() {
        let stream = b"one\ntwo\n\nthree\nfour";
        let want: Vec<Vec<u8>> = vec![
            b"one".to_vec(),
            b"two".to_vec(),
            Vec::new(),
            b"three".to_vec(),
        ];
        for cut in 0..=stream.len() {
            for cut2 in cut..=stream.len() {
                let mut r = FrameReader::new(10);
                let mut got = r.push(&stream[..cut]).unwrap();
                got.extend(r.push(&stream[cut..cut2]).unwrap());
                got.extend(r.push(&stream[cut2..]).unwrap());
                assert_eq!(got, want, "cuts at {cut} and {cut2}");
                assert_eq!(r.unfinished(), 4);
            }
        }
    }

    #[test]
    fn a_frame_at_the_limit_passes_and_one_byte_more_is_refused() {
        let mut r = FrameReader::new(4);
        assert_eq!(r.push(b"abcd\n").unwrap(), vec![b"abcd".to_vec()]);
        r.feed(b"abcd").unwrap();
        assert_eq!(r.feed(b"e"), Err(FrameError::TooLarge { limit: 4 }));
        assert_eq!(r.buffered(), 0, "what was held is dropped");
        assert_eq!(
            r.feed(b"\n"),
            Err(FrameError::TooLarge { limit: 4 }),
            "a refused stream stays refused"
        );
    }

    #[test]
    fn an_oversized_frame_is_refused_before_it_is_stored() {
        let mut r = FrameReader::new(1024);
        let big = vec![b'x'; 1 << 20];
        assert!(r.feed(&big).is_err());
        assert_eq!(r.buffered(), 0);
        // Finished frames in the same chunk before the long one do not save it.
        let mut r = FrameReader::new(3);
        assert!(r.feed(b"ab\nabcd\n").is_err());
    }

    #[test]
    fn taken_frames_are_let_go() {
        let mut r = FrameReader::new(1 << 20);
        r.feed(&vec![b'x'; 200_000]).unwrap();
        r.feed(b"\n").unwrap();
        assert_eq!(r.next_frame().map(|f| f.len()), Some(200_000));
        assert_eq!(r.buffered(), 0);
        assert!(r.buf.capacity() <= KEEP_CAPACITY);
        // A long pipeline read in small pieces keeps only what is not taken.
        for _ in 0..10_000 {
            r.feed(b"{}\n{").unwrap();
            while r.next_frame().is_some() {}
            r.feed(b"}\n").unwrap();
            assert_eq!(r.next_frame(), Some(b"{}".to_vec()));
        }
        assert!(r.buf.len() < 16, "{}", r.buf.len());
    }

    /// Feeding a 16 MiB stream in 8 KiB pieces is linear: the old reader scanned the whole
    /// buffer again on every piece (seconds of CPU); this takes milliseconds.
    #[test]
    fn a_long_stream_costs_linear_time() {
        let mut r = FrameReader::new(64 << 20);
        let piece = vec![b'x'; 8192];
        let t = std::time::Instant::now();
        for _ in 0..2048 {
            r.feed(&piece).unwrap();
        }
        r.feed(b"\n").unwrap();
        assert_eq!(r.next_frame().map(|f| f.len()), Some(16 << 20));
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            t.elapsed()
        );
    }
}
