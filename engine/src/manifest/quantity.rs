//! The small value languages inside manifest strings: resource quantities
//! (`<= 256 bytes`), edition requirements (`>=2026, <2030`) and effect
//! lists (`pure`, `io, alloc`). Each parser returns a message without a
//! location; the manifest readers add file, line, column and key.

use crate::package::{BaseUnit, Comparison, EditionReq, Quantity, Relation};
use std::collections::BTreeSet;

/// The units a quantity may be written in, with their factor to the base unit.
const UNITS: &[(&str, u64, BaseUnit)] = &[
    ("bytes", 1, BaseUnit::Bytes),
    ("byte", 1, BaseUnit::Bytes),
    ("B", 1, BaseUnit::Bytes),
    ("KiB", 1 << 10, BaseUnit::Bytes),
    ("MiB", 1 << 20, BaseUnit::Bytes),
    ("GiB", 1 << 30, BaseUnit::Bytes),
    ("kB", 1_000, BaseUnit::Bytes),
    ("MB", 1_000_000, BaseUnit::Bytes),
    ("GB", 1_000_000_000, BaseUnit::Bytes),
    ("cycles", 1, BaseUnit::Cycles),
    ("cycle", 1, BaseUnit::Cycles),
];

/// Parses a bounded amount: an optional relation (`<=` for "at most", `=`
/// or nothing for "exactly"), a whole number and a unit. The amount is
/// normalised to the base unit (bytes or cycles).
///
/// ```
/// use torc_engine::manifest::parse_quantity;
/// use torc_engine::package::{BaseUnit, Relation};
///
/// let q = parse_quantity("<= 4 KiB").unwrap();
/// assert_eq!((q.relation, q.amount, q.unit), (Relation::AtMost, 4096, BaseUnit::Bytes));
/// assert_eq!(parse_quantity("0 bytes").unwrap().relation, Relation::Exactly);
/// assert_eq!(parse_quantity("<= 5000 cycles").unwrap().unit, BaseUnit::Cycles);
/// assert!(parse_quantity("< 4 KiB").unwrap_err().contains("write `<= N unit`"));
/// assert!(parse_quantity("99999999999 GB").unwrap_err().contains("too large"));
/// ```
pub fn parse_quantity(text: &str) -> Result<Quantity, String> {
    let trimmed = text.trim();
    let (relation, rest) = if let Some(rest) = trimmed.strip_prefix("<=") {
        (Relation::AtMost, rest)
    } else if let Some(op) = [">=", "<", ">", "!="].into_iter().find(|op| trimmed.starts_with(op)) {
        return Err(format!(
            "`{op}` is not a bound a quantity can have: write `<= N unit` (at most) or `N unit` (exactly)"
        ));
    } else if let Some(rest) = trimmed.strip_prefix('=') {
        (Relation::Exactly, rest)
    } else {
        (Relation::Exactly, trimmed)
    };
    let rest = rest.trim_start();
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    if digits == 0 {
        return Err(format!("expected an amount such as `<= 256 bytes` or `0 bytes`, found `{}`", shorten(trimmed)));
    }
    let unit_text = rest[digits..].trim();
    if unit_text.starts_with(['.', ',', '_']) {
        return Err(format!("`{}`: amounts are whole numbers (use a smaller unit)", shorten(trimmed)));
    }
    if unit_text.is_empty() {
        return Err(format!("`{}` has no unit; expected one of: {}", shorten(trimmed), unit_names()));
    }
    let Some(&(_, factor, unit)) = UNITS.iter().find(|(name, ..)| *name == unit_text) else {
        return Err(format!("unknown unit `{}`; expected one of: {}", shorten(unit_text), unit_names()));
    };
    let too_large = || format!("`{}` is too large (at most {} {})", shorten(trimmed), u64::MAX, base_unit_name(unit));
    let amount: u64 = rest[..digits].parse().map_err(|_| too_large())?;
    let amount = amount.checked_mul(factor).ok_or_else(too_large)?;
    Ok(Quantity { relation, amount, unit })
}

pub(crate) fn base_unit_name(unit: BaseUnit) -> &'static str {
    match unit {
        BaseUnit::Bytes => "bytes",
        BaseUnit::Cycles => "cycles",
    }
}

