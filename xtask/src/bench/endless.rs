//! A hostile server for the memory row: every request gets a `200` whose chunked body opens a
//! page and never closes it. It stops after `cap` bytes per response (so an unbounded client
//! cannot eat the machine) and then drops the connection.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The client's cap on a page body, which the row's target is measured against.
pub const CLIENT_BODY_CAP: u64 = vbo_client::DEFAULT_MAX_BODY_BYTES;

/// The server, running on a thread of the bench process until dropped.
pub struct Endless {
    /// Its base URL (plain http on loopback).
    pub url: String,
    /// Body bytes sent, over every response.
    pub sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// One session, repeated forever inside the page's `results`.
const SESSION: &str = r#"{"id":"6a3fa2fb-3a77-4d99-8b5d-000000000000","creationTime":"2026-11-28T12:00:00Z","endTime":"2026-11-28T12:01:30Z","progress":100,"status":"Success","statistics":{"processingRateBytesPS":1000,"processingRateItemsPS":3,"readRateBytesPS":2000,"writeRateBytesPS":500,"transferredDataBytes":123456,"processedObjects":12,"bottleneck":"Target"},"_links":{"self":{"href":"https://vbo01:4443/v5/jobsessions/6a3fa2fb-3a77-4d99-8b5d-000000000000"}}},"#;

impl Endless {
    /// Starts the server on a free loopback port; each response stops after `cap` body bytes.
    pub fn start(cap: u64) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let sent = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (sent_by, stop_at) = (Arc::clone(&sent), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !stop_at.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = serve(stream, cap, &sent_by, &stop_at);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Ok(Self {
            url,
            sent,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Endless {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one connection: reads the request head, then streams chunks until `cap`.
fn serve(
    mut stream: TcpStream,
    cap: u64,
    sent: &AtomicU64,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\
          Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )?;
    let mut chunk = br#"{"offset":0,"limit":1000,"results":["#.to_vec();
    while chunk.len() < 64 * 1024 {
        chunk.extend_from_slice(SESSION.as_bytes());
    }
    let mut first = true;
    let mut body = 0u64;
    while body < cap && !stop.load(Ordering::Relaxed) {
        let part: &[u8] = if first {
            &chunk
        } else {
            &chunk[r#"{"offset":0,"limit":1000,"results":["#.len()..]
        };
        first = false;
        stream.write_all(format!("{:x}\r\n", part.len()).as_bytes())?;
        stream.write_all(part)?;
        stream.write_all(b"\r\n")?;
        body += part.len() as u64;
        sent.fetch_add(part.len() as u64, Ordering::Relaxed);
    }
    // No closing chunk: the body never ends, the connection just goes away.
    stream.shutdown(Shutdown::Both)
}
