//! The contact directory: every contact of a workspace, searchable, in the database.
//!
//! **What is the source of truth for what.** A contact's state in the runtime's store
//! (Redis, or the embedded store) is the truth for everything the runtime decides on: its
//! profile, tags, properties, consent, the service window, its runs. The directory is a
//! copy for searching and counting (lists, filters, segments, broadcasts' audiences),
//! written by the [`Directory`] observer from the runtime's `contact.changed` notices in the
//! batch that made the change, before the batch is committed: once a change is committed in
//! the store, the directory has it. A batch that fails after the observer wrote is applied
//! again and writes the same rows. Changes to contacts always go through the runtime (its
//! event log), never into the directory directly.
//!
//! The steps of journeys a contact reached are kept here only (`contact_reached`): the
//! store keeps a few finished runs, not every step.

mod audience;
mod listing;
mod observer;

pub use audience::{Audience, Condition, PropertyTest};
pub use listing::{Cursor, DirectoryEntry, Page, Sort, count, everyone, members, page, sample};
pub use observer::Directory;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::db::{contact_directory, contact_property, contact_reached, contact_tag};

/// Forgets a contact (erasure): its row, tags, properties and the steps it reached.
pub async fn forget_contact(db: &impl ConnectionTrait, contact_id: &str) -> Result<(), DbErr> {
    contact_tag::Entity::delete_many()
        .filter(contact_tag::Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    contact_property::Entity::delete_many()
        .filter(contact_property::Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    contact_reached::Entity::delete_many()
        .filter(contact_reached::Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    contact_directory::Entity::delete_many()
        .filter(contact_directory::Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    Ok(())
}
