//! The simulations of one process, by id, held in its [`AppState`](crate::state::AppState).
//!
//! Simulations live in memory: they touch no contact, store or channel. At most
//! [`MAX_SIMULATIONS`] are kept (the least recently used goes first) and one unused for
//! [`IDLE_EXPIRY`] is dropped. Behind a load balancer, send a simulation's requests to the
//! process that created it (sticky sessions).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::ApiError;
use crate::simulator::Simulation;

/// Simulations one process keeps at most.
pub const MAX_SIMULATIONS: usize = 1_000;
/// A simulation nobody used for this long is dropped.
pub const IDLE_EXPIRY: Duration = Duration::from_secs(3_600);

/// One simulation as the process holds it.
#[derive(Debug)]
pub struct Hosted {
    pub id: String,
    /// `"draft"`, or the published version's number.
    pub source: Value,
    pub created_at: String,
    pub simulation: Simulation,
}

#[derive(Debug)]
struct Slot {
    workspace: String,
    last_used: Instant,
    hosted: Arc<tokio::sync::Mutex<Hosted>>,
}

/// The simulations of this process, shared by every HTTP worker thread.
#[derive(Debug, Default)]
pub struct Simulations {
    slots: Mutex<HashMap<String, Slot>>,
}

impl Simulations {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn insert(&self, workspace: &str, hosted: Hosted) -> Arc<tokio::sync::Mutex<Hosted>> {
        let id = hosted.id.clone();
        let hosted = Arc::new(tokio::sync::Mutex::new(hosted));
        let mut slots = self.lock();
        let now = Instant::now();
        slots.retain(|_, slot| now.duration_since(slot.last_used) < IDLE_EXPIRY);
        while slots.len() >= MAX_SIMULATIONS {
            let oldest = slots
                .iter()
                .min_by_key(|(_, slot)| slot.last_used)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(oldest) => slots.remove(&oldest),
                None => break,
            };
        }
        slots.insert(
            id,
            Slot {
                workspace: workspace.to_owned(),
                last_used: now,
                hosted: hosted.clone(),
            },
        );
        hosted
    }

    /// The workspace's simulation `id`, marked as used; other workspaces' are not found.
    pub fn get(
        &self,
        workspace: &str,
        id: &str,
    ) -> Result<Arc<tokio::sync::Mutex<Hosted>>, ApiError> {
        let mut slots = self.lock();
        let now = Instant::now();
        slots.retain(|_, slot| now.duration_since(slot.last_used) < IDLE_EXPIRY);
        match slots.get_mut(id) {
            Some(slot) if slot.workspace == workspace => {
                slot.last_used = now;
                Ok(slot.hosted.clone())
            }
            _ => Err(not_found(id)),
        }
    }

    pub fn remove(&self, workspace: &str, id: &str) -> Result<(), ApiError> {
        let mut slots = self.lock();
        match slots.get(id) {
            Some(slot) if slot.workspace == workspace => {
                slots.remove(id);
                Ok(())
            }
            _ => Err(not_found(id)),
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "There is no simulation {id} (simulations unused for an hour are dropped)."
    ))
}
