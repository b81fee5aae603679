//! One rule for matching a contig name across the VCF, the FASTA and the genes: the exact name
//! first, else the same name with a literal `chr` prefix removed (when it has one) or added (when
//! it has none).
//!
//! SpliceAI 1.3.1 removes the prefix with Python's `str.strip('chr')`, which removes any of the
//! letters `c`, `h`, `r` from both ends (`chrUn_gl000220r` → `Un_gl000220`, `chr1c` → `1`): a
//! quirk not copied. Where SpliceAI adds or removes the prefix to match the first name of the
//! other file, the rule here tries the exact name first, so files that mix both spellings match
//! each of their names.

use std::collections::HashMap;

/// A list of contig names and the rule that finds a name in it ([`ContigNames::resolve`]).
#[derive(Debug, Clone, Default)]
pub struct ContigNames {
    names: Vec<String>,
    exact: HashMap<String, usize>,
    /// The names that start with `chr`, by the rest of the name.
    unprefixed: HashMap<String, usize>,
}

impl ContigNames {
    /// The names, in the order given (a repeated name keeps its first index).
    pub fn new<S: Into<String>>(names: impl IntoIterator<Item = S>) -> ContigNames {
        let mut out = ContigNames::default();
        for name in names {
            let name: String = name.into();
            if out.exact.contains_key(&name) {
                continue;
            }
            let i = out.names.len();
            if let Some(rest) = name.strip_prefix("chr") {
                out.unprefixed.entry(rest.to_string()).or_insert(i);
            }
            out.exact.insert(name.clone(), i);
            out.names.push(name);
        }
        out
    }

    /// The index of the name `name` matches: the same name, else (`name` starting with `chr`)
    /// the name without that prefix, else (no such prefix) the name with it.
    pub fn resolve(&self, name: &str) -> Option<usize> {
        if let Some(&i) = self.exact.get(name) {
            return Some(i);
        }
        match name.strip_prefix("chr") {
            Some(rest) => self.exact.get(rest).copied(),
            None => self.unprefixed.get(name).copied(),
        }
    }

    /// The name `name` matches ([`resolve`](ContigNames::resolve)).
    pub fn resolve_name(&self, name: &str) -> Option<&str> {
        self.resolve(name).map(|i| self.names[i].as_str())
    }

    /// The names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The number of distinct names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there is no name.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The name of `available` that `name` matches, by the rule of [`ContigNames::resolve`] (a
/// linear search: for many look-ups in one list, build a [`ContigNames`]).
pub fn match_contig<'a>(name: &str, available: &'a [String]) -> Option<&'a str> {
    let find = |n: &str| available.iter().find(|a| *a == n).map(String::as_str);
    find(name).or_else(|| match name.strip_prefix("chr") {
        Some(rest) => find(rest),
        None => available
            .iter()
            .find(|a| a.strip_prefix("chr") == Some(name))
            .map(String::as_str),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(name: &str, available: &[&str]) -> Option<String> {
        let list: Vec<String> = available.iter().map(|s| s.to_string()).collect();
        let linear = match_contig(name, &list).map(str::to_string);
        let indexed = ContigNames::new(available.iter().copied())
            .resolve_name(name)
            .map(str::to_string);
        assert_eq!(linear, indexed, "{name} in {available:?}");
        linear
    }

    #[test]
    fn exact_first_then_the_prefix_added_or_removed() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(both("1", &["1", "chr1"]), some("1"));
        assert_eq!(both("chr1", &["1", "chr1"]), some("chr1"));
        assert_eq!(both("chr1", &["1", "2"]), some("1"));
        assert_eq!(both("10", &["chr1", "chr10"]), some("chr10"));
        assert_eq!(both("chrX", &["X"]), some("X"));
        assert_eq!(both("MT", &["chrM"]), None);
        assert_eq!(both("3", &["1", "2"]), None);
        assert_eq!(both("chr", &["", "chr"]), some("chr"));
    }

    #[test]
    fn only_a_literal_prefix_is_removed_not_pythons_strip() {
        let some = |s: &str| Some(s.to_string());
        // Python: 'chr1c'.strip('chr') == '1'; here the prefix only.
        assert_eq!(both("chr1c", &["1", "1c"]), some("1c"));
        assert_eq!(both("chr1c", &["1"]), None);
        // A contig whose own name starts with chr twice.
        assert_eq!(both("chrchr1", &["chrchr1", "chr1"]), some("chrchr1"));
        assert_eq!(both("chrchr1", &["chr1"]), some("chr1"));
        assert_eq!(both("chr1", &["chrchr1"]), None);
        assert_eq!(both("1", &["chrchr1"]), None);
        assert_eq!(both("chr1", &["chrchr1", "1"]), some("1"));
        // Trailing c, h, r letters stay.
        assert_eq!(
            both("Un_gl000220r", &["chrUn_gl000220r"]),
            some("chrUn_gl000220r")
        );
    }

    #[test]
    fn repeated_names_keep_their_first_index() {
        let n = ContigNames::new(["a", "chrb", "a"]);
        assert_eq!(n.len(), 2);
        assert_eq!(n.resolve("b"), Some(1));
        assert_eq!(n.names(), ["a", "chrb"]);
        assert!(!n.is_empty());
    }
}
