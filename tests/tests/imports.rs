//! Contact imports and exports over real HTTP, on SQLite and PostgreSQL: a file of numbers
//! written every which way, with bad rows, a repeat and an erased person's number, is
//! dry-run with exact counts and reasons, then imported into exactly the contacts the dry
//! run promised, with no Marketing consent (the file says nothing of it); a file that does
//! state consent needs its basis, which the consent ledger keeps; an export imports back
//! as the same contacts.

use std::time::Duration;

use serde_json::{Value, json};
use spool_tests::{Client, Database, Response, Server, on_both_databases};

const CONTACTS: &str = "/api/v1/workspaces/default/contacts";
const IMPORTS: &str = "/api/v1/workspaces/default/contacts/imports";

const FIRST_FILE: &str = "\
Phone,Name,Country,Tags,City
+351 912 345 678,Ana,,vip;lead,Lisboa
(11) 91234-5678,Bruno,BR,,São Paulo
07911 123456,Carla,GB,newsletter,London
912 345 679,Dora,,,Porto
3.51912E+11,Eva,,,
12345,Fabio,PT,,

00351 912 345 678,Ana again,,,
+351 913 000 111,Dan,,,
+49 151 12345678,Gil,,,
";

async fn upload(client: &Client, name: &str, file: &str) -> Response {
    client
        .send(
            client
                .request(reqwest::Method::POST, &format!("{IMPORTS}?name={name}"))
                .header("Content-Type", "text/csv")
                .body(file.to_owned()),
        )
        .await
}

