//! Shared by the update scenario tests: a v1 program (module `app`) started until its main fiber
//! is parked, updates through `Vm::update`, calls into the program, and a digest of all reachable
//! state for the failure paths.

#![allow(dead_code)]

use newt_compiler::bytecode::Image;
use newt_compiler::loader::MemLoader;
use newt_vm::{Io, Outcome, SharedBuf, Status, UpdateReport, UpdateRequest, Value, Vm, VmOptions};

/// The v1 main loop every scenario shares: set up, then sleep forever in short naps (so the
/// main fiber is parked in an unaffected frame).
pub const MAIN: &str = "
fn main() {
    setup()
    while true {
        time.sleep(2)
    }
}
";

pub fn compile(modules: &[(&str, &str)]) -> Image {
    let loader = MemLoader {
        modules: modules
            .iter()
            .map(|(n, t)| (n.to_string(), format!("{}.newt", n.replace('.', "/")), t.to_string()))
            .collect(),
        stdlib: Some(newt_stdlib::source),
    };
    let program = match newt_compiler::check::check_program(&loader, "app") {
        Ok(p) => p,
        Err((d, s)) => panic!("{}", newt_compiler::diag::render_all(&d, &s)),
    };
    match newt_compiler::codegen::generate(&program) {
        Ok(i) => i,
        Err(d) => panic!("{}", newt_compiler::diag::render_all(&d, &program.sources)),
    }
}

/// The program text of `app`: `import std.time`, the scenario's declarations, and `MAIN`.
pub fn app_src(decls: &str) -> String {
    format!("import std.time\n{decls}\n{MAIN}")
}

pub struct App {
    pub vm: Vm,
    pub out: SharedBuf,
}

impl App {
    pub fn new(decls: &str) -> App {
        App::with_modules(decls, &[])
    }

    pub fn with_modules(decls: &str, extra: &[(&str, &str)]) -> App {
        let src = app_src(decls);
        let mut modules = vec![("app", src.as_str())];
        modules.extend_from_slice(extra);
        let out = SharedBuf::new();
        let io = Io::new(Box::new(out.clone()), Box::new(SharedBuf::new()), Box::new(std::io::Cursor::new(Vec::new())));
        let vm = Vm::with_options(compile(&modules), vec![], VmOptions { io });
        let mut app = App { vm, out };
        app.settle();
        app
    }

    /// Runs until every fiber is parked or done (setup finished, `main` sleeping, spawned fibers
    /// started and waiting).
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            self.vm.step();
            let ids = self.vm.fiber_ids();
            if ids
                .iter()
                .all(|&id| matches!(self.vm.fiber(id).map(|f| f.status), Some(Status::Parked(_) | Status::Done { .. })))
            {
                return;
            }
        }
        panic!("the program never settled; output: {}", self.out.text());
    }

    pub fn global(&self, name: &str) -> Value {
        let t = self.vm.tables();
        let slot = t.global_info.iter().rposition(|g| g.slot.name == format!("app.{name}")).expect(name);
        t.globals[slot]
    }

    /// Calls `app.name()` and shows its result.
    pub fn call(&mut self, name: &str) -> String {
        let f = self.global(name);
        match self.vm.invoke(f, &[]) {
            Ok(v) => self.vm.display(v),
            Err(e) => format!("error: {}", e.error.msg),
        }
    }

    pub fn update(&mut self, decls: &str) -> UpdateReport {
        self.update_req(UpdateRequest::module("app", &app_src(decls)))
    }

    pub fn update_req(&mut self, req: UpdateRequest) -> UpdateReport {
        self.vm.update(req)
    }

    /// Every global's name and shown value, the class layouts and the version.
    pub fn digest(&self) -> String {
        let t = self.vm.tables();
        let mut d = format!("version {}\n", self.vm.dsu_version());
        for (i, g) in t.global_info.iter().enumerate() {
            d.push_str(&format!("{} = {}\n", g.slot.name, self.vm.display(t.globals[i])));
        }
        for c in &t.classes {
            let fields: Vec<String> = c.fields.iter().map(|f| format!("{}: {}", f.name, f.ty)).collect();
            d.push_str(&format!("class {} {{ {} }} vtable {:?}\n", c.name, fields.join(", "), c.vtable));
        }
        d
    }
}

pub fn committed(r: &UpdateReport) {
    assert_eq!(r.outcome, Outcome::Committed, "{r}\n{}", r.diagnostics);
}
