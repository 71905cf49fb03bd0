//! Text forms of numbers and strings that `str(x)`, `print` and `float.fixed` must produce exactly
//! (language.md, "Built-in operations"): floats as Python's `repr(float)`, `%.Nf` as C writes it,
//! and strings as Newt string literals when they appear inside lists, maps and instances.
//!
//! Everything here is pure and allocation-light so the VM can call it from its printer without
//! touching the heap.

use std::fmt::Write as _;

/// The largest number of fraction digits `fixed` writes; larger requests are clamped to it so that a
/// stray `x.fixed(1_000_000_000)` cannot allocate without bound.
pub const MAX_FIXED_DIGITS: i64 = 100;

/// A float written as Python's `repr(float)` writes it: the shortest digits that read back to the
/// same double, positional when the decimal exponent is in `-4..16`, otherwise `d.ddde+XX`.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.2345e-5`, `1e16`, `-0e0`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        write_positional(&digits, exp, &mut out);
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.unsigned_abs());
    }
    out
}

/// Lays out `d.ddd × 10^exp` (as the digit string `digits`) without an exponent, always with a
/// fraction part (`100.0`, `0.001`).
fn write_positional(digits: &str, exp: i32, out: &mut String) {
    // Number of digits before the decimal point.
    let point = exp + 1;
    if point <= 0 {
        out.push_str("0.");
        for _ in 0..(-point) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let point = point as usize;
        if digits.len() <= point {
            out.push_str(digits);
            for _ in digits.len()..point {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
}

/// A float with exactly `digits` fraction digits, as C's `printf("%.*f", digits, f)`: the exact
/// binary value rounded half-to-even (`2.5` → `"2"`, `2.675` → `"2.67"`). Negative `digits` mean 0;
/// more than [`MAX_FIXED_DIGITS`] are clamped. Infinities and NaN are `inf`, `-inf`, `nan`.
pub fn fixed(f: f64, digits: i64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let digits = digits.clamp(0, MAX_FIXED_DIGITS) as usize;
    // Rust's precision formatting is exact (Grisu with a Dragon fallback) and rounds ties to even,
    // which is what glibc's printf does.
    format!("{f:.digits$}")
}

/// Appends `s` as a Newt string literal: in double quotes, with `\\ \" \n \t \r \{` escaped and every
/// other character below U+0020, and U+007F, written as `\u{hex}` (lower case, no leading zeros).
pub fn escape_str(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '{' => out.push_str("\\{"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An int in decimal (for symmetry with [`float_repr`]; `str(i)`).
pub fn int_repr(i: i64) -> String {
    i.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (bits of the double, Python 3.11's `repr` of it), generated with python3.
    const REPRS: &[(u64, &str)] = &[
        (0x3ff0000000000000, "1.0"),
        (0x3fb999999999999a, "0.1"),
        (0xc004000000000000, "-2.5"),
        (0x4341c37937e08000, "1e+16"),
        (0x3ee4f8b588e368f1, "1e-05"),
        (0x3f1a36e2eb1c432d, "0.0001"),
        (0x3f50624dd2f1a9fc, "0.001"),
        (0x42dc12218377de40, "123456789012345.0"),
        (0x43118b54f22aeb00, "1234567890123456.0"),
        (0x4345ee2a2eb5a5c4, "1.2345678901234568e+16"),
        (0x7e41eb2d66005835, "1.5e+300"),
        (0x8000000000000000, "-0.0"),
        (0x0000000000000000, "0.0"),
        (0x0000000000000001, "5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0x0010000000000000, "2.2250738585072014e-308"),
        (0x4341c37937e07fff, "9999999999999998.0"),
        (0x430c6bf526340000, "1000000000000000.0"),
        (0x4376345785d8a000, "1e+17"),
        (0x3fd3333333333333, "0.3"),
        (0x3fe5555555555555, "0.6666666666666666"),
        (0x3fd5555555555555, "0.3333333333333333"),
        (0x4059000000000000, "100.0"),
        (0x4480f0cf064dd592, "1e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x405edd2f1a9fbe77, "123.456"),
        (0xbe7ad7f29abcaf48, "-1e-07"),
        (0x400921f9f01b866e, "3.14159"),
        (0x4340000000000000, "9007199254740992.0"),
        (0x43e0000000000000, "9.223372036854776e+18"),
        (0x3f1a36e2eb1c432d, "0.0001"),
        (0x3f1a36371ea531a8, "9.999e-05"),
        (0x3f202e4b6ce5dc68, "0.00012345"),
        (0x4011666666666666, "4.35"),
        (0x54b249ad2594c37d, "1e+100"),
        (0xf2a74de452e6b438, "-1.989032661366619e+244"),
        (0x6513270e269e0d37, "7.761117632285041e+178"),
        (0x0c5c7fd0a6a3a450, "3.980498358697587e-249"),
        (0xd23f0824128b2f33, "-1.5432835417340557e+88"),
        (0x1818e811892f902b, "1.3647584518757569e-192"),
        (0x9531985d5d9dc9f8, "-1.3701135617873088e-206"),
        (0xe8e25d940ed90475, "-1.7160537630466207e+197"),
        (0x36f675cc81e74ef5, "6.294675241195386e-44"),
        (0x1600a35a099950d8, "1.0613447212142254e-202"),
        (0x6b0d549b6f03675a, "4.708325160387546e+207"),
        (0x3d9c172411e20b8f, "6.387016158513563e-12"),
        (0x8d116ece1738f7d9, "-9.973130378568733e-246"),
        (0x0f21ddb66cad4a26, "8.779753225680271e-236"),
        (0x90c192cfd3ac94af, "-5.795503248498993e-228"),
        (0xf28c105d1fb17c23, "-5.988180159386011e+243"),
        (0xa170b33839263059, "-1.306052388527796e-147"),
        (0x953f48f1a09f76b5, "-2.436117699484841e-206"),
        (0x0fd630f1f29d0da9, "2.233386999150174e-232"),
        (0x95e60af593bd04cf, "-3.51527970626667e-203"),
        (0x0cb1e29c658cda14, "1.5987381841032883e-247"),
        (0x3898d190f9ebdacc, "4.6678633181812096e-36"),
        (0x8e81973e0becd7b0, "-8.441872792105456e-239"),
        (0x2217beaddbc496cb, "1.9015657400796622e-144"),
        (0x6b4cb2424a23d596, "7.370437700706684e+208"),
        (0x8a6a63ec24ede6a4, "-1.7163996725272777e-258"),
        (0x922766581e27a1c0, "-3.2367190832119987e-221"),
        (0x8f6d05584ef8aa38, "-2.2818334634712625e-234"),
        (0xae97ba94d0eda82f, "-3.0536383926309363e-84"),
        (0x1a61dbe22e44158b, "1.3449551894627777e-181"),
        (0x923a736994e3bf91, "-7.317495976062606e-221"),
        (0x301850c5a38fd547, "5.249822308814304e-77"),
        (0x18f135d25f557203, "1.5450754142984396e-188"),
        (0xb64ce4228c38fb29, "-3.953625698224792e-47"),
        (0x907a70c31012f037, "-2.72491267476498e-229"),
        (0x9e7769b10f4205b4, "-6.505141861548772e-162"),
        (0x7f15052434b9b5df, "1.441484839555994e+304"),
        (0x881ed162ae2eb154, "-1.4583679262758548e-269"),
        (0xc6f877186d76b07e, "-7.939416668807721e+33"),
        (0x7731af10506bf2ef, "1.4255183989699612e+266"),
        (0xec66a78795e761d1, "-1.525315701232403e+214"),
        (0x5c90a9587403e430, "7.750545741548908e+137"),
        (0x3f98e2774cbd87ad, "0.024301399287089676"),
        (0x2e05319acb5c7427, "5.326960081783017e-87"),
        (0xc7a2ea20b2f14c94, "-1.2570882301712172e+37"),
        (0x14f4733f3e7d1bfb, "9.952684009002448e-208"),
        (0x4cdd2055930d6eaf, "1.8721667527122837e+62"),
        (0x7ebff20686734721, "3.422978398947072e+302"),
        (0x57ee05cde00902c7, "3.6967297937384553e+115"),
        (0x72e6cc3ababced20, "3.113284956169447e+245"),
        (0x9be4bcfc49b64a08, "-2.6202582260546103e-174"),
        (0x12bd4acefaecbd38, "2.0745096302730225e-218"),
        (0x830e07bc1e398f10, "-5.877500503097409e-294"),
        (0x2a3af4d46b0a18e8, "2.938345597354166e-105"),
        (0x5790f82ec1d3fcff, "6.529598674765832e+113"),
        (0xeeeacbe226e87555, "-1.9837344250050814e+226"),
        (0x6bf46c697d2caf82, "1.0743030475716402e+212"),
        (0xf646e1f40a097c97, "-5.629271400715247e+261"),
        (0x13deef86ab1031d0, "5.743310614918485e-213"),
        (0x8ede0d7ac3baea9e, "-4.61515470702556e-237"),
        (0xca02135e92b1d3f2, "-3.302201168194502e+48"),
        (0x4126ead73f505d10, "750955.62366"),
        (0xc113842d1a3c2118, "-319755.27562"),
        (0x41070a1e089f40a3, "188739.75421"),
        (0xc12a521433333333, "-862474.1"),
        (0x412b24246163fa7b, "889362.1902159"),
        (0x41180d9066666666, "394084.1"),
        (0xc12ad08a4a2339c1, "-878661.1448"),
        (0x4111f5c6d61297b2, "294257.7090553"),
        (0xc11a4b63be45803d, "-430808.935812"),
        (0x41279f812b40f66a, "774080.58448"),
        (0xc12d23f449abcaf5, "-954874.1438888"),
        (0xc111a4bf33333333, "-289071.8"),
        (0xc0c8a3016872b021, "-12614.011"),
        (0x41205f23f5c28f5c, "536465.98"),
        (0x411d18db09691a76, "476726.75919"),
        (0xc10a9fa4bff75968, "-218100.5937335"),
        (0xc129996acb923019, "-838837.3975997"),
        (0xc108033be5fd8adb, "-196711.4873"),
        (0x4127665f4e46ae3a, "766767.652883"),
        (0x41263741e0f9096c, "727968.9394"),
        (0x411931e5ad0bb6ed, "412793.41899"),
        (0x41164e1879a02752, "365446.118775"),
        (0x412bf00cd1eb851f, "915462.41"),
        (0xc12973dd3851eb85, "-834030.61"),
        (0xc1205c2c883126e9, "-536086.266"),
        (0xc12dc803c28f5c29, "-975873.88"),
        (0xc11cf62c00000000, "-474507.0"),
        (0xc125a04e6e1f7ecb, "-708647.21508404"),
        (0xc10feba6d56c0d6f, "-261492.85421"),
        (0x412ba7a7b3bcd9bb, "906195.85105019"),
        (0x412b7ac000000000, "900448.0"),
        (0xc0f52b88e3b6cbda, "-86712.55559425"),
        (0xc10a46517d5f56a8, "-215242.186217"),
        (0xc109d97fbe90a1a3, "-211759.9680493"),
        (0x4110648c00000000, "268579.0"),
        (0xc122e239d999999a, "-618780.925"),
        (0xc0fcfda4cccccccd, "-118746.3"),
        (0xc113865400000000, "-319893.0"),
        (0xc12844d19999999a, "-795240.8"),
        (0x40f1e15603d9a954, "73237.37594"),
        (0x3a7e640b4a00894e, "6.137372629754311e-27"),
        (0x41ca0ea06cafd952, "874332377.3738196"),
        (0x41ec08016e420fa5, "3762293618.0644097"),
        (0x3e25ab34ec4c54a5, "2.522577565570773e-09"),
        (0x3fe345df0174e742, "0.6022791889620083"),
        (0x44ba034a69902f07, "1.2284223076219492e+23"),
        (0x3fa8fd34a65b1978, "0.048806805903541084"),
        (0x3d9520c49df6dd22, "4.8039510461564844e-12"),
        (0x3aba947be264f7c1, "8.588466155616558e-26"),
        (0x4370a56722488d89, "7.496739204424309e+16"),
        (0x44966cfffc4ddb8f, "2.6475689171718005e+22"),
        (0x4085a07443397048, "692.0567688453093"),
        (0x45d2a8154aa79b6e, "2.3095721045248154e+28"),
        (0x3e798e3cf642da05, "9.520209471006496e-08"),
        (0x4096e819ff92567f, "1466.025388990907"),
        (0x43a95f657e0067aa, "9.141457827913946e+17"),
        (0x4228978e1cbba94b, "52810944093.83065"),
        (0x42d3a1368b3d39b9, "86332503028966.89"),
        (0x408a6b94ac5d1d7d, "845.4475943827271"),
        (0x3bb15120e2f4bd71, "3.666997917611788e-21"),
    ];

    #[test]
    fn float_repr_matches_python() {
        for &(bits, want) in REPRS {
            let f = f64::from_bits(bits);
            assert_eq!(float_repr(f), want, "bits {bits:#018x}");
            // And the text reads back to the same double.
            assert_eq!(want.parse::<f64>().map(f64::to_bits), Ok(bits), "{want}");
        }
    }

    #[test]
    fn float_repr_special_values() {
        assert_eq!(float_repr(f64::NAN), "nan");
        assert_eq!(float_repr(-f64::NAN), "nan");
        assert_eq!(float_repr(f64::INFINITY), "inf");
        assert_eq!(float_repr(f64::NEG_INFINITY), "-inf");
        assert_eq!(float_repr(-0.0), "-0.0");
        assert_eq!(float_repr(0.0), "0.0");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(9999999999999998.0), "9999999999999998.0");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(0.00001), "1e-05");
        assert_eq!(float_repr(1.5e300), "1.5e+300");
        assert_eq!(float_repr(-1.5e-300), "-1.5e-300");
        assert_eq!(float_repr(5e-324), "5e-324");
    }

    /// (bits, digits, C's `%.*f`), generated with python3's `%` operator (which calls the C rules).
    const FIXED: &[(u64, i64, &str)] = &[
        (0x4004000000000000, 0, "2"),
        (0x3fd5555555555555, 3, "0.333"),
        (0x3fe0000000000000, 0, "0"),
        (0x3ff8000000000000, 0, "2"),
        (0x3fc0000000000000, 2, "0.12"),
        (0xbfd999999999999a, 0, "-0"),
        (0x8000000000000000, 2, "-0.00"),
        (0x4005666666666666, 2, "2.67"),
        (0x3ff0147ae147ae14, 2, "1.00"),
        (0x4415af1d78b58c40, 2, "100000000000000000000.00"),
        (0x405edd2f1a9fbe77, 10, "123.4560000000"),
        (0x3ddb7cdfd9d7bdbb, 5, "0.00000"),
        (0x0000000000000000, 0, "0"),
        (0x0000000000000001, 3, "0.000"),
        (0xbff8000000000000, 0, "-2"),
        (0x40934a456d5cfaad, 1, "1234.6"),
        (0x4023fd70a3d70a3d, 2, "9.99"),
        (0x3fa999999999999a, 1, "0.1"),
        (0x4058e00000000000, 0, "100"),
        (0x4059000000000000, 3, "100.000"),
        (0xc057cf6aca641fa0, 8, "-95.24089298"),
        (0x40864dcedfc86bd0, 12, "713.726012769499"),
        (0xc0512cca80c2aee0, 8, "-68.69985980"),
        (0x408630baecb6c508, 3, "710.091"),
        (0xc083b56f3b48330c, 8, "-630.67931229"),
        (0xc0483c9c8d43c0e0, 9, "-48.473527582"),
        (0x40824fa1451458ec, 1, "586.0"),
        (0xc05ab41392099470, 2, "-106.81"),
        (0xc08995457a7a9ced, 12, "-818.658925016321"),
        (0x408866167ecae080, 10, "780.7609840250"),
        (0xc08ca1ea24692083, 6, "-916.239327"),
        (0x408d0c1fdf19fd5e, 10, "929.5155622511"),
        (0x407ddd4ee3de4034, 10, "477.8317602808"),
        (0xc08568182fb1be3c, 0, "-685"),
        (0x4084bb39db80c334, 1, "663.4"),
        (0xc08b872eac58b1c8, 3, "-880.898"),
        (0x4087b90a20a3e2d2, 9, "759.129945069"),
        (0xc08d5eadb6ebc87f, 7, "-939.8348216"),
        (0xc075b69cdb1de026, 9, "-347.413294903"),
        (0x408566d584b6a48a, 8, "684.85425704"),
        (0xc080a5ab77df6aa6, 4, "-532.7087"),
        (0xbfdd0959367ff800, 10, "-0.4536955864"),
        (0xc089f02e088d571c, 10, "-830.0224772494"),
        (0xc07bbac986a4e296, 8, "-443.67420067"),
        (0x408efb10f6d75ed4, 1, "991.4"),
        (0x4079f9e86b57fa9c, 5, "415.61924"),
        (0x40801fd73dab54f0, 8, "515.98009809"),
        (0xc07a5eb8c068fe0a, 1, "-421.9"),
        (0x405f923598e49b20, 1, "126.3"),
        (0xc068e66998a19344, 4, "-199.2004"),
        (0xc06c5f224be96358, 0, "-227"),
        (0x4085b4f4d4d9cb80, 0, "695"),
        (0xc081e7f91ffc90b0, 0, "-573"),
        (0xc04e0341e1112d70, 11, "-60.02544797267"),
        (0xc069a4d6d361ab38, 1, "-205.2"),
        (0x40608f78c3aba3a8, 3, "132.483"),
        (0x4081682c7a25d17e, 4, "557.0217"),
        (0xc074636de2436c58, 4, "-326.2143"),
        (0xc074ed428e6366e8, 6, "-334.828749"),
        (0x408020a5f525b206, 1, "516.1"),
    ];

    #[test]
    fn fixed_matches_c() {
        for &(bits, digits, want) in FIXED {
            assert_eq!(fixed(f64::from_bits(bits), digits), want, "bits {bits:#018x} digits {digits}");
        }
    }

    #[test]
    fn fixed_edge_cases() {
        assert_eq!(fixed(2.5, 0), "2");
        assert_eq!(fixed(3.5, 0), "4");
        assert_eq!(fixed(1.0 / 3.0, 3), "0.333");
        assert_eq!(fixed(1.25, -3), "1");
        assert_eq!(fixed(f64::NAN, 2), "nan");
        assert_eq!(fixed(f64::INFINITY, 2), "inf");
        assert_eq!(fixed(f64::NEG_INFINITY, 0), "-inf");
        assert_eq!(fixed(-0.0, 1), "-0.0");
        let huge = fixed(0.5, i64::MAX);
        assert_eq!(huge.len(), 2 + MAX_FIXED_DIGITS as usize);
        assert!(huge.starts_with("0.5000"));
    }

    fn esc(s: &str) -> String {
        let mut out = String::new();
        escape_str(s, &mut out);
        out
    }

    #[test]
    fn escape_str_writes_newt_literals() {
        assert_eq!(esc(""), r#""""#);
        assert_eq!(esc("apple"), r#""apple""#);
        assert_eq!(esc("a\"b"), r#""a\"b""#);
        assert_eq!(esc("back\\slash"), r#""back\\slash""#);
        assert_eq!(esc("l1\nl2\tx\r"), r#""l1\nl2\tx\r""#);
        assert_eq!(esc("{x}"), r#""\{x}""#);
        assert_eq!(esc("\u{1b}[0m"), r#""\u{1b}[0m""#);
        assert_eq!(esc("\u{7}\u{0}\u{1f}\u{7f}"), r#""\u{7}\u{0}\u{1f}\u{7f}""#);
        assert_eq!(esc("é ☃ 😀 \u{80}"), "\"é ☃ 😀 \u{80}\"");
    }

    #[test]
    fn escape_str_appends() {
        let mut out = String::from("[");
        escape_str("a", &mut out);
        out.push_str(", ");
        escape_str("b", &mut out);
        assert_eq!(out, r#"["a", "b""#);
    }

    #[test]
    fn int_repr_is_decimal() {
        assert_eq!(int_repr(0), "0");
        assert_eq!(int_repr(-42), "-42");
        assert_eq!(int_repr(i64::MIN), "-9223372036854775808");
    }
}