fn unit_names() -> String {
    UNITS.iter().map(|(name, ..)| *name).collect::<Vec<_>>().join(", ")
}

/// Long, arbitrary input is cut in messages so an error stays one line.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

/// Parses `torc-edition`: comparators joined by `,`, all of which must hold.
/// A bare year means `=`.
pub(crate) fn parse_edition_req(text: &str) -> Result<EditionReq, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("an empty edition requirement; write one such as \">=2026\" or \">=2026, <2030\"".into());
    }
    let mut comparators = Vec::new();
    for part in trimmed.split(',') {
        let part = part.trim();
        let (comparison, year) = [
            (">=", Comparison::GreaterEq),
            ("<=", Comparison::LessEq),
            (">", Comparison::Greater),
            ("<", Comparison::Less),
            ("=", Comparison::Eq),
        ]
        .into_iter()
        .find_map(|(op, comparison)| part.strip_prefix(op).map(|rest| (comparison, rest.trim_start())))
        .unwrap_or((Comparison::Eq, part));
        if year.is_empty() || !year.bytes().all(|b| b.is_ascii_digit()) {
            let found = if year.is_empty() { "nothing".to_owned() } else { format!("`{}`", shorten(year)) };
            return Err(format!(
                "invalid edition requirement `{}`: expected a year (such as 2026), found {found}",
                shorten(trimmed)
            ));
        }
        let year: u32 = year.parse().map_err(|_| {
            format!("invalid edition requirement `{}`: year `{}` is too large", shorten(trimmed), shorten(year))
        })?;
        comparators.push((comparison, year));
    }
    Ok(EditionReq { text: trimmed.to_owned(), comparators })
}

/// Checks one effect name (`io`, `alloc`, `mmio`): a lowercase identifier.
pub(crate) fn check_effect_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else if name.is_empty() {
        Err("an empty effect name".into())
    } else {
        Err(format!(
            "invalid effect name `{}`: effects are lowercase identifiers such as `io` or `alloc`",
            shorten(name)
        ))
    }
}

/// Builds the effect set from names already split apart. `pure` stands
/// for the empty set and cannot be combined with other effects.
pub(crate) fn effects_from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<BTreeSet<String>, String> {
    let names: Vec<&str> = names.into_iter().collect();
    if names.contains(&"pure") {
        if names.len() > 1 {
            return Err("`pure` means no effects and cannot be listed with other effects".into());
        }
        return Ok(BTreeSet::new());
    }
    let mut set = BTreeSet::new();
    for name in names {
        check_effect_name(name)?;
        if !set.insert(name.to_owned()) {
            return Err(format!("effect `{name}` is listed twice"));
        }
    }
    Ok(set)
}

/// Parses the string form of `effects`: `pure` or names joined by `,`.
pub(crate) fn parse_effects(text: &str) -> Result<BTreeSet<String>, String> {
    if text.trim().is_empty() {
        return Err("an empty effects list; write \"pure\" for a module without effects".into());
    }
    effects_from_names(text.split(',').map(str::trim))
}

