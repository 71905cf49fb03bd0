//! The VM side of the control port: the listener and connection threads, and [`Server::serve`],
//! which the VM thread calls between scheduler steps to answer queued requests (see the module
//! docs of `control` for the design).

use super::protocol::{self, Request, UpdateArgs};
use super::{read_line, token, Line, MAX_LINE};
use newt_vm::{Status, UpdateRequest, Vm};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

/// `newt run --control` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub addr: String,
    pub token_file: Option<PathBuf>,
    /// Allow non-loopback addresses (`--control-public`).
    pub public: bool,
}

/// A request waiting for the VM thread, with where its reply goes.
struct Job {
    request: Request,
    reply: Sender<Value>,
}

pub use crate::doorbell::Doorbell;

/// The VM thread's end of the control port.
pub struct Server {
    jobs: Receiver<Job>,
    /// Per-module version: how many committed updates changed the module's source.
    versions: HashMap<String, u64>,
    /// Rung when an update's compilation (done off the VM thread) ends, to wake the scheduler.
    bell: Doorbell,
}

/// Reads the token, binds `opts.addr` and starts the listener thread; prints the bound address to
/// stderr. Install the returned doorbell with `Vm::set_event_source`.
pub fn start(opts: &Options) -> Result<(Server, Doorbell), String> {
    let path = match &opts.token_file {
        Some(p) => p.clone(),
        None => token::default_path()?,
    };
    let secret = token::load_or_create(&path)?;
    let addrs: Vec<SocketAddr> =
        opts.addr.to_socket_addrs().map_err(|e| format!("bad control address '{}': {e}", opts.addr))?.collect();
    if addrs.is_empty() {
        return Err(format!("control address '{}' resolves to nothing", opts.addr));
    }
    if !opts.public {
        if let Some(a) = addrs.iter().find(|a| !a.ip().is_loopback()) {
            return Err(format!("control address {a} is not a loopback address (add --control-public to allow it)"));
        }
    }
    let listener = TcpListener::bind(&addrs[..]).map_err(|e| format!("cannot listen on '{}': {e}", opts.addr))?;
    let local = listener.local_addr().map_err(|e| format!("cannot listen on '{}': {e}", opts.addr))?;
    eprintln!("newt: control port listening on {local}");
    let (tx, rx) = channel();
    let bell = Doorbell::default();
    let secret = Arc::new(secret);
    let bell2 = bell.clone();
    std::thread::Builder::new()
        .name("newt-control".into())
        .spawn(move || accept_loop(listener, secret, tx, bell2))
        .map_err(|e| format!("cannot start the control thread: {e}"))?;
    Ok((Server { jobs: rx, versions: HashMap::new(), bell: bell.clone() }, bell))
}

fn accept_loop(listener: TcpListener, secret: Arc<String>, tx: Sender<Job>, bell: Doorbell) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let (secret, tx, bell) = (secret.clone(), tx.clone(), bell.clone());
        let spawned = std::thread::Builder::new().name("newt-control-conn".into()).spawn(move || {
            if let Err(e) = connection(stream, &secret, &tx, &bell) {
                eprintln!("newt: control connection: {e}");
            }
        });
        if let Err(e) = spawned {
            eprintln!("newt: control port: cannot start a connection thread: {e}");
        }
    }
}

fn send(w: &mut TcpStream, v: &Value) -> std::io::Result<()> {
    let mut line = v.to_string();
    line.push('\n');
    w.write_all(line.as_bytes())?;
    w.flush()
}

