//! `ward connect`: proves the credentials work and shows, for each of the 14 permissions Ward
//! asks for, whether the tenant granted it and what stops working without it.

use crate::words::plural;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;
use ward_graph::{PERMISSIONS, PermissionType, Resource};

use crate::config::Config;

#[derive(clap::Args)]
pub struct ConnectArgs {
    /// Configuration file (default: ./ward.toml, or $WARD_CONFIG).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// `table` (default) or `json`.
    #[arg(long, default_value = "table")]
    pub format: String,
}

#[derive(Serialize)]
pub struct PermissionStatus {
    pub permission: &'static str,
    pub display: &'static str,
    /// `granted`, `missing`, or `delegated` (not part of an app-only token).
    pub status: &'static str,
    pub without_it: &'static str,
}

pub fn run(args: ConnectArgs) -> Result<ExitCode> {
    let config = Config::load(args.config.as_deref(), None)?;
    let tenant = config.tenant()?;
    eprintln!(
        "signing in to {} as application {} for tenant {}…",
        tenant.login, tenant.client_id, tenant.tenant_id
    );
    let rt = tokio::runtime::Runtime::new()?;
    let statuses = rt.block_on(async {
        let client = crate::tenant::client(&tenant, &config.file.sync)?;
        check(&client).await
    })?;
    let missing = statuses.iter().filter(|s| s.status == "missing").count();
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&statuses)?);
    } else {
        println!(
            "Connected to tenant {} as application {}.\n",
            tenant.tenant_id, tenant.client_id
        );
        for s in &statuses {
            let mark = match s.status {
                "granted" => "granted  ",
                "missing" => "MISSING  ",
                _ => "delegated",
            };
            println!("  {mark}  {:<40} {}", s.permission, s.display);
            if s.status == "missing" {
                println!("             without it: {}", s.without_it);
            }
        }
        println!();
        if missing == 0 {
            println!("All application permissions are granted.");
        } else {
            println!(
                "{} missing: grant them to the app in the Entra admin center \
                 (App registrations → API permissions → Grant admin consent), then run `ward connect` again.",
                plural(missing as u64, "permission", "permissions")
            );
        }
    }
    Ok(if missing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Gets a token for each resource and compares its `roles` claim with the permission table.
pub async fn check(client: &ward_graph::GraphClient) -> Result<Vec<PermissionStatus>> {
    let graph = client
        .token_roles(Resource::Graph)
        .await
        .map_err(|e| token_error(e, "a Microsoft Graph"))?;
    let manage = client
        .token_roles(Resource::Management)
        .await
        .map_err(|e| token_error(e, "an Office 365 Management API"))?;
    Ok(PERMISSIONS
        .iter()
        .map(|p| {
            let roles = match p.resource {
                Resource::Graph => &graph,
                Resource::Management => &manage,
            };
            let status = match p.kind {
                PermissionType::Delegated => "delegated",
                PermissionType::Application
                    if roles.iter().any(|r| r.eq_ignore_ascii_case(p.identifier)) =>
                {
                    "granted"
                }
                PermissionType::Application => "missing",
            };
            PermissionStatus {
                permission: p.identifier,
                display: p.display,
                status,
                without_it: p.without_it,
            }
        })
        .collect())
}

/// Blames the tenant id, client id and credential only when the identity platform refused
/// them; a host that cannot be reached is said as such (its error names the cause).
fn token_error(e: ward_graph::GraphError, which: &str) -> anyhow::Error {
    let refused = matches!(e, ward_graph::GraphError::Auth { .. });
    let e = anyhow::Error::new(e);
    if refused {
        e.context(format!(
            "cannot get {which} token (check the tenant id, client id and credential)"
        ))
    } else {
        e.context(format!("cannot get {which} token"))
    }
}

#[cfg(test)]
mod tests {
    use ward_graph::{ClientConfig, Credential, Endpoints, GraphClient};
    use ward_sim::testkit::SeedBuilder;
    use ward_sim::{RegisteredApp, SimConfig, Simulator};

    /// A tenant that granted all but two permissions: exactly those two are reported missing.
    #[tokio::test]
    async fn names_exactly_the_missing_permissions() {
        let mut app = RegisteredApp::ward_default();
        app.roles
            .retain(|r| r != "MailboxSettings.ReadWrite" && r != "ActivityFeed.Read");
        let sim = Simulator::start(
            SimConfig {
                apps: vec![app.clone()],
                ..SimConfig::fast_test()
            },
            SeedBuilder::new(2, 1).build(),
        )
        .await
        .expect("sim");
        let cfg = ClientConfig::new(
            sim.tenant_id(),
            app.client_id,
            Credential::secret(app.secret.unwrap_or_default()),
        )
        .with_endpoints(Endpoints::single(sim.base_url()));
        let client = GraphClient::new(cfg).expect("client");
        let statuses = super::check(&client).await.expect("check");
        let missing: Vec<&str> = statuses
            .iter()
            .filter(|s| s.status == "missing")
            .map(|s| s.permission)
            .collect();
        assert_eq!(
            missing,
            vec!["MailboxSettings.ReadWrite", "ActivityFeed.Read"]
        );
        assert_eq!(statuses.len(), 14);
        assert_eq!(
            statuses.iter().filter(|s| s.status == "granted").count(),
            11
        );
        assert!(
            statuses
                .iter()
                .any(|s| s.permission == "User.Read" && s.status == "delegated")
        );
        sim.shutdown().await;
    }
}
