//! `ward connect`: proves the credentials work and shows, for each of the 14 permissions Ward
//! asks for, whether the tenant granted it and what stops working without it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
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
                "{missing} permission(s) missing: grant them to the app in the Entra admin center \
                 (App registrations → API permissions → Grant admin consent), then run `ward connect` again."
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
    let graph = client.token_roles(Resource::Graph).await.context(
        "cannot get a Microsoft Graph token (check the tenant id, client id and credential)",
    )?;
    let manage = client
        .token_roles(Resource::Management)
        .await
        .context("cannot get an Office 365 Management API token")?;
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