/// One client: authentication, then requests until it closes.
fn connection(stream: TcpStream, secret: &str, jobs: &Sender<Job>, bell: &Doorbell) -> std::io::Result<()> {
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    let authed = match read_line(&mut r, MAX_LINE)? {
        Line::Eof => return Ok(()),
        Line::TooLong => Err("the first line is longer than 16 MiB"),
        Line::Text(t) => check_auth(&t, secret),
    };
    if let Err(why) = authed {
        return send(&mut w, &protocol::error("auth", why));
    }
    send(&mut w, &json!({"ok": true}))?;
    loop {
        let line = match read_line(&mut r, MAX_LINE)? {
            Line::Eof => return Ok(()),
            Line::TooLong => return send(&mut w, &protocol::error("bad_request", "line longer than 16 MiB")),
            Line::Text(t) => t,
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let request = match protocol::parse_request(&line) {
            Ok(r) => r,
            Err(msg) => {
                send(&mut w, &protocol::error("bad_request", &msg))?;
                continue;
            }
        };
        let (reply_tx, reply_rx) = channel();
        if jobs.send(Job { request, reply: reply_tx }).is_err() {
            return send(&mut w, &protocol::error("aborted", "the program has ended"));
        }
        bell.ring();
        let reply = reply_rx.recv().unwrap_or_else(|_| protocol::error("aborted", "the program has ended"));
        // A client that went away only loses the reply; the request has been carried out.
        send(&mut w, &reply)?;
    }
}

fn check_auth(line: &[u8], secret: &str) -> Result<(), &'static str> {
    let v: Value =
        serde_json::from_slice(line).map_err(|_| "the first line must be {\"op\": \"auth\", \"token\": ...}")?;
    if v.get("op").and_then(Value::as_str) != Some("auth") {
        return Err("the first request must be auth");
    }
    match v.get("token").and_then(Value::as_str) {
        Some(t) if token::matches(t, secret) => Ok(()),
        Some(_) => Err("wrong token"),
        None => Err("missing token"),
    }
}

impl Server {
    /// Answers every queued request; call it between scheduler steps.
    pub fn serve(&mut self, vm: &mut Vm) {
        while let Ok(job) = self.jobs.try_recv() {
            let reply = match &job.request {
                Request::Status => json!({"ok": true, "status": self.status(vm)}),
                Request::Update(args) => self.update(vm, args),
            };
            let _ = job.reply.send(reply);
        }
    }

    fn update(&mut self, vm: &mut Vm, args: &UpdateArgs) -> Value {
        let Some(((first, text), rest)) = args.modules.split_first() else {
            return protocol::error("bad_request", "\"modules\" must name at least one module");
        };
        let mut req = UpdateRequest::module(first, text);
        for (name, text) in rest {
            req = req.with(name, text);
        }
        req = req.timeout(args.timeout);
        req.dry_run = args.dry_run;
        if let Some(script) = &args.script {
            req = req.script(script);
        }
        let before = texts(vm);
        // The new version compiles on another thread while the program keeps running.
        let bell = self.bell.clone();
        let report = vm.update_compiling_aside(req, Box::new(move || bell.ring()));
        if !args.dry_run && report.outcome == newt_vm::Outcome::Committed {
            for (name, text) in texts(vm) {
                if before.get(&name) != Some(&text) {
                    *self.versions.entry(name).or_insert(0) += 1;
                }
            }
        }
        protocol::update_reply(&report, args.dry_run)
    }

    fn status(&self, vm: &Vm) -> Value {
        let modules: Vec<Value> = vm
            .dsu_modules()
            .iter()
            .map(|m| {
                json!({"name": m.module, "path": m.path, "hash": format!("{:016x}", fnv1a(m.text.as_bytes())),
                       "version": self.versions.get(&m.module).copied().unwrap_or(0)})
            })
            .collect();
        let fibers: Vec<Value> = vm
            .fiber_ids()
            .into_iter()
            .filter_map(|id| vm.fiber(id))
            .filter(|f| !f.is_done())
            .map(|f| {
                let frames: Vec<Value> = f
                    .frames
                    .iter()
                    .rev()
                    .filter_map(|fr| {
                        let func = vm.tables().function(fr.func)?;
                        Some(json!({"function": func.display, "path": func.proto.path,
                                    "line": func.line(fr.current_pc())}))
                    })
                    .collect();
                json!({"id": f.id.0, "name": f.name, "status": status_name(f.status), "frames": frames})
            })
            .collect();
        let history: Vec<Value> = vm.dsu_history().iter().map(|r| protocol::report(r, false)).collect();
        json!({"version": vm.dsu_version(), "modules": modules, "fibers": fibers, "history": history})
    }
}

fn texts(vm: &Vm) -> HashMap<String, String> {
    vm.dsu_modules().iter().map(|m| (m.module.clone(), m.text.clone())).collect()
}

fn status_name(s: Status) -> String {
    match s {
        Status::Runnable => "runnable".into(),
        Status::Running => "running".into(),
        Status::Parked(w) => format!("parked ({w:?})").to_lowercase(),
        Status::Done { ok: true } => "done".into(),
        Status::Done { ok: false } => "failed".into(),
    }
}

/// A stable 64-bit content hash (FNV-1a) of a module's source.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}
