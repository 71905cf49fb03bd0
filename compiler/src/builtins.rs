//! The one table of built-in functions and methods: the prelude, the methods of built-in types,
//! and the natives that standard-library modules are written on.
//!
//! The checker reads each entry's name, receiver and signature from here; code generation emits
//! `CallBuiltin(id)`; the VM implements each [`Builtin`] with an exhaustive `match`, so adding an
//! entry without an implementation does not compile.
//!
//! Signatures are written in Newt type syntax. In methods, `T` (and `K`, `V` for maps) are the
//! receiver's type arguments; in functions, a single-letter name is a type parameter inferred at the
//! call. `never` marks a call that does not return. Natives whose name starts with `__` may be
//! called only from `std.*` modules.

/// The type whose values a built-in method is called on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Receiver {
    /// A free function (prelude or native).
    None,
    Int,
    Float,
    Str,
    List,
    Map,
    Fiber,
    Chan,
    /// A `dsu.Frame`: a snapshot of one frame of a fiber.
    Frame,
}

macro_rules! define_builtins {
    ($( $(#[doc = $doc:literal])* $variant:ident = ($recv:ident, $name:literal, $sig:literal); )*) => {
        /// A built-in function or method (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Builtin {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Builtin {
            /// Every built-in, in table order (its index is its `u16` id).
            pub const ALL: &'static [Builtin] = &[ $( Builtin::$variant, )* ];

            /// The name as written in Newt (`push`, `print`, `__math_sin`).
            pub fn name(self) -> &'static str {
                match self { $( Builtin::$variant => $name, )* }
            }

            /// The receiver type, or `Receiver::None` for free functions.
            pub fn receiver(self) -> Receiver {
                match self { $( Builtin::$variant => Receiver::$recv, )* }
            }

            /// The signature in Newt type syntax, without the receiver.
            pub fn signature(self) -> &'static str {
                match self { $( Builtin::$variant => $sig, )* }
            }
        }
    };
}

impl Builtin {
    /// The `u16` operand that encodes this built-in in bytecode.
    pub fn id(self) -> u16 {
        self as u16
    }

    /// Decodes an operand; `None` for ids outside the table.
    pub fn from_id(id: u16) -> Option<Builtin> {
        Builtin::ALL.get(id as usize).copied()
    }

    /// Number of arguments, the receiver included for methods.
    pub fn arity(self) -> usize {
        let sig = self.signature();
        let inner = sig.strip_prefix("fn(").and_then(|s| s.split_once(')')).map(|(a, _)| a).unwrap_or("");
        let params = if inner.trim().is_empty() { 0 } else { split_top_level(inner).len() };
        params + usize::from(self.receiver() != Receiver::None)
    }

    /// True for natives reserved to the standard library.
    pub fn std_only(self) -> bool {
        self.name().starts_with("__")
    }

    /// Looks up a free function by name.
    pub fn function(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.receiver() == Receiver::None && b.name() == name)
    }

    /// Looks up a method of a built-in type by name.
    pub fn method(recv: Receiver, name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.receiver() == recv && b.name() == name)
    }
}

/// Splits a comma-separated list at top level (ignoring commas inside `<>` and `()`).
pub fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !s[start..].trim().is_empty() {
        out.push(s[start..].trim());
    }
    out
}

