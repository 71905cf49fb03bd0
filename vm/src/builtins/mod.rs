//! The implementation of every [`Builtin`] of `newt_compiler::builtins`, dispatched by one
//! exhaustive `match` (adding an entry to the table without implementing it does not compile),
//! with one file per receiver type.
//!
//! Calling convention: the arguments (receiver first for methods) are the top `arity` values of
//! the stack, starting at index `args`; they stay there while the built-in runs, so they are rooted
//! if it allocates or calls back into Newt. The built-in returns its result (`Value::Nil` for "no
//! result"), or a [`Ctl`]: an error, a park (the fiber's result is pushed when it wakes), or exit.
//! The interpreter calls `gc_point` just before, so a built-in may allocate freely without
//! collecting.

mod conc;
mod frame;
mod json;
mod list;
mod map;
mod net;
mod num;
mod prelude;
pub(crate) mod show;
mod system;
mod text;

use crate::error::Ctl;
use crate::value::Value;
use crate::vm::Vm;
use newt_compiler::builtins::Builtin;

/// What a built-in returns.
pub(crate) type BResult = Result<Value, Ctl>;

/// Runs built-in `b` on the arguments at `stack[args..]`.
pub(crate) fn call(vm: &mut Vm, b: Builtin, args: usize) -> BResult {
    use Builtin as B;
    let a = Args(args);
    match b {
        B::Print => prelude::print(vm, a),
        B::Eprint => prelude::eprint(vm, a),
        B::Str => prelude::str(vm, a),
        B::ToInt => prelude::to_int(vm, a),
        B::ToFloat => prelude::to_float(vm, a),
        B::Assert => prelude::assert(vm, a),
        B::Panic => prelude::panic(vm, a),

        B::IntAbs => num::int_abs(vm, a),
        B::IntMin => num::int_min(vm, a),
        B::IntMax => num::int_max(vm, a),
        B::FloatAbs => num::float1(vm, a, f64::abs),
        B::FloatFloor => num::float1(vm, a, f64::floor),
        B::FloatCeil => num::float1(vm, a, f64::ceil),
        B::FloatRound => num::float1(vm, a, f64::round),
        B::FloatSqrt => num::float1(vm, a, f64::sqrt),
        B::FloatFixed => num::float_fixed(vm, a),

        B::StrLen => text::len(vm, a),
        B::StrChars => text::chars(vm, a),
        B::StrSplit => text::split(vm, a),
        B::StrTrim => text::map_str(vm, a, crate::strings::trim),
        B::StrUpper => text::map_str(vm, a, crate::strings::upper),
        B::StrLower => text::map_str(vm, a, crate::strings::lower),
        B::StrContains => text::test(vm, a, |s, t| s.contains(t)),
        B::StrStartsWith => text::test(vm, a, |s, t| s.starts_with(t)),
        B::StrEndsWith => text::test(vm, a, |s, t| s.ends_with(t)),
        B::StrFind => text::find(vm, a),
        B::StrReplace => text::replace(vm, a),
        B::StrSlice => text::slice(vm, a),
        B::StrToInt => text::to_int(vm, a),
        B::StrToFloat => text::to_float(vm, a),
        B::StrRepeat => text::repeat(vm, a),

        B::ListLen => list::len(vm, a),
        B::ListPush => list::push(vm, a),
        B::ListPop => list::pop(vm, a),
        B::ListInsert => list::insert(vm, a),
        B::ListRemove => list::remove(vm, a),
        B::ListGet => list::get(vm, a),
        B::ListContains => list::contains(vm, a),
        B::ListIndexOf => list::index_of(vm, a),
        B::ListSlice => list::slice(vm, a),
        B::ListJoin => list::join(vm, a),
        B::ListSort => list::sort(vm, a),
        B::ListSortBy => list::sort_by(vm, a),
        B::ListReverse => list::reverse(vm, a),
        B::ListClear => list::clear(vm, a),

        B::MapLen => map::len(vm, a),
        B::MapGet => map::get(vm, a),
        B::MapContains => map::contains(vm, a),
        B::MapRemove => map::remove(vm, a),
        B::MapKeys => map::keys(vm, a),
        B::MapValues => map::values(vm, a),

        B::FiberJoin => conc::join(vm, a),
        B::FiberSetName => conc::set_name(vm, a),
        B::FiberFrames => frame::frames(vm, a),
        B::ChanNew => conc::chan_new(vm, a),
        B::ChanSend => conc::send(vm, a),
        B::ChanRecv => conc::recv(vm, a),
        B::ChanClose => conc::close(vm, a),
        B::FiberCurrent => conc::current(vm, a),

        B::FrameFunction => frame::function(vm, a),
        B::FrameModule => frame::module(vm, a),
        B::FrameLine => frame::line(vm, a),
        B::FrameLocal => frame::local(vm, a),
        B::FrameLocals => frame::locals(vm, a),

        B::MathSin => num::math1(vm, a, f64::sin),
        B::MathCos => num::math1(vm, a, f64::cos),
        B::MathTan => num::math1(vm, a, f64::tan),
        B::MathAsin => num::math1(vm, a, f64::asin),
        B::MathAcos => num::math1(vm, a, f64::acos),
        B::MathAtan2 => num::math2(vm, a, f64::atan2),
        B::MathExp => num::math1(vm, a, f64::exp),
        B::MathLog => num::math1(vm, a, f64::ln),
        B::MathPow => num::math2(vm, a, f64::powf),

        B::TimeNowMs => system::now_ms(vm, a),
        B::TimeSleep => system::sleep(vm, a),
        B::TimeMonoNs => system::mono_ns(vm, a),
        B::IoReadLine => system::read_line(vm, a),
        B::IoReadFile => system::read_file(vm, a),
        B::IoWriteFile => system::write_file(vm, a),
        B::ProcessArgs => system::args(vm, a),
        B::ProcessExit => system::exit(vm, a),
        B::ProcessEnv => system::env(vm, a),
        B::TypeName => system::type_name(vm, a),
        B::ObjectFields => system::object_fields(vm, a),
        B::ObjectGet => system::object_get(vm, a),
        B::JsonEncode => json::encode(vm, a),
        B::DsuHoldBegin => crate::update::natives::hold_begin(vm, a),
        B::DsuHoldEnd => crate::update::natives::hold_end(vm, a),
        B::DsuSetPassive => crate::update::natives::set_passive(vm, a),
        B::DsuUpdatePoint => crate::update::natives::update_point(vm, a),
        B::StrCodepoint => text::codepoint(vm, a),
        B::StrFromCodepoint => text::from_codepoint(vm, a),

        B::DsuRequest => crate::update::natives::request(vm, a),
        B::DsuPoll => crate::update::natives::poll(vm, a),
        B::DsuOutcome => crate::update::natives::outcome(vm, a),
        B::DsuReason => crate::update::natives::reason(vm, a),
        B::DsuSummary => crate::update::natives::summary(vm, a),
        B::DsuReportVersion => crate::update::natives::report_version(vm, a),
        B::DsuMigrated => crate::update::natives::migrated(vm, a),
        B::DsuVersion => crate::update::natives::version(vm, a),
        B::DsuHistory => crate::update::natives::history(vm, a),
        B::DsuInstances => crate::update::natives::instances(vm, a),
        B::DsuOldField => crate::update::validate::old_view::field(vm, a),
        B::DsuOldMethod => crate::update::validate::old_view::method(vm, a),
        B::DsuOldGlobal => crate::update::validate::old_view::global(vm, a),
        B::DsuOldCall => crate::update::validate::old_view::call(vm, a),
        B::DsuObjectClass => crate::update::validate::reflect::class(vm, a),
        B::DsuObjectShortName => crate::update::validate::reflect::short_name(vm, a),
        B::DsuObjectClasses => crate::update::validate::reflect::classes(vm, a),
        B::DsuObjectFields => crate::update::validate::reflect::fields(vm, a),
        B::DsuObjectHas => crate::update::validate::reflect::has(vm, a),
        B::DsuObjectFieldType => crate::update::validate::reflect::field_type(vm, a),
        B::DsuObjectDeclaredIn => crate::update::validate::reflect::declared_in(vm, a),
        B::DsuObjectGet => crate::update::validate::reflect::get(vm, a),
        B::DsuObjectSet => crate::update::validate::reflect::set(vm, a),
        B::DsuObjectBecome => crate::update::validate::reflect::become_class(vm, a),
        B::NetListen => net::listen(vm, a),
        B::NetAddr => net::addr(vm, a),
        B::NetAccept => net::accept(vm, a),
        B::NetConnect => net::connect(vm, a),
        B::NetReadLine => net::read_line(vm, a),
        B::NetRead => net::read(vm, a),
        B::NetWrite => net::write(vm, a),
        B::NetClose => net::close(vm, a),
        B::NetSetTimeout => net::set_timeout(vm, a),
        B::NetOwn => net::own(vm, a),
        B::NetLastError => net::last_error(vm, a),
    }
}

/// Where a built-in's arguments start on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Args(usize);

impl Args {
    /// Argument `i` (the receiver is 0 for methods). The verifier checked the count.
    #[inline]
    pub(crate) fn get(self, vm: &Vm, i: usize) -> Value {
        vm.stack.get(self.0 + i).copied().unwrap_or(Value::Nil)
    }
}
