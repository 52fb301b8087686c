//! The deliberate flaws the app can be started with, one per checklist failure mode.
//!
//! A flaw is switched on for the whole process. Code that behaves differently
//! under a flaw asks `state.flaw(Flaw::X)` at the one place where the hardened
//! and the flawed behaviour part ways, so each flaw stays easy to find.

use std::fmt;

/// One deliberate weakness of the test app. Each flaw makes exactly one
/// checklist item of the scanner fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flaw {
    /// Internal errors and request-body errors are rendered with the error
    /// chain and a real backtrace; panics show their message and location.
    StackTrace,
    /// Debug mode: a developer 404 page listing the route table and build
    /// versions, and runtime internals at `/debug/vars` and `/debug/routes`.
    DebugPage,
    /// Search endpoints build SQL by string concatenation and answer with the
    /// SQLite error text and the failing query.
    SqlError,
    /// The main bundle carries a Stripe live secret key next to the publishable one.
    SecretInBundle,
    /// A lazily loaded chunk (named only in the bundle's webpack chunk map) carries an
    /// OpenAI API key.
    SecretInLazyChunk,
    /// The bundle points to its source map, served with the original sources, one of
    /// which holds a GitLab token the minified bundle no longer contains.
    SourceMapExposed,
    /// `/.env` is served with the production environment file.
    DotenvExposed,
    /// Resource bodies (projects, invoices, documents) are read without validation:
    /// any content type, and a body that does not decode crashes into a (safe) 500.
    NoInputValidation,
    /// Project bodies are bound leniently (unknown fields ignored) and `owner_id` is
    /// taken from the client.
    MassAssignment,
}

impl Flaw {
    /// Every flaw, in the order `--list-flaws` prints them.
    pub const ALL: &'static [Flaw] = &[
        Flaw::StackTrace,
        Flaw::DebugPage,
        Flaw::SqlError,
        Flaw::SecretInBundle,
        Flaw::SecretInLazyChunk,
        Flaw::SourceMapExposed,
        Flaw::DotenvExposed,
        Flaw::NoInputValidation,
        Flaw::MassAssignment,
    ];

    /// The name used on the command line and in `--list-flaws`.
    pub fn name(self) -> &'static str {
        match self {
            Flaw::StackTrace => "stack-trace",
            Flaw::DebugPage => "debug-page",
            Flaw::SqlError => "sql-error",
            Flaw::SecretInBundle => "secret-in-bundle",
            Flaw::SecretInLazyChunk => "secret-in-lazy-chunk",
            Flaw::SourceMapExposed => "source-map-exposed",
            Flaw::DotenvExposed => "dotenv-exposed",
            Flaw::NoInputValidation => "no-input-validation",
            Flaw::MassAssignment => "mass-assignment",
        }
    }

    /// The key of the checklist item this flaw makes fail.
    pub fn item_key(self) -> &'static str {
        match self {
            Flaw::StackTrace | Flaw::DebugPage | Flaw::SqlError => "error-handling",
            Flaw::SecretInBundle
            | Flaw::SecretInLazyChunk
            | Flaw::SourceMapExposed
            | Flaw::DotenvExposed => "secrets",
            Flaw::NoInputValidation | Flaw::MassAssignment => "input-validation",
        }
    }

    /// One sentence on what the flaw does, for help texts and reports.
    pub fn description(self) -> &'static str {
        match self {
            Flaw::StackTrace => {
                "error responses carry the internal error chain and a backtrace; bad ids and \
                 malformed bodies reach unwrap/? paths that answer 500 with the trace"
            }
            Flaw::DebugPage => {
                "debug mode: unknown routes answer a developer 404 page with the route table and \
                 versions, and /debug/vars exposes runtime internals"
            }
            Flaw::SqlError => {
                "search endpoints concatenate the query text into SQL and return the SQLite error \
                 and the query on failure"
            }
            Flaw::SecretInBundle => {
                "the main JavaScript bundle ships a Stripe live secret key (sk_live_) beside the \
                 publishable key"
            }
            Flaw::SecretInLazyChunk => {
                "a lazily loaded reports chunk, named only in the bundle's webpack chunk map, \
                 ships an OpenAI API key"
            }
            Flaw::SourceMapExposed => {
                "the bundle links its source map, which embeds the original sources including a \
                 config module with a GitLab token"
            }
            Flaw::DotenvExposed => {
                "/.env serves the production environment file (database URL, session secret)"
            }
            Flaw::NoInputValidation => {
                "project, invoice and document bodies are not validated: any content type is \
                 read and a body that does not decode answers 500"
            }
            Flaw::MassAssignment => {
                "project bodies ignore unknown fields and take owner_id from the client"
            }
        }
    }

    /// Look a flaw up by its command-line name.
    pub fn from_name(name: &str) -> Option<Flaw> {
        Flaw::ALL.iter().copied().find(|f| f.name() == name)
    }

    fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