define_builtins! {
    // ---- prelude functions ----
    /// Writes `str(x)` and a newline to stdout.
    Print = (None, "print", "fn(any)");
    /// Writes `str(x)` and a newline to stderr.
    Eprint = (None, "eprint", "fn(any)");
    /// The text form of any value (language.md, "Built-in operations").
    Str = (None, "str", "fn(any) -> str");
    /// `int(x)` of an int or float (truncating). The checker accepts only those two.
    ToInt = (None, "int", "fn(any) -> int");
    /// `float(x)` of an int or float. The checker accepts only those two.
    ToFloat = (None, "float", "fn(any) -> float");
    /// Runtime error with `msg` when `cond` is false.
    Assert = (None, "assert", "fn(bool, str)");
    /// Runtime error with `msg`; never returns.
    Panic = (None, "panic", "fn(str) -> never");

    // ---- int ----
    IntAbs = (Int, "abs", "fn() -> int");
    IntMin = (Int, "min", "fn(int) -> int");
    IntMax = (Int, "max", "fn(int) -> int");

    // ---- float ----
    FloatAbs = (Float, "abs", "fn() -> float");
    FloatFloor = (Float, "floor", "fn() -> float");
    FloatCeil = (Float, "ceil", "fn() -> float");
    /// Half away from zero.
    FloatRound = (Float, "round", "fn() -> float");
    FloatSqrt = (Float, "sqrt", "fn() -> float");
    /// As C's `%.Nf`.
    FloatFixed = (Float, "fixed", "fn(int) -> str");

    // ---- str ----
    /// Length in bytes.
    StrLen = (Str, "len", "fn() -> int");
    StrChars = (Str, "chars", "fn() -> List<str>");
    StrSplit = (Str, "split", "fn(str) -> List<str>");
    StrTrim = (Str, "trim", "fn() -> str");
    StrUpper = (Str, "upper", "fn() -> str");
    StrLower = (Str, "lower", "fn() -> str");
    StrContains = (Str, "contains", "fn(str) -> bool");
    StrStartsWith = (Str, "starts_with", "fn(str) -> bool");
    StrEndsWith = (Str, "ends_with", "fn(str) -> bool");
    /// Byte offset of the first occurrence.
    StrFind = (Str, "find", "fn(str) -> int?");
    StrReplace = (Str, "replace", "fn(str, str) -> str");
    /// Byte offsets; runtime error off a character boundary.
    StrSlice = (Str, "slice", "fn(int, int) -> str");
    StrToInt = (Str, "to_int", "fn() -> int?");
    StrToFloat = (Str, "to_float", "fn() -> float?");
    StrRepeat = (Str, "repeat", "fn(int) -> str");

    // ---- List<T> ----
    ListLen = (List, "len", "fn() -> int");
    ListPush = (List, "push", "fn(T)");
    ListPop = (List, "pop", "fn() -> T?");
    ListInsert = (List, "insert", "fn(int, T)");
    ListRemove = (List, "remove", "fn(int) -> T");
    ListGet = (List, "get", "fn(int) -> T?");
    ListContains = (List, "contains", "fn(T) -> bool");
    ListIndexOf = (List, "index_of", "fn(T) -> int?");
    ListSlice = (List, "slice", "fn(int, int) -> List<T>");
    /// Only for `List<str>` (the checker enforces it).
    ListJoin = (List, "join", "fn(str) -> str");
    /// Only for lists of int, float or str (the checker enforces it).
    ListSort = (List, "sort", "fn()");
    /// Stable; `less(a, b)` is true when `a` goes before `b`.
    ListSortBy = (List, "sort_by", "fn(fn(T, T) -> bool)");
    ListReverse = (List, "reverse", "fn()");
    ListClear = (List, "clear", "fn()");

    // ---- Map<K, V> ----
    MapLen = (Map, "len", "fn() -> int");
    MapGet = (Map, "get", "fn(K) -> V?");
    MapContains = (Map, "contains", "fn(K) -> bool");
    MapRemove = (Map, "remove", "fn(K) -> V?");
    MapKeys = (Map, "keys", "fn() -> List<K>");
    MapValues = (Map, "values", "fn() -> List<V>");

    // ---- Fiber ----
    /// Waits for the fiber; true when it finished without error.
    FiberJoin = (Fiber, "join", "fn() -> bool");
    FiberSetName = (Fiber, "set_name", "fn(str)");
    /// Snapshots of the fiber's frames, innermost first.
    FiberFrames = (Fiber, "frames", "fn() -> List<Frame>");

    // ---- Chan<T> ----
    /// `Chan<T>(capacity)`: the constructor, called as a free function named `Chan`.
    ChanNew = (None, "Chan", "fn(int) -> Chan<T>");
    ChanSend = (Chan, "send", "fn(T)");
    ChanRecv = (Chan, "recv", "fn() -> T?");
    ChanClose = (Chan, "close", "fn()");

    // ---- dsu.Frame ----
    /// Qualified function name.
    FrameFunction = (Frame, "function", "fn() -> str");
    FrameModule = (Frame, "module", "fn() -> str");
    FrameLine = (Frame, "line", "fn() -> int");
    /// Runtime error when there is no such local.
    FrameLocal = (Frame, "local", "fn(str) -> any");
    FrameLocals = (Frame, "locals", "fn() -> List<str>");

    // ---- natives for std modules ----
    MathSin = (None, "__math_sin", "fn(float) -> float");
    MathCos = (None, "__math_cos", "fn(float) -> float");
    MathTan = (None, "__math_tan", "fn(float) -> float");
    MathAsin = (None, "__math_asin", "fn(float) -> float");
    MathAcos = (None, "__math_acos", "fn(float) -> float");
    MathAtan2 = (None, "__math_atan2", "fn(float, float) -> float");
    MathExp = (None, "__math_exp", "fn(float) -> float");
    MathLog = (None, "__math_log", "fn(float) -> float");
    MathPow = (None, "__math_pow", "fn(float, float) -> float");
    /// Milliseconds since the Unix epoch.
    TimeNowMs = (None, "__time_now_ms", "fn() -> int");
    /// Parks the calling fiber for `ms` milliseconds.
    TimeSleep = (None, "__time_sleep", "fn(int)");
    /// A monotonic clock in nanoseconds, for benchmarks and timing.
    TimeMonoNs = (None, "__time_mono_ns", "fn() -> int");
    /// One line from stdin without its terminator; nil at end of input.
    IoReadLine = (None, "__io_read_line", "fn() -> str?");
    /// Runtime error with the OS's message on failure.
    IoReadFile = (None, "__io_read_file", "fn(str) -> str");
    IoWriteFile = (None, "__io_write_file", "fn(str, str)");
    ProcessArgs = (None, "__process_args", "fn() -> List<str>");
    ProcessExit = (None, "__process_exit", "fn(int) -> never");
    ProcessEnv = (None, "__process_env", "fn(str) -> str?");
    FiberCurrent = (None, "__fiber_current", "fn() -> Fiber");
    /// The run-time type name of a value (`int`, `List`, `Product`).
    TypeName = (None, "__type_name", "fn(any) -> str");
    /// The field names of an instance, in slot order (empty for non-instances).
    ObjectFields = (None, "__object_fields", "fn(any) -> List<str>");
    /// The value of an instance's field by name; runtime error when missing.
    ObjectGet = (None, "__object_get", "fn(any, str) -> any");
    /// Unicode code point of the first character (`nil` for "").
    StrCodepoint = (None, "__str_codepoint", "fn(str) -> int?");
    /// The one-character string of a code point (`nil` when not a valid scalar value).
    StrFromCodepoint = (None, "__str_from_codepoint", "fn(int) -> str?");
    // ---- natives of std.dsu (live update; implemented in the VM's `update/natives.rs`) ----
    /// Reads the update's module files (paths relative to the root module's directory), analyses
    /// it and returns its id; `script` must be nil for now; `timeout_ms` bounds the safe-point wait.
    DsuRequest = (None, "__dsu_request", "fn(List<str>, str?, int) -> int");
    /// Commits update `id` at a safe point (or aborts it after its timeout); true once it has an
    /// outcome.
    DsuPoll = (None, "__dsu_poll", "fn(int) -> bool");
    /// `committed`, `aborted` or `rejected`.
    DsuOutcome = (None, "__dsu_outcome", "fn(int) -> str");
    /// Empty when committed; otherwise what held the update back.
    DsuReason = (None, "__dsu_reason", "fn(int) -> str");
    /// The whole report as text.
    DsuSummary = (None, "__dsu_summary", "fn(int) -> str");
    /// `dsu.version()` after the update.
    DsuReportVersion = (None, "__dsu_report_version", "fn(int) -> int");
    /// Instances the update migrated.
    DsuMigrated = (None, "__dsu_migrated", "fn(int) -> int");
    /// Committed updates so far.
    DsuVersion = (None, "__dsu_version", "fn() -> int");
    /// Ids of every recorded update, oldest first.
    DsuHistory = (None, "__dsu_history", "fn() -> List<int>");
    /// Reachable instances of a class (subclasses included).
    DsuInstances = (None, "__dsu_instances", "fn(str) -> int");

    // ---- std.net natives (sockets are int ids; failures return -1/nil/false, see __net_last_error) ----
    /// A listening socket on `addr`, or -1.
    NetListen = (None, "__net_listen", "fn(str) -> int");
    /// The local address of a socket (`127.0.0.1:41234`).
    NetAddr = (None, "__net_addr", "fn(int) -> str");
    /// The next accepted connection, or -1 (parks the calling fiber).
    NetAccept = (None, "__net_accept", "fn(int) -> int");
    /// A connection to `addr`, or -1 (parks the calling fiber).
    NetConnect = (None, "__net_connect", "fn(str) -> int");
    /// The next line (at most `max` bytes) without its newline; nil at end of stream or failure.
    NetReadLine = (None, "__net_read_line", "fn(int, int) -> str?");
    /// Up to `max` bytes of text; nil at end of stream or failure.
    NetRead = (None, "__net_read", "fn(int, int) -> str?");
    /// Sends all of the text; false on failure.
    NetWrite = (None, "__net_write", "fn(int, str) -> bool");
    /// Closes a socket.
    NetClose = (None, "__net_close", "fn(int)");
    /// Reads waiting longer than `ms` fail with `timed out` (0: no limit).
    NetSetTimeout = (None, "__net_set_timeout", "fn(int, int)");
    /// Ties a socket to the object that owns it: the collector closes it with the object.
    NetOwn = (None, "__net_own", "fn(any, int)");
    /// The calling fiber's last failure message ("" when none).
    NetLastError = (None, "__net_last_error", "fn() -> str");
    // ---- std.json ----
    /// The JSON text of a value (std.json's mapping); `indent` "" is compact, else pretty.
    JsonEncode = (None, "__json_encode", "fn(any, str) -> str");
    // ---- std.dsu, continued ----
    /// Starts a `dsu.hold` block in the calling fiber: no update commits until it ends.
    DsuHoldBegin = (None, "__dsu_hold_begin", "fn()");
    /// Ends the calling fiber's innermost `dsu.hold` block.
    DsuHoldEnd = (None, "__dsu_hold_end", "fn()");
    /// Makes the calling fiber passive (or active again): see `dsu.set_passive`.
    DsuSetPassive = (None, "__dsu_set_passive", "fn(bool)");
    /// An explicit update point: parks the calling fiber for a moment when an update is pending.
    DsuUpdatePoint = (None, "__dsu_update_point", "fn()");
    // ---- the `old.` view of an update script (emitted by the checker for script code only;
    // valid while the engine runs the script in the staging area) ----
    /// Field `slot` of an object as the running version laid it out (the old object behind a
    /// migrated handle).
    DsuOldField = (None, "__dsu_old_field", "fn(any, int) -> any");
    /// Calls vtable entry `slot` of the running version on the old object, in the running version.
    DsuOldMethod = (None, "__dsu_old_method", "fn(any, int, List<any>) -> any");
    /// The running value of global slot `slot`.
    DsuOldGlobal = (None, "__dsu_old_global", "fn(int) -> any");
    /// Calls the running version's function in global slot `slot`, in the running version.
    DsuOldCall = (None, "__dsu_old_call", "fn(int, List<any>) -> any");
    // ---- std.dsu's Object views (reusable policies; implemented in the VM's `update/reflect.rs`) ----
    // Each takes a view as `dsu.Object` holds it: (target, view number); see dsu.newt.
    /// The qualified class name of the viewed object.
    DsuObjectClass = (None, "__dsu_object_class", "fn(any, int) -> str");
    /// The class name as written.
    DsuObjectShortName = (None, "__dsu_object_short_name", "fn(any, int) -> str");
    /// The class and its superclasses, qualified, nearest first.
    DsuObjectClasses = (None, "__dsu_object_classes", "fn(any, int) -> List<str>");
    /// Field names in layout order.
    DsuObjectFields = (None, "__dsu_object_fields", "fn(any, int) -> List<str>");
    /// Whether the object has a field of this name.
    DsuObjectHas = (None, "__dsu_object_has", "fn(any, int, str) -> bool");
    /// A field's declared type as written (qualified class names).
    DsuObjectFieldType = (None, "__dsu_object_field_type", "fn(any, int, str) -> str");
    /// The qualified name of the class declaring a field.
    DsuObjectDeclaredIn = (None, "__dsu_object_declared_in", "fn(any, int, str) -> str");
    /// A field's value; runtime error for a wrong name or a field without a value yet.
    DsuObjectGet = (None, "__dsu_object_get", "fn(any, int, str) -> any");
    /// Stores into a field; runtime error for a wrong name, a value of the wrong type, an old view.
    DsuObjectSet = (None, "__dsu_object_set", "fn(any, int, str, any)");
    /// Makes a migration's new object an instance of another class of the updated module.
    DsuObjectBecome = (None, "__dsu_object_become", "fn(any, int, str)");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_names_are_unique_per_receiver() {
        for (i, b) in Builtin::ALL.iter().enumerate() {
            assert_eq!(b.id() as usize, i);
            assert_eq!(Builtin::from_id(b.id()), Some(*b));
            assert_eq!(Builtin::method(b.receiver(), b.name()), Some(*b), "duplicate {}", b.name());
        }
        assert_eq!(Builtin::from_id(u16::MAX), None);
    }

    #[test]
    fn arity_counts_receiver() {
        assert_eq!(Builtin::Print.arity(), 1);
        assert_eq!(Builtin::ListPush.arity(), 2);
        assert_eq!(Builtin::StrReplace.arity(), 3);
        assert_eq!(Builtin::ListSortBy.arity(), 2);
        assert_eq!(Builtin::TimeNowMs.arity(), 0);
    }
}
