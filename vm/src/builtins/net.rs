//! The `__net_*` natives that `std.net` is written on (see `crate::io` for the event loop).
//!
//! Sockets are named by an int id. Operations that cannot finish at once park the calling fiber
//! only. Failures return -1, nil or false and record the OS's message for the calling fiber, which
//! `__net_last_error()` returns: `std.net` turns it into a runtime error, `std.http` into a
//! closed connection.

use super::{Args, BResult};
use crate::error::{Ctl, RtError};
use crate::fiber::{Status, Wait};
use crate::io::stream::{Attempt, Done, Kind, Op, Waiter};
use crate::value::Value;
use crate::vm::Vm;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// The first address `addr` names.
fn resolve(addr: &str) -> Result<SocketAddr, String> {
    match addr.to_socket_addrs() {
        Ok(mut it) => it.next().ok_or_else(|| format!("{addr}: no address")),
        Err(e) => Err(format!("{addr}: {e}")),
    }
}

/// The socket id argument `i`, checked to be open.
fn socket(vm: &Vm, a: Args, i: usize) -> Result<u64, Ctl> {
    let id = a.get(vm, i).int();
    match u64::try_from(id) {
        Ok(u) if vm.sched.net.res.contains_key(&u) => Ok(u),
        _ => Err(Vm::net_bad_id(id).into()),
    }
}

/// A non-negative size argument.
fn size(vm: &Vm, a: Args, i: usize) -> usize {
    usize::try_from(a.get(vm, i).int()).unwrap_or(0)
}

/// Finishes a native: the value now, or park the fiber as the socket's reader or writer.
fn finish(vm: &mut Vm, id: u64, op: Op, attempt: Attempt) -> BResult {
    match attempt {
        Attempt::Done(d) => Ok(vm.io_result(d, op)),
        Attempt::Block => {
            let fiber = vm.current_fiber();
            let reading = matches!(op, Op::Accept | Op::ReadLine { .. } | Op::Read { .. });
            let ctl = vm.park(Wait::Io(id));
            if ctl == Ctl::Park {
                vm.sched.net.park(id, reading, Waiter { fiber, op, deadline: None });
            }
            Err(ctl)
        }
    }
}

/// Starts an operation: clears the fiber's last error, notes who uses the socket, and refuses a
/// second fiber reading (or writing) the same socket at the same time.
fn begin(vm: &mut Vm, id: u64, reading: bool) -> Result<(), Ctl> {
    let me = vm.current_fiber();
    vm.sched.net.errors.remove(&me);
    vm.sched.net.touch(id, me);
    let waiter = vm.sched.net.res.get(&id).and_then(|r| if reading { r.reader } else { r.writer });
    let busy = waiter.is_some_and(|w| vm.fiber_status(w.fiber) == Some(Status::Parked(Wait::Io(id))));
    if let (Some(_), false) = (waiter, busy) {
        // The waiter no longer waits (its stack was discarded, e.g. by an update's reboot).
        vm.sched.net.forget_waiter(id, reading);
    }
    if busy {
        let what = if reading { "reading from" } else { "writing to" };
        return Err(RtError::new(format!("another fiber is already {what} this socket")).into());
    }
    Ok(())
}

/// `__net_listen(addr) -> int`: a listening socket, or -1.
pub(crate) fn listen(vm: &mut Vm, a: Args) -> BResult {
    let addr = vm.text(a.get(vm, 0)).to_string();
    let me = vm.current_fiber();
    vm.sched.net.errors.remove(&me);
    let done = match resolve(&addr)
        .and_then(|sa| mio::net::TcpListener::bind(sa).map_err(|e| format!("cannot listen on {addr}: {e}")))
    {
        Ok(l) => match vm.sched.net.add(Kind::Listener(l)) {
            Ok(id) => {
                vm.sched.net.touch(id, me);
                Done::Int(id as i64)
            }
            Err(e) => Done::Fail(e),
        },
        Err(e) => Done::Fail(e),
    };
    Ok(vm.io_result(done, Op::Accept))
}

/// `__net_addr(id) -> str`: the local address of a socket (`127.0.0.1:41234`).
pub(crate) fn addr(vm: &mut Vm, a: Args) -> BResult {
    let id = socket(vm, a, 0)?;
    let addr = match vm.sched.net.res.get(&id).map(|r| &r.kind) {
        Some(Kind::Listener(l)) => l.local_addr(),
        Some(Kind::Stream(s)) => s.local_addr(),
        None => return Err(Vm::net_bad_id(id as i64).into()),
    };
    match addr {
        Ok(sa) => Ok(vm.new_str(&sa.to_string())),
        Err(e) => Err(RtError::new(e.to_string()).into()),
    }
}

