//! The event loop and the scheduler: stopping the world while a fiber is parked on a socket, and
//! readiness that arrives while the world is stopped.

mod common;

use common::{compile, vm_with_output};
use newt_vm::{Status, Step, Wait};
use std::io::Read;
use std::time::{Duration, Instant};

const SERVER: &str = r#"
import std.net

fn main() {
    let l = net.listen("127.0.0.1:0")
    print(l.addr())
    let c = l.accept()
    print("accepted")
    c.write("hi\n")
    c.close()
}
"#;

#[test]
fn world_stops_while_a_fiber_waits_in_accept_and_resumes_after() {
    let (mut vm, out, _err) = vm_with_output(compile(SERVER), "");
    let deadline = Instant::now() + Duration::from_secs(20);
    // Run until main is parked in accept (its address printed).
    let main = loop {
        assert!(Instant::now() < deadline, "never parked");
        assert_eq!(vm.step(), Step::Running);
        let ids = vm.fiber_ids();
        let parked =
            ids.iter().copied().find(|id| matches!(vm.fiber(*id).map(|f| f.status), Some(Status::Parked(Wait::Io(_)))));
        if let (Some(id), true) = (parked, out.text().contains("127.0.0.1:")) {
            break id;
        }
    };
    let addr = out.text().lines().next().unwrap_or("").to_string();
    // A stop requested from another thread is seen while the VM waits in the poll.
    let stop = vm.stop_handle();
    let t0 = Instant::now();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    loop {
        assert!(Instant::now() < deadline, "never stopped");
        if vm.step() == Step::Stopped {
            break;
        }
    }
    assert!(t0.elapsed() < Duration::from_secs(2), "stop took {:?}", t0.elapsed());
    // While stopped, a client connects; nobody runs, so nobody accepts.
    let mut client = std::net::TcpStream::connect(&addr).expect("connect");
    client.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    std::thread::sleep(Duration::from_millis(100));
    assert!(!out.text().contains("accepted"));
    assert!(matches!(vm.fiber(main).map(|f| f.status), Some(Status::Parked(Wait::Io(_)))));
    // Resuming: the fiber accepts, answers, and the program ends.
    loop {
        assert!(Instant::now() < deadline, "never finished");
        if let Step::Finished(o) = vm.step() {
            assert_eq!(o.exit_code, 0);
            break;
        }
    }
    assert!(out.text().contains("accepted"));
    let mut got = String::new();
    client.read_to_string(&mut got).expect("read");
    assert_eq!(got, "hi\n");
}
