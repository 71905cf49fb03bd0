//! Natives of `std.time`, `std.io`, `std.process` and the reflection helpers (`__type_name`,
//! `__object_fields`, `__object_get`).

use super::{Args, BResult};
use crate::error::{Ctl, RtError};
use crate::heap::Obj;
use crate::value::Value;
use crate::vm::Vm;
use std::io::BufRead;

/// `__time_now_ms()`: milliseconds since the Unix epoch.
pub(crate) fn now_ms(_vm: &mut Vm, _a: Args) -> BResult {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    Ok(Value::Int(ms as i64))
}

/// `__time_mono_ns()`: a monotonic clock (nanoseconds since the VM started).
pub(crate) fn mono_ns(vm: &mut Vm, _a: Args) -> BResult {
    Ok(Value::Int(vm.started_at.elapsed().as_nanos() as i64))
}

/// `__time_sleep(ms)`: parks the calling fiber only.
pub(crate) fn sleep(vm: &mut Vm, a: Args) -> BResult {
    let ms = a.get(vm, 0).int();
    Err(vm.sleep(ms))
}

/// `__io_read_line() -> str?`: one line of stdin without its `\n` / `\r\n`; nil at end of input.
/// The process's stdin is read by a helper thread while only the calling fiber parks
/// (`crate::io::stdin`); an injected stream is read directly.
pub(crate) fn read_line(vm: &mut Vm, _a: Args) -> BResult {
    vm.io.flush();
    if vm.io.process_stdin {
        return vm.stdin_read_line();
    }
    let mut buf = Vec::new();
    match vm.io.stdin.read_until(b'\n', &mut buf) {
        Ok(0) => Ok(Value::Nil),
        Ok(_) => {
            if buf.last() == Some(&b'\n') {
                buf.pop();
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
            }
            match String::from_utf8(buf) {
                Ok(s) => Ok(vm.new_str(&s)),
                Err(_) => Err(RtError::new("invalid UTF-8").into()),
            }
        }
        Err(e) => Err(RtError::new(format!("cannot read stdin: {e}")).into()),
    }
}

/// `__io_read_file(path) -> str`; the OS's message on failure.
pub(crate) fn read_file(vm: &mut Vm, a: Args) -> BResult {
    let path = vm.text(a.get(vm, 0)).to_string();
    match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Ok(vm.new_str(&s)),
            Err(_) => Err(RtError::new(format!("cannot read '{path}': invalid UTF-8")).into()),
        },
        Err(e) => Err(RtError::new(format!("cannot read '{path}': {e}")).into()),
    }
}

/// `__io_write_file(path, text)`; the OS's message on failure.
pub(crate) fn write_file(vm: &mut Vm, a: Args) -> BResult {
    let path = vm.text(a.get(vm, 0));
    match std::fs::write(path, vm.text(a.get(vm, 1))) {
        Ok(()) => Ok(Value::Nil),
        Err(e) => Err(RtError::new(format!("cannot write '{path}': {e}")).into()),
    }
}

/// `__process_args()`: the arguments after the file name.
pub(crate) fn args(vm: &mut Vm, _a: Args) -> BResult {
    let args = vm.args.clone();
    let items: Vec<Value> = args.iter().map(|s| vm.new_str(s)).collect();
    Ok(Value::Obj(vm.heap.alloc(Obj::List(items))))
}

/// `__process_exit(code)`: ends the program now.
pub(crate) fn exit(vm: &mut Vm, a: Args) -> BResult {
    let code = a.get(vm, 0).int().clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    Err(Ctl::Exit(code))
}

/// `__process_env(name) -> str?`.
pub(crate) fn env(vm: &mut Vm, a: Args) -> BResult {
    match std::env::var(vm.text(a.get(vm, 0))) {
        Ok(v) => Ok(vm.new_str(&v)),
        Err(_) => Ok(Value::Nil),
    }
}

/// `__type_name(x)`: `int`, `List`, `Product`, ...
pub(crate) fn type_name(vm: &mut Vm, a: Args) -> BResult {
    let name = vm.type_name(a.get(vm, 0)).to_string();
    Ok(vm.new_str(&name))
}

/// `__object_fields(x)`: an instance's field names in slot order (empty for other values).
pub(crate) fn object_fields(vm: &mut Vm, a: Args) -> BResult {
    let class = match a.get(vm, 0).handle().map(|h| vm.heap.get(h)) {
        Some(Obj::Instance(i)) => Some(i.class),
        _ => None,
    };
    let names: Vec<String> = class
        .and_then(|c| vm.tables.class(c))
        .map(|c| c.fields.iter().map(|f| f.name.clone()).collect())
        .unwrap_or_default();
    let items: Vec<Value> = names.iter().map(|n| vm.new_str(n)).collect();
    Ok(Value::Obj(vm.heap.alloc(Obj::List(items))))
}

/// `__object_get(x, name)`: an instance's field by name; an error when it has none.
pub(crate) fn object_get(vm: &mut Vm, a: Args) -> BResult {
    let (obj, name) = (a.get(vm, 0), vm.text(a.get(vm, 1)));
    if let Some(Obj::Instance(i)) = obj.handle().map(|h| vm.heap.get(h)) {
        if let Some(class) = vm.tables.class(i.class) {
            if let Some(slot) = class.fields.iter().position(|f| f.name == name) {
                return Ok(i.fields.get(slot).copied().unwrap_or(Value::Nil));
            }
        }
    }
    Err(RtError::new(format!("{} has no field '{name}'", vm.type_name(obj))).into())
}
