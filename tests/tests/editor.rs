//! The editor served by `spool serve`: `/` and every page a browser opens outside the API
//! get the app (embedded in the binary); its hashed files are cached for good; the API,
//! webhooks and probes keep answering in JSON.

use spool_tests::{Client, Database, Server};

async fn page(client: &Client, path: &str) -> spool_tests::Response {
    client
        .send(
            client
                .request(reqwest::Method::GET, path)
                .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
        )
        .await
}

/// The `/assets/…` files `index.html` loads.
fn assets_of(index: &str) -> Vec<String> {
    index
        .split('"')
        .filter(|part| part.starts_with("/assets/"))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_is_served_at_the_root_and_at_its_own_pages() {
    let server = Server::start(Database::Sqlite).await;
    let browser = server.anonymous();

    let root = browser.get("/").await;
    assert_eq!(root.status, 200);
    assert_eq!(
        root.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(root.header("cache-control"), Some("no-cache"));

    // A page of the editor opened directly (a bookmark, a reload) is the editor too.
    let deep = page(&browser, "/flows/abandoned-cart").await;
    assert_eq!((deep.status, &deep.text), (200, &root.text));

    let assets = assets_of(&root.text);
    if root.text.contains("The editor was not built") {
        // A binary compiled before `npm run build`: it says how to get the editor.
        assert!(root.text.contains("make run"), "{}", root.text);
        assert!(assets.is_empty());
    } else {
        assert!(
            root.text.contains("<div id=\"root\">"),
            "not the editor: {}",
            root.text
        );
        assert!(
            assets.iter().any(|asset| asset.ends_with(".js")),
            "{assets:?}"
        );
        for asset in &assets {
            let file = browser.get(asset).await;
            assert_eq!(file.status, 200, "{asset}");
            assert_eq!(
                file.header("cache-control"),
                Some("public, max-age=31536000, immutable"),
                "{asset}"
            );
            let expected = if asset.ends_with(".js") {
                "text/javascript; charset=utf-8"
            } else {
                "text/css; charset=utf-8"
            };
            assert_eq!(file.header("content-type"), Some(expected), "{asset}");
        }
    }

    // Programs asking for what does not exist still get the API's JSON 404s, and the API,
    // webhooks and probes are never answered by the editor.
    for (path, client_page) in [
        ("/no/such/thing", false),
        ("/assets/no-such-file.js", false),
        ("/api/v1/no/such/thing", true),
        ("/hooks/nothing", true),
    ] {
        let response = if client_page {
            page(&browser, path).await
        } else {
            browser.get(path).await
        };
        assert_eq!(response.status, 404, "{path}: {}", response.text);
        assert_eq!(response.error_code(), "not_found", "{path}");
    }
    let session = page(&browser, "/api/v1/session").await;
    assert_eq!(session.status, 401);
    assert_eq!(page(&browser, "/healthz").await.status, 200);
    let post = browser
        .send(browser.request(reqwest::Method::POST, "/flows/abandoned-cart"))
        .await;
    assert_eq!(post.status, 404);
    assert_eq!(post.error_code(), "not_found");
    assert!(server.stop());
}
