//! What every probe family may use during a scan.

use std::sync::Arc;

use crate::auth::Identities;
use crate::catalog::ProbeCatalog;
use crate::config::ScanConfig;
use crate::discover::Inventory;
use crate::engine::canaries::OwnedObjects;
use crate::http::HttpLayer;

/// The one HTTP layer, the logged-in identities, the inventory discovery built, the
/// config, the catalog, and the objects the scanner created.
#[derive(Clone)]
pub struct Context {
    pub http: HttpLayer,
    pub identities: Arc<Identities>,
    pub inventory: Arc<Inventory>,
    /// Backends-as-a-service the app's client talks to (Supabase, Firebase).
    pub backends: Arc<crate::families::baas::Backends>,
    pub config: Arc<ScanConfig>,
    pub catalog: Arc<ProbeCatalog>,
    /// The objects the scanner created; the only ones a probe may change or delete.
    pub owned: Arc<OwnedObjects>,
}

impl Context {
    /// Sends `req` as `identity`, or hands back discovery's own answer to the very same
    /// request (see [`crate::discover::Answers`]) without sending it again. For checks
    /// that judge how the app answers a page, not what changed since: a family that
    /// looks for the effect of a write, or for a second, fresh answer, sends.
    pub async fn answer(
        &self,
        identity: &crate::auth::Identity,
        req: crate::http::Request,
    ) -> Result<crate::http::Response, crate::http::HttpError> {
        if let Some(resp) = self.inventory.answers.answer(identity.id, &req) {
            return Ok(resp.clone());
        }
        identity.send(&self.http, req).await
    }
}
