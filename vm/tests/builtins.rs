//! Built-ins end to end: the exact text of `str(x)`, `sort_by`'s re-entrant calls, and the edge
//! cases of the list, map, str, number, reflection and system built-ins.

mod common;

use common::{compile, run_src, vm_with_output};

/// Runs `body` as the body of `main` (after `decls`) and checks stdout, and the start of the
/// runtime error when `error` is given.
fn check(decls: &str, body: &str, out: &str, error: Option<&str>) {
    let src = format!("import std.math\n{decls}\nfn main() {{\n{body}\n}}\n");
    let r = run_src(&src);
    assert_eq!(r.out, out, "program:\n{src}\nstderr:\n{}", r.err);
    match error {
        None => assert_eq!((r.outcome.exit_code, r.err.as_str()), (0, ""), "{src}"),
        Some(e) => {
            assert_eq!(r.outcome.exit_code, 70, "{src}");
            assert!(r.err.starts_with(&format!("error: {e}")), "{src}\nstderr: {}", r.err);
        }
    }
}

#[test]
fn str_of_every_kind_of_value() {
    let decls = r#"
        class Product {
            name: str
            stock: int = 0
        }
        class Perishable extends Product {
            days: int = 7
        }
        fn helper() {}
    "#;
    let body = r#"
        print(1.0)
        print(0.1 + 0.2)
        print(1e16)
        print(0.00001)
        print(-2.5)
        print(1.0 / 0.0)
        print([1, 2])
        print(["a\"b", "tab\t", "brace\{", "\u{7}", "é"])
        print({"a": 1, "b": 2})
        print({1: [true, false]})
        print(Product { name: "apple", stock: 3 })
        print(Perishable { name: "milk" })
        print(helper)
        print(fn(x: int) -> int = x)
        let empty: List<int> = []
        print(empty)
        let m: Map<str, int> = {}
        print(m)
        let nested = [[1], [2, 3]]
        print(nested)
        print("top \"level\" is raw")
        let opt: int? = 5
        print(opt)
        print(str(nil))
    "#;
    let out = "1.0\n0.30000000000000004\n1e+16\n1e-05\n-2.5\ninf\n[1, 2]\n\
        [\"a\\\"b\", \"tab\\t\", \"brace\\{\", \"\\u{7}\", \"é\"]\n{\"a\": 1, \"b\": 2}\n{1: [true, false]}\n\
        Product{name: \"apple\", stock: 3}\nPerishable{name: \"milk\", stock: 0, days: 7}\n<fn helper>\n<fn lambda>\n\
        []\n{}\n[[1], [2, 3]]\ntop \"level\" is raw\n5\nnil\n";
    check(decls, body, out, None);
}

#[test]
fn str_of_a_cyclic_list_terminates() {
    let body = r#"
        let xs: List<any> = []
        xs.push(1)
        xs.push(xs)
        print(xs)
    "#;
    check("", body, "[1, [...]]\n", None);
}

#[test]
fn sort_by_calls_newt_from_rust_and_is_stable() {
    let decls = r#"
        class Item {
            key: int
            tag: str
        }
    "#;
    let body = r#"
        let items = [Item { key: 2, tag: "a" }, Item { key: 1, tag: "b" }, Item { key: 2, tag: "c" }, Item { key: 1, tag: "d" }]
        let calls = 0
        items.sort_by(fn(x: Item, y: Item) -> bool {
            calls = calls + 1
            return x.key < y.key
        })
        let tags: List<str> = []
        for it in items { tags.push(it.tag) }
        print(tags)
        print(calls > 0)
        let big: List<int> = []
        for i in 0..1000 { big.push((i * 7919) % 1000) }
        big.sort_by(fn(x: int, y: int) -> bool = x > y)
        print(big[0])
        print(big[999])
    "#;
    check(decls, body, "[\"b\", \"d\", \"a\", \"c\"]\ntrue\n999\n0\n", None);
}

#[test]
fn sort_by_comparator_errors_stop_the_fiber_with_the_comparator_in_the_trace() {
    let body = r#"
        let xs = [3, 1, 2]
        xs.sort_by(fn(x: int, y: int) -> bool {
            return x / (y - y) > 0
        })
    "#;
    let src = format!("fn main() {{\n{body}\n}}\n");
    let r = run_src(&src);
    assert_eq!(r.outcome.exit_code, 70);
    assert!(
        r.err.starts_with("error: division by zero\n  at main.<lambda 0> (t.newt:5)\n  at main (t.newt:4)"),
        "{}",
        r.err
    );
}

#[test]
fn sort_by_comparator_cannot_block() {
    let body = r#"
        let c = Chan::<int>(0)
        let xs = [3, 1, 2]
        xs.sort_by(fn(x: int, y: int) -> bool {
            c.recv()
            return x < y
        })
    "#;
    check("", body, "", Some("cannot block"));
}

