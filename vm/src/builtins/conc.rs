//! Fibers and channels: `join`, `set_name`, `std.fiber.current()`, `Chan(n)`, `send`, `recv`,
//! `close`. The channel rules are in `crate::chan`; this file parks and wakes fibers accordingly.

use super::{Args, BResult};
use crate::chan::{Chan, RecvOutcome, SendOutcome};
use crate::error::{Ctl, RtError};
use crate::fiber::{Status, Wait};
use crate::heap::{Handle, Obj};
use crate::value::Value;
use crate::vm::Vm;

/// `fiber.join() -> bool`: waits until the fiber finishes; true when it finished without error.
pub(crate) fn join(vm: &mut Vm, a: Args) -> BResult {
    let target = vm.fiber_of(a.get(vm, 0)).ok_or_else(|| vm.not_a(a.get(vm, 0), "Fiber"))?;
    let me = vm.current_fiber();
    if target == me {
        return Err(RtError::new("a fiber cannot join itself").into());
    }
    match vm.fiber_status(target) {
        Some(Status::Done { ok }) => Ok(Value::Bool(ok)),
        // A fiber the collector forgot had finished and was unreachable — so nobody can join it.
        None => Ok(Value::Bool(true)),
        Some(_) => {
            let ctl = vm.park(Wait::Join(target));
            if ctl == Ctl::Park {
                if let Some(f) = vm.sched.fibers.get_mut(&target) {
                    f.joiners.push(me);
                }
            }
            Err(ctl)
        }
    }
}

/// `fiber.set_name(name)`.
pub(crate) fn set_name(vm: &mut Vm, a: Args) -> BResult {
    let target = vm.fiber_of(a.get(vm, 0)).ok_or_else(|| vm.not_a(a.get(vm, 0), "Fiber"))?;
    let name = vm.text(a.get(vm, 1)).to_string();
    if let Some(f) = vm.sched.fibers.get_mut(&target) {
        f.name = Some(name);
    }
    Ok(Value::Nil)
}

/// `std.fiber.current()`.
pub(crate) fn current(vm: &mut Vm, _a: Args) -> BResult {
    let me = vm.current_fiber();
    match vm.sched.fibers.get(&me) {
        Some(f) => Ok(Value::Obj(f.handle)),
        None => Err(RtError::internal("no current fiber").into()),
    }
}

/// `Chan(capacity)`.
pub(crate) fn chan_new(vm: &mut Vm, a: Args) -> BResult {
    let cap = a.get(vm, 0).int();
    let cap = usize::try_from(cap)
        .map_err(|_| RtError::new(format!("channel capacity must not be negative, found {cap}")))?;
    // The buffer grows as needed; a huge capacity reserves nothing up front.
    Ok(Value::Obj(vm.heap.alloc(Obj::Chan(Box::new(Chan::new(cap))))))
}

fn chan_mut(vm: &mut Vm, c: Value) -> Result<(&mut Chan, Handle), RtError> {
    let Some(h) = c.handle() else { return Err(RtError::expected("Chan", "nil")) };
    let h = vm.heap.resolve(h);
    match vm.heap.get_mut(h) {
        Obj::Chan(chan) => Ok((chan, h)),
        o => Err(RtError::expected("Chan", o.kind_name())),
    }
}

/// `chan.send(v)`.
pub(crate) fn send(vm: &mut Vm, a: Args) -> BResult {
    let v = a.get(vm, 1);
    let me = vm.current_fiber();
    let nested = vm.nested > 0;
    let (chan, h) = chan_mut(vm, a.get(vm, 0))?;
    // Inside a re-entrant call the fiber cannot park: refuse before queueing anything.
    if nested && chan.receivers.is_empty() && chan.buffer.len() >= chan.capacity && !chan.closed {
        return Err(vm.park(Wait::Send(h)));
    }
    match chan.send(me, v) {
        SendOutcome::Closed => Err(RtError::send_on_closed().into()),
        SendOutcome::Handoff(r) => {
            vm.wake(r, v);
            Ok(Value::Nil)
        }
        SendOutcome::Buffered => Ok(Value::Nil),
        SendOutcome::Park => Err(vm.park(Wait::Send(h))),
    }
}

/// `chan.recv() -> T?`: nil once the channel is closed and empty.
pub(crate) fn recv(vm: &mut Vm, a: Args) -> BResult {
    let me = vm.current_fiber();
    let nested = vm.nested > 0;
    let (chan, h) = chan_mut(vm, a.get(vm, 0))?;
    if nested && chan.buffer.is_empty() && chan.senders.is_empty() && !chan.closed {
        return Err(vm.park(Wait::Recv(h)));
    }
    match chan.recv(me) {
        RecvOutcome::Value(v, woken) => {
            if let Some(s) = woken {
                vm.wake(s, Value::Nil);
            }
            Ok(v)
        }
        RecvOutcome::Closed => Ok(Value::Nil),
        RecvOutcome::Park => Err(vm.park(Wait::Recv(h))),
    }
}

/// `chan.close()`: wakes parked receivers with nil and parked senders with an error.
pub(crate) fn close(vm: &mut Vm, a: Args) -> BResult {
    let (chan, _) = chan_mut(vm, a.get(vm, 0))?;
    let (receivers, senders) = chan.close();
    for r in receivers {
        vm.wake(r, Value::Nil);
    }
    for s in senders {
        vm.wake_with_error(s, RtError::send_on_closed());
    }
    Ok(Value::Nil)
}
