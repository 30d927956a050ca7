//! Finds the containers of a compose project the way `docker compose ps` does: by the labels
//! compose puts on every container it creates. One-off containers (`docker compose run`) are
//! not part of the deployed project and are left out.

use std::collections::HashMap;
use std::net::IpAddr;

use bollard::models::ContainerInspectResponse;
use bollard::query_parameters::ListContainersOptionsBuilder;
use futures_util::future::join_all;

use super::LiveError;
use super::engine::{Engine, describe, is_not_found};

pub const LABEL_PROJECT: &str = "com.docker.compose.project";
pub const LABEL_SERVICE: &str = "com.docker.compose.service";
pub const LABEL_ONEOFF: &str = "com.docker.compose.oneoff";
pub const LABEL_NUMBER: &str = "com.docker.compose.container-number";

/// One container of the project, inspected.
#[derive(Clone, Debug)]
pub struct Found {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    pub service: String,
    pub number: Option<u32>,
    pub inspect: ContainerInspectResponse,
}

impl Found {
    /// The addresses this container has on its networks.
    pub fn addresses(&self) -> Vec<IpAddr> {
        let mut out = Vec::new();
        if let Some(nets) = self
            .inspect
            .network_settings
            .as_ref()
            .and_then(|n| n.networks.as_ref())
        {
            for ep in nets.values() {
                for ip in [&ep.ip_address, &ep.global_ipv6_address]
                    .into_iter()
                    .flatten()
                {
                    if let Ok(ip) = ip.parse() {
                        out.push(ip);
                    }
                }
            }
        }
        out
    }

    pub fn label(&self) -> String {
        format!("{}/{}", self.service, self.name)
    }
}

/// Every non-one-off container labelled with `project`, ordered by service and replica number.
pub async fn discover(engine: &Engine, project: &str) -> Result<Vec<Found>, LiveError> {
    let filters: HashMap<String, Vec<String>> = HashMap::from([(
        "label".to_string(),
        vec![format!("{LABEL_PROJECT}={project}")],
    )]);
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = engine
        .docker
        .list_containers(Some(opts))
        .await
        .map_err(|e| LiveError::Engine {
            message: format!(
                "listing the containers of project `{project}` failed: {}",
                describe(&e)
            ),
        })?;
    let candidates: Vec<(String, String, Option<u32>)> = list
        .into_iter()
        .filter_map(|c| {
            let labels = c.labels.unwrap_or_default();
            if labels
                .get(LABEL_ONEOFF)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            {
                return None;
            }
            let service = labels.get(LABEL_SERVICE)?.clone();
            let number = labels.get(LABEL_NUMBER).and_then(|n| n.parse().ok());
            Some((c.id?, service, number))
        })
        .collect();
    let inspected = join_all(
        candidates
            .into_iter()
            .map(|(id, service, number)| async move {
                match engine.docker.inspect_container(&id, None).await {
                    Ok(inspect) => Ok(Some(Found {
                        name: inspect
                            .name
                            .as_deref()
                            .unwrap_or(&id)
                            .trim_start_matches('/')
                            .to_string(),
                        id,
                        service,
                        number,
                        inspect,
                    })),
                    // Removed between the listing and the inspect: it is simply not there.
                    Err(e) if is_not_found(&e) => Ok(None),
                    Err(e) => Err(LiveError::Engine {
                        message: format!("inspecting container {id} failed: {}", describe(&e)),
                    }),
                }
            }),
    )
    .await;
    let mut found = Vec::new();
    for r in inspected {
        if let Some(f) = r? {
            found.push(f);
        }
    }
    found.sort_by(|a, b| {
        (a.service.as_str(), a.number, a.name.as_str()).cmp(&(
            b.service.as_str(),
            b.number,
            b.name.as_str(),
        ))
    });
    Ok(found)
}

/// Which container of the project owns each address, for naming connection peers.
pub fn address_owners(found: &[Found]) -> HashMap<IpAddr, String> {
    let mut map = HashMap::new();
    for f in found {
        for ip in f.addresses() {
            map.insert(ip, f.label());
        }
    }
    map
}