/// `__net_accept(id) -> int`: the next connection, or -1.
pub(crate) fn accept(vm: &mut Vm, a: Args) -> BResult {
    let id = socket(vm, a, 0)?;
    begin(vm, id, true)?;
    let attempt = vm.net_try_accept(id);
    if let Attempt::Done(Done::Int(c)) = attempt {
        let me = vm.current_fiber();
        vm.sched.net.touch(c as u64, me);
    }
    finish(vm, id, Op::Accept, attempt)
}

/// `__net_connect(addr) -> int`: a connection, or -1 (parks while the connection is made).
pub(crate) fn connect(vm: &mut Vm, a: Args) -> BResult {
    let addr = vm.text(a.get(vm, 0)).to_string();
    let me = vm.current_fiber();
    vm.sched.net.errors.remove(&me);
    let stream = resolve(&addr)
        .and_then(|sa| mio::net::TcpStream::connect(sa).map_err(|e| format!("cannot connect to {addr}: {e}")));
    let id = match stream.and_then(|s| {
        let _ = s.set_nodelay(true);
        vm.sched.net.add(Kind::Stream(s))
    }) {
        Ok(id) => id,
        Err(e) => return Ok(vm.io_result(Done::Fail(e), Op::Connect)),
    };
    vm.sched.net.touch(id, me);
    // The connection completes when the socket becomes writable.
    let ctl = vm.park(Wait::Io(id));
    if ctl == Ctl::Park {
        vm.sched.net.park(id, false, Waiter { fiber: me, op: Op::Connect, deadline: None });
        Err(ctl)
    } else {
        vm.net_close(id);
        Err(ctl)
    }
}

/// `__net_read_line(id, max) -> str?`: the next line; nil at end of stream or on failure.
pub(crate) fn read_line(vm: &mut Vm, a: Args) -> BResult {
    let id = socket(vm, a, 0)?;
    let max = size(vm, a, 1);
    begin(vm, id, true)?;
    let op = Op::ReadLine { max };
    let attempt = match vm.sched.net.res.get_mut(&id) {
        Some(r) => r.read_line(max),
        None => Attempt::Done(Done::Fail("connection closed".into())),
    };
    finish(vm, id, op, attempt)
}

/// `__net_read(id, max) -> str?`: up to `max` bytes; nil at end of stream or on failure.
pub(crate) fn read(vm: &mut Vm, a: Args) -> BResult {
    let id = socket(vm, a, 0)?;
    let max = size(vm, a, 1);
    begin(vm, id, true)?;
    let op = Op::Read { max };
    let attempt = match vm.sched.net.res.get_mut(&id) {
        Some(r) => r.read(max),
        None => Attempt::Done(Done::Fail("connection closed".into())),
    };
    finish(vm, id, op, attempt)
}

/// `__net_write(id, text) -> bool`: sends all of `text` (parking while the OS buffer is full);
/// false on failure.
pub(crate) fn write(vm: &mut Vm, a: Args) -> BResult {
    let id = socket(vm, a, 0)?;
    begin(vm, id, false)?;
    let data = vm.text(a.get(vm, 1)).as_bytes().to_vec();
    let attempt = match vm.sched.net.res.get_mut(&id) {
        Some(r) => r.write(&data),
        None => Attempt::Done(Done::Fail("connection closed".into())),
    };
    finish(vm, id, Op::Write, attempt)
}

/// `__net_close(id)`: closes the socket (closing twice is allowed).
pub(crate) fn close(vm: &mut Vm, a: Args) -> BResult {
    if let Ok(id) = u64::try_from(a.get(vm, 0).int()) {
        vm.net_close(id);
    }
    Ok(Value::Nil)
}

/// `__net_set_timeout(id, ms)`: reads that wait longer than `ms` fail with `timed out`
/// (`ms <= 0`: no limit).
pub(crate) fn set_timeout(vm: &mut Vm, a: Args) -> BResult {
    let id = socket(vm, a, 0)?;
    let ms = a.get(vm, 1).int();
    if let Some(r) = vm.sched.net.res.get_mut(&id) {
        r.timeout = u64::try_from(ms).ok().filter(|m| *m > 0).map(Duration::from_millis);
    }
    Ok(Value::Nil)
}

/// `__net_own(obj, id)`: the socket belongs to `obj`; it is closed when the collector frees it.
pub(crate) fn own(vm: &mut Vm, a: Args) -> BResult {
    let obj = a.get(vm, 0).handle().map(|h| vm.heap.resolve(h));
    let id = socket(vm, a, 1)?;
    if let Some(r) = vm.sched.net.res.get_mut(&id) {
        r.holder = obj;
    }
    Ok(Value::Nil)
}

/// `__net_last_error() -> str`: the message of the calling fiber's last failed operation ("" if
/// none).
pub(crate) fn last_error(vm: &mut Vm, _a: Args) -> BResult {
    let me = vm.current_fiber();
    let msg = vm.sched.net.errors.remove(&me).unwrap_or_default();
    Ok(vm.new_str(&msg))
}