/// `[A-Za-z_][A-Za-z0-9_]*`: port, field and predicate names.
pub(crate) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn q(text: &str) -> (Relation, u64, BaseUnit) {
        let q = parse_quantity(text).unwrap();
        (q.relation, q.amount, q.unit)
    }

    #[test]
    fn quantities_in_every_unit() {
        assert_eq!(q("<= 256 bytes"), (Relation::AtMost, 256, BaseUnit::Bytes));
        assert_eq!(q("0 bytes"), (Relation::Exactly, 0, BaseUnit::Bytes));
        assert_eq!(q("= 4 KiB"), (Relation::Exactly, 4096, BaseUnit::Bytes));
        assert_eq!(q("<=5000 cycles"), (Relation::AtMost, 5000, BaseUnit::Cycles));
        assert_eq!(q("1 cycle"), (Relation::Exactly, 1, BaseUnit::Cycles));
        assert_eq!(q("1 byte"), (Relation::Exactly, 1, BaseUnit::Bytes));
        assert_eq!(q("16B"), (Relation::Exactly, 16, BaseUnit::Bytes));
        assert_eq!(q("2 MiB"), (Relation::Exactly, 2 << 20, BaseUnit::Bytes));
        assert_eq!(q("3 GiB"), (Relation::Exactly, 3 << 30, BaseUnit::Bytes));
        assert_eq!(q("2 kB"), (Relation::Exactly, 2_000, BaseUnit::Bytes));
        assert_eq!(q("2 MB"), (Relation::Exactly, 2_000_000, BaseUnit::Bytes));
        assert_eq!(q("  <=  2 GB  "), (Relation::AtMost, 2_000_000_000, BaseUnit::Bytes));
    }

    #[test]
    fn bad_quantities_say_what_is_wrong() {
        let err = |text: &str| parse_quantity(text).unwrap_err();
        assert!(err("256").contains("has no unit"), "{}", err("256"));
        assert!(err("256 furlongs").contains("unknown unit `furlongs`"));
        assert!(err("256 kb").contains("unknown unit `kb`"), "units are case-sensitive");
        assert!(err("1.5 KiB").contains("whole numbers"));
        assert!(err("< 4 KiB").contains("`<`"));
        assert!(err(">= 4 KiB").contains("`>=`"));
        assert!(err("bytes").contains("expected an amount"));
        assert!(err("").contains("expected an amount"));
        assert!(err("18446744073709551616 bytes").contains("too large"));
        assert!(err("18014398509481984 KiB").contains("too large"), "2^54 KiB overflows");
        assert_eq!(q("18446744073709551615 bytes").1, u64::MAX);
    }

    #[test]
    fn edition_requirements() {
        let req = parse_edition_req(">=2026, <2030").unwrap();
        assert_eq!(req.text, ">=2026, <2030");
        assert_eq!(req.comparators, vec![(Comparison::GreaterEq, 2026), (Comparison::Less, 2030)]);
        let req = parse_edition_req("2026").unwrap();
        assert_eq!(req.comparators, vec![(Comparison::Eq, 2026)]);
        let req = parse_edition_req("=2026,>2024,<=2027").unwrap();
        assert_eq!(
            req.comparators,
            vec![(Comparison::Eq, 2026), (Comparison::Greater, 2024), (Comparison::LessEq, 2027)]
        );
        assert!(parse_edition_req("").unwrap_err().contains("empty"));
        assert!(parse_edition_req(">=20x6").unwrap_err().contains("found `20x6`"));
        assert!(parse_edition_req(">=2026,").unwrap_err().contains("found nothing"));
        assert!(parse_edition_req("99999999999").unwrap_err().contains("too large"));
    }

    #[test]
    fn effects() {
        assert!(parse_effects("pure").unwrap().is_empty());
        let set = parse_effects("io, alloc").unwrap();
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["alloc", "io"]);
        assert!(parse_effects("pure, io").unwrap_err().contains("`pure`"));
        assert!(parse_effects("io, io").unwrap_err().contains("twice"));
        assert!(parse_effects("IO").unwrap_err().contains("lowercase"));
        assert!(parse_effects("io,").unwrap_err().contains("empty effect name"));
        assert!(parse_effects(" ").unwrap_err().contains("\"pure\""));
    }

    #[test]
    fn identifiers() {
        for ok in ["dt", "_x", "setpoint2", "A_b"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in ["", "2x", "a-b", "a b", "é"] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parse_quantity_never_panics(text in "\\PC*") {
            let _ = parse_quantity(&text);
        }

        #[test]
        fn parse_quantity_never_panics_near_valid_input(
            op in prop::sample::select(vec!["", "<=", "=", "<", ">=", " "]),
            amount in "[0-9]{0,25}",
            sep in prop::sample::select(vec!["", " ", ".", "\t"]),
            unit in prop::sample::select(UNITS.iter().map(|u| u.0).chain(["", "kb", "x"]).collect::<Vec<_>>()),
        ) {
            let text = format!("{op}{amount}{sep}{unit}");
            if let Ok(q) = parse_quantity(&text) {
                // A successful parse always normalises an amount that was written.
                prop_assert!(!amount.is_empty());
                prop_assert!(q.amount >= amount.parse::<u64>().unwrap());
            }
        }

        #[test]
        fn parse_edition_req_never_panics(text in "\\PC*") {
            let _ = parse_edition_req(&text);
        }
    }
}
