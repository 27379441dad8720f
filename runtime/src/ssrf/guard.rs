//! The guard applied to real requests: checking a URL before a call (for a clear error), and
//! a client whose every connection, redirects included, goes to checked addresses only.

use std::net::{IpAddr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{Refused, classify};

/// At most this many redirects are followed (reqwest's default).
const MAX_REDIRECTS: usize = 10;

/// The host of `url` as an address, when it is written as one (`http://10.0.0.1/`,
/// `http://[::1]/`); `None` for a name.
fn literal_address(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

fn refuse_any(host: &str, addresses: &[IpAddr]) -> Result<(), Refused> {
    match addresses
        .iter()
        .find_map(|address| classify(*address).map(|kind| (*address, kind)))
    {
        Some((address, kind)) => Err(Refused::Private {
            host: host.to_owned(),
            address,
            kind,
        }),
        None => Ok(()),
    }
}

/// Refuses `url` unless it is http(s) and every address its host resolves to is public.
/// A name is resolved here; [`guard_client`]'s resolver checks again when connecting.
pub async fn check_url(url: &str) -> Result<(), Refused> {
    let not_http = || Refused::NotHttp {
        url: url.to_owned(),
    };
    let parsed = Url::parse(url).map_err(|_| not_http())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(not_http());
    }
    let host = parsed.host_str().ok_or_else(not_http)?.to_owned();
    if let Some(address) = literal_address(&parsed) {
        return refuse_any(&host, &[address]);
    }
    let port = parsed.port_or_known_default().unwrap_or(80);
    let addresses = resolve(&host, port).await?;
    refuse_any(&host, &addresses)
}

async fn resolve(host: &str, port: u16) -> Result<Vec<IpAddr>, Refused> {
    let unresolvable = |reason: String| Refused::Unresolvable {
        host: host.to_owned(),
        reason,
    };
    let addresses: Vec<IpAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|err| unresolvable(err.to_string()))?
        .map(|address| address.ip())
        .collect();
    if addresses.is_empty() {
        return Err(unresolvable("no address".to_owned()));
    }
    Ok(addresses)
}

/// A DNS resolver that answers only when every address of a name is public, so the addresses
/// a connection is made to are the ones checked (no window for DNS rebinding).
#[derive(Clone, Copy, Debug, Default)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let checked = async {
                let addresses = resolve(&host, 0).await?;
                refuse_any(&host, &addresses)?;
                Ok::<_, Refused>(addresses)
            };
            let addresses =
                checked
                    .await
                    .map_err(|refused| -> Box<dyn std::error::Error + Send + Sync> {
                        Box::new(refused)
                    })?;
            let addrs: Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|address| SocketAddr::new(address, 0)),
            );
            Ok(addrs)
        })
    }
}

/// Makes `builder`'s client reach public addresses only: names resolve through
/// [`PublicOnly`], a redirect to an address literal that is not public is refused (names are
/// checked by the resolver), and no proxy is used (a proxy would resolve names itself, out
/// of the guard's sight).
pub fn guard_client(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    builder
        .dns_resolver(PublicOnly)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error("too many redirects");
            }
            let refused = literal_address(attempt.url()).and_then(|address| {
                let host = attempt.url().host_str().unwrap_or_default().to_owned();
                refuse_any(&host, &[address]).err()
            });
            match refused {
                Some(refused) => attempt.error(refused),
                None => attempt.follow(),
            }
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn address_literals_are_checked_without_resolving() {
        assert!(check_url("https://93.184.216.34/hook").await.is_ok());
        for url in [
            "http://127.0.0.1:8080/x",
            "http://[::1]/x",
            "http://[::ffff:169.254.169.254]/latest/meta-data",
            "http://169.254.169.254/latest/meta-data",
            // WHATWG URL parsing reads these as 127.0.0.1.
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            assert!(
                matches!(check_url(url).await, Err(Refused::Private { .. })),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn a_name_is_refused_when_it_resolves_to_a_private_address() {
        let refused = check_url("http://localhost:9/").await;
        assert!(
            matches!(
                refused,
                Err(Refused::Private {
                    kind: super::super::NonPublic::Loopback,
                    ..
                })
            ),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn only_http_urls_with_a_host_are_called() {
        for url in ["ftp://example.com/", "file:///etc/passwd", "not a url"] {
            assert!(
                matches!(check_url(url).await, Err(Refused::NotHttp { .. })),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn the_guarded_client_does_not_connect_to_a_private_address() {
        super::super::super::http::install_crypto_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let client = guard_client(reqwest::Client::builder())
            .build()
            .expect("a client");
        let err = client
            .get(format!("http://localhost:{port}/"))
            .send()
            .await
            .expect_err("refused");
        let mut source: Option<&dyn std::error::Error> = Some(&err);
        let mut refused = false;
        while let Some(inner) = source {
            refused |= inner.downcast_ref::<Refused>().is_some();
            source = inner.source();
        }
        assert!(refused, "{err:?}");
    }
}