#[test]
fn list_methods() {
    let body = r#"
        let xs = [1, 2, 3]
        xs.insert(0, 0)
        xs.insert(4, 4)
        print(xs)
        print(xs.remove(1))
        print(xs.pop())
        print(xs.get(10))
        print(xs.get(-1))
        print(xs.contains(3))
        print(xs.index_of(3))
        print(xs.index_of(9))
        print(xs.slice(1, 3))
        xs.reverse()
        print(xs)
        xs.sort()
        print(xs)
        print(["b", "a", "c"].join("-"))
        let fs = [2.5, -1.0, 0.0]
        fs.sort()
        print(fs)
        let ss = ["pear", "apple", "Zed"]
        ss.sort()
        print(ss)
        xs.clear()
        print(xs.len())
        print(xs.pop())
    "#;
    let out = "[0, 1, 2, 3, 4]\n1\n4\nnil\nnil\ntrue\n2\nnil\n[2, 3]\n[3, 2, 0]\n[0, 2, 3]\nb-a-c\n[-1.0, 0.0, 2.5]\n\
        [\"Zed\", \"apple\", \"pear\"]\n0\nnil\n";
    check("", body, out, None);
    check("", "let xs = [1]\nxs.remove(1)", "", Some("index out of range"));
    check("", "let xs = [1]\nxs.insert(3, 1)", "", Some("index out of range"));
    check("", "let xs = [1]\nprint(xs.slice(1, 0))", "", Some("index out of range"));
    check("", "let xs: List<int> = []\nxs.remove(0)", "", Some("index out of range"));
}

#[test]
fn map_methods_keep_insertion_order() {
    let body = r#"
        let m = {"a": 1, "b": 2, "c": 3}
        m["a"] = 10
        print(m.remove("b"))
        print(m.remove("zz"))
        m["b"] = 20
        print(m)
        print(m.keys())
        print(m.values())
        print(m.get("c"))
        print(m.get("q"))
        print(m.contains("a"))
        print(m.len())
        let ints = {3: "x"}
        ints[1] = "y"
        print(ints)
        print(m["nope"])
    "#;
    let out = "2\nnil\n{\"a\": 10, \"c\": 3, \"b\": 20}\n[\"a\", \"c\", \"b\"]\n[10, 3, 20]\n3\nnil\ntrue\n3\n\
        {3: \"x\", 1: \"y\"}\n";
    check("", body, out, Some("key not found: \"nope\""));
}

#[test]
fn str_methods() {
    let body = r#"
        let s = "  Hello, World  "
        print(s.trim())
        print(s.len())
        print("a,b,,c".split(","))
        print("".split(" "))
        print("héllo".chars())
        print("abc".upper())
        print("ABC".lower())
        print("hello".find("l"))
        print("hello".find("z"))
        print("hello".contains("ell"))
        print("hello".starts_with("he"))
        print("hello".ends_with("lo"))
        print("aaa".replace("a", "bb"))
        print("hello".slice(1, 3))
        print("-42".to_int())
        print("4x".to_int())
        print("2.5".to_float())
        print("ab".repeat(3))
        print("é".slice(0, 1))
    "#;
    let out = "Hello, World\n16\n[\"a\", \"b\", \"\", \"c\"]\n[\"\"]\n[\"h\", \"é\", \"l\", \"l\", \"o\"]\nABC\nabc\n2\nnil\n\
        true\ntrue\ntrue\nbbbbbb\nel\n-42\nnil\n2.5\nababab\n";
    check("", body, out, Some("slice index not on a character boundary"));
}

#[test]
fn numbers() {
    let body = r#"
        print((-5).abs())
        print(3.min(4))
        print(3.max(4))
        print((-2.5).abs())
        print(2.5.floor())
        print(2.5.ceil())
        print(2.5.round())
        print((-2.5).round())
        print(2.0.sqrt())
        print(2.5.fixed(0))
        print((1.0 / 3.0).fixed(3))
        print(int(2.9))
        print(int(-2.9))
        print(float(3))
        print(math.pow(2.0, 10.0))
        print(int(1e300))
    "#;
    let out = "5\n3\n4\n2.5\n2.0\n3.0\n3.0\n-3.0\n1.4142135623730951\n2\n0.333\n2\n-2\n3.0\n1024.0\n";
    check("", body, out, Some("integer overflow"));
}

#[test]
fn assert_and_panic_show_the_message() {
    check(
        "",
        "assert(1 == 1, \"fine\")\nassert(1 == 2, \"math is broken\")",
        "",
        Some("assertion failed: math is broken"),
    );
    check("", "panic(\"boom {1 + 1}\")", "", Some("boom 2"));
}

#[test]
fn reflection_natives_through_std() {
    // The `__` natives are reachable only from std modules; std.json uses them for instances.
    let decls = r#"
        import std.json
        class Point {
            x: int
            y: int
        }
    "#;
    let body = r#"
        print(json.encode(Point { x: 1, y: 2 }))
    "#;
    check(decls, body, "{\"x\":1,\"y\":2}\n", None);
}

#[test]
fn stdin_args_and_files() {
    let src = r#"
        import std.io
        import std.process
        fn main() {
            print(io.read_line())
            print(io.read_line())
            print(io.read_line())
            print(process.args())
            print(process.env("NEWT_SURELY_UNSET_VARIABLE"))
            io.read_file("/definitely/not/here")
        }
    "#;
    let (mut vm, out, err) = vm_with_output(compile(src), "first\r\nsecond");
    let outcome = vm.run();
    assert_eq!(out.text(), "first\nsecond\nnil\n[\"a1\", \"a2\"]\nnil\n");
    assert_eq!(outcome.exit_code, 70);
    assert!(err.text().starts_with("error: cannot read '/definitely/not/here': No such file"), "{}", err.text());
}

#[test]
fn nested_sort_by_is_bounded() {
    let decls = r#"
        fn sorted_deep(n: int) -> int {
            if n == 0 { return 0 }
            let xs = [2, 1]
            let r = 0
            xs.sort_by(fn(a: int, b: int) -> bool {
                r = sorted_deep(n - 1)
                return a < b
            })
            return r + 1
        }
    "#;
    check(decls, "print(sorted_deep(30))", "30\n", None);
    check(decls, "print(sorted_deep(100000))", "", Some("stack overflow"));
}
