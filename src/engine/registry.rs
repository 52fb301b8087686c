//! The probe families of this build, each declared once by a [`Descriptor`].
//!
//! A family's name is the first part of every probe id it reports
//! (`tenant.read-replay` comes from `tenant`), so a report, a gate policy and the code
//! agree on what a family is. Rust families live in `src/families/`, grouped by
//! checklist item; the catalog's declarative probes and signatures form families of
//! their own by the same rule (`debug`, `exposed`, `secrets`), or add probe ids to the
//! Rust family of their name (`errors`).

use futures_util::future::BoxFuture;

use crate::catalog::ProbeCatalog;
use crate::engine::Context;
use crate::families;
use crate::model::{Item, ProbeRun, family_of};

/// What a Rust family is, declared once beside its code.
#[derive(Debug)]
pub struct Descriptor {
    /// The first part of every probe id the family reports.
    pub name: &'static str,
    /// The items it scores (an error of the family is recorded against each).
    pub items: &'static [Item],
    /// Every probe id it may report.
    pub ids: &'static [&'static str],
    /// Families that disturb the app (bursts that trip its limiters) run after the
    /// others and after the cleanup.
    pub runs_last: bool,
}

/// A stateful probe family. `run` returns one [`ProbeRun`] per item it scored; an
/// `Err` is recorded as an errored run for each of its items and the scan goes on.
pub trait Family: Send + Sync {
    fn descriptor(&self) -> &'static Descriptor;
    fn run<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, Result<Vec<ProbeRun>, String>>;
}

/// The built-in families, in the order they start (they run concurrently).
pub fn families() -> Vec<Box<dyn Family>> {
    vec![
        Box::new(crate::catalog::run::CatalogRunner),
        Box::new(families::errors::ErrorsFamily),
        Box::new(families::tenant::TenantFamily),
        Box::new(families::filtering::FilteringFamily),
        Box::new(families::roles::RolesFamily),
        Box::new(families::transactions::TransactionsFamily),
        Box::new(families::audit::AuditFamily),
        Box::new(families::headers::HeadersFamily),
        Box::new(families::headers::cors::CorsFamily),
        Box::new(families::auth::cookies::CookiesFamily),
        Box::new(families::auth::AuthFamily),
        Box::new(families::auth::jwt::JwtFamily),
        Box::new(families::ratelimit::RatelimitFamily),
        Box::new(families::secrets::bundle::BundleFamily),
        Box::new(families::input::InputFamily),
        Box::new(families::input::mass::MassFamily),
        Box::new(families::baas::supabase::SupabaseFamily),
        Box::new(families::baas::firebase::FirebaseFamily),
    ]
}

/// A family as reports and policies see it: a Rust family with the catalog's probes
/// of its name, or a family made of catalog probes alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyInfo {
    pub name: String,
    pub items: Vec<Item>,
    pub ids: Vec<String>,
}

/// Every family of this build with `catalog` loaded, by name.
pub fn family_infos(catalog: &ProbeCatalog) -> Vec<FamilyInfo> {
    let mut infos: Vec<FamilyInfo> = families()
        .iter()
        .map(|f| f.descriptor())
        .filter(|d| !d.ids.is_empty() || !d.items.is_empty())
        .map(|d| FamilyInfo {
            name: d.name.to_string(),
            items: d.items.to_vec(),
            ids: d.ids.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    let catalog_ids = catalog
        .probes
        .iter()
        .map(|p| (p.id.as_str(), p.item))
        .chain(
            catalog
                .signatures
                .signatures()
                .iter()
                .map(|s| (s.id.as_str(), s.item)),
        );
    for (id, item) in catalog_ids {
        let name = family_of(id);
        let info = match infos.iter().position(|i| i.name == name) {
            Some(at) => &mut infos[at],
            None => {
                infos.push(FamilyInfo {
                    name: name.to_string(),
                    items: Vec::new(),
                    ids: Vec::new(),
                });
                infos.last_mut().expect("just pushed")
            }
        };
        if !info.items.contains(&item) {
            info.items.push(item);
        }
        if !info.ids.iter().any(|i| i == id) {
            info.ids.push(id.to_string());
        }
    }
    infos.sort_by(|a, b| a.name.cmp(&b.name));
    infos
}

/// The items some probe of this build (families, declarative probes, signatures) scores.
pub fn probed_items(catalog: &ProbeCatalog) -> Vec<Item> {
    let mut items: Vec<Item> = family_infos(catalog)
        .into_iter()
        .flat_map(|f| f.items)
        .collect();
    items.sort();
    items.dedup();
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well_formed(id: &str) -> bool {
        let Some((family, check)) = id.split_once('.') else {
            return false;
        };
        !family.is_empty()
            && family.bytes().all(|b| b.is_ascii_lowercase())
            && !check.is_empty()
            && check
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !check.starts_with('-')
            && !check.ends_with('-')
    }

    #[test]
    fn every_probe_id_is_well_formed_and_belongs_to_its_family_alone() {
        let catalog = ProbeCatalog::builtin().expect("built-in catalog loads");
        let infos = family_infos(&catalog);
        let mut names: Vec<&str> = infos.iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), infos.len(), "two families share a name");
        let mut seen = std::collections::BTreeSet::new();
        for info in &infos {
            assert!(!info.items.is_empty(), "{} scores no item", info.name);
            for id in &info.ids {
                assert!(well_formed(id), "{id} is not a dotted family.check id");
                assert_eq!(family_of(id), info.name, "{id} is not {}'s", info.name);
                assert!(seen.insert(id.clone()), "{id} is declared twice");
            }
        }
    }

    #[test]
    fn every_rust_family_declares_its_items_and_a_unique_name() {
        let mut names = std::collections::BTreeSet::new();
        for family in families() {
            let d = family.descriptor();
            assert!(names.insert(d.name), "{} is registered twice", d.name);
            assert!(d.name.bytes().all(|b| b.is_ascii_lowercase()));
        }
        assert!(names.len() >= 15);
    }
}
