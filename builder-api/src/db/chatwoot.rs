//! The Chatwoot adapter's tables: see the migration `chatwoot`.

pub mod link {
    use sea_orm::entity::prelude::*;

    /// A workspace's Chatwoot API inbox; `api_token` and `webhook_secret` are sealed.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "chatwoot_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub workspace_id: String,
        pub base_url: String,
        pub account_id: i64,
        pub inbox_id: i64,
        pub api_token: String,
        pub webhook_secret: String,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod conversation {
    use sea_orm::entity::prelude::*;

    /// The Chatwoot conversation that mirrors a handoff ticket.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "chatwoot_conversations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub ticket_id: String,
        pub workspace_id: String,
        pub contact_id: String,
        pub chatwoot_contact_id: Option<i64>,
        pub source_id: Option<String>,
        pub conversation_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod outbox {
    use sea_orm::entity::prelude::*;

    /// A call to Chatwoot waiting to be made.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "chatwoot_outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub workspace_id: String,
        pub contact_id: String,
        pub kind: String,
        pub ticket_id: Option<String>,
        pub payload: String,
        pub attempts: i32,
        pub next_at: i64,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
