//! A TCP proxy on loopback that a test can cut: while paused it keeps every
//! connection open and accepts new ones but forwards nothing — the way a
//! dead internet line looks to a workstation (no reset, just silence). It
//! can also be pointed at a restarted server.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Debug)]
struct Shared {
    forwarding: AtomicBool,
    target: Mutex<SocketAddr>,
    closed: AtomicBool,
}

/// Forwards `http://127.0.0.1:PORT` to a target address until dropped.
#[derive(Debug)]
pub struct TcpProxy {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl TcpProxy {
    /// Starts forwarding to `target` (`http://host:port` or `host:port`).
    pub fn start(target: &str) -> io::Result<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            forwarding: AtomicBool::new(true),
            target: Mutex::new(parse(target)?),
            closed: AtomicBool::new(false),
        });
        let accept = shared.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if accept.closed.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let shared = accept.clone();
                thread::spawn(move || {
                    let _ = connect(client, &shared);
                });
            }
        });
        Ok(TcpProxy { shared, addr })
    }

    /// `http://127.0.0.1:PORT`, the address workstations use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops forwarding: connections stay open, bytes wait.
    pub fn pause(&self) {
        self.shared.forwarding.store(false, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.shared.forwarding.store(true, Ordering::SeqCst);
    }

    /// Sends new connections to another address (a restarted server).
    pub fn retarget(&self, target: &str) -> io::Result<()> {
        *self.shared.target.lock().unwrap_or_else(|p| p.into_inner()) = parse(target)?;
        Ok(())
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn parse(target: &str) -> io::Result<SocketAddr> {
    let hostport = target.trim_start_matches("http://").trim_end_matches('/');
    hostport
        .parse()
        .map_err(|e| io::Error::other(format!("bad proxy target {target:?}: {e}")))
}

fn connect(client: TcpStream, shared: &Arc<Shared>) -> io::Result<()> {
    // A paused line does not even reach the server.
    while !shared.forwarding.load(Ordering::SeqCst) {
        if shared.closed.load(Ordering::SeqCst) {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(20));
    }
    let target = *shared.target.lock().unwrap_or_else(|p| p.into_inner());
    let server = TcpStream::connect(target)?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (c2, s2) = (client.try_clone()?, server.try_clone()?);
    let up = shared.clone();
    thread::spawn(move || pump(client, server, &up));
    pump(s2, c2, shared);
    Ok(())
}

/// Copies `from` to `to`, holding bytes while the proxy is paused.
fn pump(mut from: TcpStream, mut to: TcpStream, shared: &Arc<Shared>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        while !shared.forwarding.load(Ordering::SeqCst) {
            if shared.closed.load(Ordering::SeqCst) {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