impl fmt::Display for Flaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A flaw name that `FlawSet::parse` does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown flaw `{name}`; valid names: none, all, {}", valid_names())]
pub struct UnknownFlaw {
    /// The name as given.
    pub name: String,
}

fn valid_names() -> String {
    Flaw::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The set of flaws a server runs with. The default is no flaw: the hardened app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlawSet {
    bits: u64,
}

impl FlawSet {
    /// No flaw: the hardened app.
    pub fn none() -> Self {
        FlawSet { bits: 0 }
    }

    /// Every known flaw.
    pub fn all() -> Self {
        Flaw::ALL.iter().copied().collect()
    }

    /// Parse `none`, `all`, or a comma-separated list of flaw names
    /// (whitespace around names and empty items are ignored).
    pub fn parse(list: &str) -> Result<Self, UnknownFlaw> {
        let mut set = FlawSet::none();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "none" => {}
                "all" => set = set.union(FlawSet::all()),
                _ => match Flaw::from_name(name) {
                    Some(flaw) => set.insert(flaw),
                    None => {
                        return Err(UnknownFlaw {
                            name: name.to_string(),
                        });
                    }
                },
            }
        }
        Ok(set)
    }

    /// Whether `f` is switched on.
    pub fn contains(&self, f: Flaw) -> bool {
        self.bits & f.bit() != 0
    }

    /// Switch `f` on.
    pub fn insert(&mut self, f: Flaw) {
        self.bits |= f.bit();
    }

    /// Whether no flaw is switched on.
    pub fn is_empty(&self) -> bool {
        self.bits == 0
    }

    /// The flaws switched on, in `Flaw::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = Flaw> + use<> {
        let set = *self;
        Flaw::ALL.iter().copied().filter(move |f| set.contains(*f))
    }

    fn union(self, other: FlawSet) -> FlawSet {
        FlawSet {
            bits: self.bits | other.bits,
        }
    }
}

impl FromIterator<Flaw> for FlawSet {
    fn from_iter<I: IntoIterator<Item = Flaw>>(iter: I) -> Self {
        let mut set = FlawSet::none();
        for f in iter {
            set.insert(f);
        }
        set
    }
}

impl fmt::Display for FlawSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let names: Vec<&str> = self.iter().map(Flaw::name).collect();
        f.write_str(&names.join(","))
    }
}

impl std::str::FromStr for FlawSet {
    type Err = UnknownFlaw;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FlawSet::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_none_all_and_lists() {
        assert!(FlawSet::parse("none").unwrap().is_empty());
        assert!(FlawSet::parse("").unwrap().is_empty());
        let all = FlawSet::parse("all").unwrap();
        assert!(Flaw::ALL.iter().all(|f| all.contains(*f)));
        let two = FlawSet::parse("sql-error, stack-trace").unwrap();
        assert_eq!(
            two.iter().collect::<Vec<_>>(),
            vec![Flaw::StackTrace, Flaw::SqlError]
        );
        assert!(!two.contains(Flaw::DebugPage));
        assert_eq!(two.to_string(), "stack-trace,sql-error");
    }

    #[test]
    fn unknown_names_are_reported_with_the_valid_ones() {
        let err = FlawSet::parse("stack-trace,nope").unwrap_err();
        assert_eq!(err.name, "nope");
        let msg = err.to_string();
        assert!(msg.contains("`nope`"), "{msg}");
        for f in Flaw::ALL {
            assert!(msg.contains(f.name()), "{msg}");
        }
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for f in Flaw::ALL {
            assert_eq!(Flaw::from_name(f.name()), Some(*f));
            assert!(!f.description().is_empty());
            assert!(!f.item_key().is_empty());
        }
        let mut names: Vec<_> = Flaw::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Flaw::ALL.len());
    }
}
