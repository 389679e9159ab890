//! opam's version order: Debian's `verrevcmp` on the whole string, with no
//! epoch and no revision (a `-` or `:` is an ordinary character).
//!
//! A version is read as alternating runs of non-digits and digits. Non-digit
//! runs compare character by character with `~` before everything (even the
//! end of the string), then the end of the run, then letters (ASCII order),
//! then every other character (ASCII order). Digit runs compare as numbers
//! (leading zeros ignored), so `1.00` and `1.0` are *equal*.
//!
//! ```
//! use std::cmp::Ordering;
//! use torc_corpora::opam::compare_versions;
//! assert_eq!(compare_versions("1.0~beta", "1.0"), Ordering::Less);
//! assert_eq!(compare_versions("1.10", "1.9"), Ordering::Greater);
//! assert_eq!(compare_versions("v0.15", "0.15"), Ordering::Greater);
//! ```

use std::cmp::Ordering;

/// The weight of one byte of a non-digit run (0 = end of the run).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// Compares two opam versions.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        // Non-digit run.
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // Digit run, numerically.
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_order_without_epochs() {
        let ascending = [
            "~~",
            "~~a",
            "~",
            "0~beta",
            "0",
            "0.1",
            "0.9",
            "0.10",
            "1~~",
            "1~",
            "1~rc1",
            "1",
            "1+dfsg",
            "1.0~beta1",
            "1.0",
            "1.0a",
            "1.0+a",
            "1.0-1",
            "1.0.1",
            "1.1",
            "v0.14.0",
            "v0.15~preview",
            "v0.15",
        ];
        for (k, a) in ascending.iter().enumerate() {
            assert_eq!(compare_versions(a, a), Ordering::Equal, "{a}");
            for b in &ascending[k + 1..] {
                assert_eq!(compare_versions(a, b), Ordering::Less, "{a} < {b}");
                assert_eq!(compare_versions(b, a), Ordering::Greater, "{b} > {a}");
            }
        }
    }

    #[test]
    fn digit_runs_are_numbers() {
        assert_eq!(compare_versions("1.00", "1.0"), Ordering::Equal);
        assert_eq!(compare_versions("1.010", "1.9"), Ordering::Greater);
        assert_eq!(compare_versions("20200211", "20180703"), Ordering::Greater);
        assert_eq!(compare_versions("4.14.0", "4.8.0"), Ordering::Greater);
        assert_eq!(compare_versions("99999999999999999999999", "1"), Ordering::Greater);
        assert_eq!(compare_versions("", ""), Ordering::Equal);
        assert_eq!(compare_versions("", "0"), Ordering::Equal);
        assert_eq!(compare_versions("", "~"), Ordering::Greater);
        assert_eq!(compare_versions("a", "."), Ordering::Less);
    }
}