async fn until_done(client: &Client, id: &str) -> Response {
    let mut last = client.get(&format!("{IMPORTS}/{id}")).await;
    for _ in 0..600 {
        if last.body["state"] != "importing" {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        last = client.get(&format!("{IMPORTS}/{id}")).await;
    }
    panic!("the import never finished: {}", last.text);
}

/// The numbers (digits) of the workspace's contacts, once `expected` many are there.
async fn directory(client: &Client, expected: usize) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..400 {
        let page = client
            .get(&format!("{CONTACTS}?sort=phone&limit=500"))
            .await;
        last = page.body["contacts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if last.len() == expected {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the directory has {} contacts, not {expected}: {last:?}",
        last.len()
    );
}

fn phones(contacts: &[Value]) -> Vec<&str> {
    contacts
        .iter()
        .map(|contact| contact["phone"].as_str().unwrap_or_default())
        .collect()
}

async fn a_dry_run_says_exactly_what_the_import_then_does(db: Database) {
    let server = Server::start(db).await;
    let admin = server.admin().await;
    // Gil is a contact already; Dan was one, and was erased.
    for phone in ["+4915112345678", "+351913000111"] {
        let added = admin.post(CONTACTS, &json!({ "phone": phone })).await;
        assert_eq!(added.status, 202, "{}", added.text);
    }
    directory(&admin, 2).await;
    let erased = admin
        .send(admin.request(
            reqwest::Method::DELETE,
            &format!("{CONTACTS}/%2B351913000111"),
        ))
        .await;
    assert_eq!(erased.status, 204, "{}", erased.text);

    let uploaded = upload(&admin, "shop.csv", FIRST_FILE).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text);
    assert_eq!(
        uploaded.body["headers"],
        json!(["Phone", "Name", "Country", "Tags", "City"])
    );
    assert_eq!(
        uploaded.body["suggested"],
        json!([
            { "kind": "phone" }, { "kind": "name" }, { "kind": "country" }, { "kind": "tags" },
            { "kind": "property", "name": "city" }
        ])
    );
    let id = uploaded.body["id"].as_str().expect("an id").to_owned();
    let plan = json!({ "default_country": "PT" });
    let dry = admin.post(&format!("{IMPORTS}/{id}/dry-run"), &plan).await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    let report = &dry.body;
    for (count, expected) in [
        ("rows", 9),
        ("accepted", 5),
        ("new_contacts", 4),
        ("existing_contacts", 1),
        ("rejected", 2),
        ("duplicates", 1),
        ("suppressed", 1),
        ("consent_given", 0),
        ("consent_not_stated", 5),
    ] {
        assert_eq!(report[count], expected, "{count}: {}", dry.text);
    }
    let rejections = report["rejections"].as_array().expect("rejections");
    assert_eq!(rejections[0]["line"], 6);
    assert_eq!(rejections[0]["column"], "Phone");
    assert_eq!(rejections[0]["value"], "3.51912E+11");
    assert_eq!(rejections[1]["line"], 7);
    assert_eq!(rejections[1]["value"], "12345");
    assert_eq!(
        directory(&admin, 1).await.len(),
        1,
        "a dry run changes nothing"
    );

    let started = admin.post(&format!("{IMPORTS}/{id}/start"), &plan).await;
    assert_eq!(started.status, 202, "{}", started.text);
    let again = admin.post(&format!("{IMPORTS}/{id}/start"), &plan).await;
    assert_eq!(again.status, 409, "started once");
    let done = until_done(&admin, &id).await;
    assert_eq!(done.body["state"], "done", "{}", done.text);
    assert_eq!(
        &done.body["report"], report,
        "the import did what its dry run said"
    );
    let contacts = directory(&admin, 5).await;
    assert_eq!(
        phones(&contacts),
        [
            "+351912345678",
            "+351912345679",
            "+447911123456",
            "+4915112345678",
            "+5511912345678"
        ]
    );
    let ana = &contacts[0];
    assert_eq!(ana["name"], "Ana");
    assert_eq!(ana["tags"], json!(["lead", "vip"]));
    assert_eq!(ana["properties"], json!({ "city": "Lisboa" }));
    assert_eq!(contacts[4]["properties"], json!({ "city": "São Paulo" }));
    assert!(
        contacts
            .iter()
            .all(|contact| contact["marketing_opt_in"] == false),
        "no consent column: nobody consented"
    );

    // A file that states consent needs its basis, which each contact's ledger keeps.
    let consent = upload(
        &admin,
        "optins.csv",
        "telefone;nome;marketing\n+351 912 345 678;Ana;sim\n+55 11 91234-5678;Bruno;não\n",
    )
    .await;
    assert_eq!(consent.status, 201, "{}", consent.text);
    let id = consent.body["id"].as_str().expect("an id").to_owned();
    let refused = admin
        .post(&format!("{IMPORTS}/{id}/start"), &json!({}))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.body["error"]["code"], "invalid_import");
    let plan = json!({ "consent_basis": "ticked the WhatsApp box at checkout" });
    let started = admin.post(&format!("{IMPORTS}/{id}/start"), &plan).await;
    assert_eq!(started.status, 202, "{}", started.text);
    let done = until_done(&admin, &id).await;
    assert_eq!(done.body["report"]["consent_given"], 1, "{}", done.text);
    assert_eq!(done.body["report"]["consent_refused"], 1);
    let mut ledger = admin
        .get(&format!("{CONTACTS}/%2B351912345678/consent"))
        .await;
    for _ in 0..400 {
        if ledger.body["entries"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        ledger = admin
            .get(&format!("{CONTACTS}/%2B351912345678/consent"))
            .await;
    }
    let entry = &ledger.body["entries"][0];
    assert_eq!(entry["opted_in"], true, "{}", ledger.text);
    assert_eq!(entry["source"], "import");
    assert_eq!(entry["basis"], "ticked the WhatsApp box at checkout");
    assert_eq!(entry["actor"], "user:admin@spool.test");

    // An export imports back as the same five contacts.
    let export = admin.get(&format!("{CONTACTS}/export")).await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert!(export.text.contains("São Paulo"), "{}", export.text);
    let back = upload(&admin, "export.csv", &export.text).await;
    assert_eq!(back.status, 201, "{}", back.text);
    let id = back.body["id"].as_str().expect("an id").to_owned();
    let dry = admin
        .post(
            &format!("{IMPORTS}/{id}/dry-run"),
            &json!({ "consent_basis": "exported from Spool" }),
        )
        .await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(dry.body["accepted"], 5, "{}", dry.text);
    assert_eq!(dry.body["existing_contacts"], 5);
    assert_eq!(dry.body["rejected"], 0);
    assert_eq!(
        dry.body["consent_given"], 1,
        "Ana's consent travels with her"
    );
}

on_both_databases!(a_dry_run_says_exactly_what_the_import_then_does);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_spool_cannot_read_is_refused_in_words() {
    let server = Server::start(Database::Sqlite).await;
    let admin = server.admin().await;
    let empty = upload(&admin, "empty.csv", "").await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.body["error"]["code"], "invalid_import");
    let uploaded = upload(&admin, "no-phone.csv", "Name,City\nAna,Lisboa\n").await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text);
    let id = uploaded.body["id"].as_str().expect("an id");
    let dry = admin
        .post(&format!("{IMPORTS}/{id}/dry-run"), &json!({}))
        .await;
    assert_eq!(dry.status, 400, "{}", dry.text);
    assert_eq!(
        dry.body["error"]["details"]["problems"][0]["code"], "no_phone",
        "{}",
        dry.text
    );
}
