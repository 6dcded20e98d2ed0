//! `ward sim`: runs the simulated Microsoft 365 tenant on loopback and writes a `ward.toml`
//! that points Ward at it with certificate credentials, like a real deployment.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use secrecy::ExposeSecret;
use ward_scenario::ScenarioConfig;
use ward_sim::{RegisteredApp, SimConfig, SimHandle, Simulator};

#[derive(clap::Args, Clone)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Users (mailboxes) in the simulated company (10 to 100000).
    #[arg(long, default_value_t = 50, value_parser = users_arg)]
    pub users: usize,
    /// Scenario seed: the same seed gives the same company, mail and attacks.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Days of normal history before now.
    #[arg(long, default_value_t = 7)]
    pub history_days: u32,
    /// Mean messages received per mailbox per day of history.
    #[arg(long, default_value_t = 6.0)]
    pub messages_per_day: f64,
    /// Do not inject the attack scenarios.
    #[arg(long)]
    pub no_attacks: bool,
    /// Do not play the live timeline (attacks and background traffic): the tenant stays as seeded.
    #[arg(long)]
    pub no_live: bool,
    /// Live mode: background mail deliveries, sign-ins and internal mail per minute, after the
    /// scenario's own timeline (0 = none).
    #[arg(long, default_value_t = 20)]
    pub rate: u32,
    /// How long live mode keeps producing traffic, in minutes.
    #[arg(long, default_value_t = 60)]
    pub live_minutes: u32,
    /// Live timeline speed (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Seconds before an audited action reaches the unified audit stream (Microsoft: 60–90 min).
    #[arg(long, default_value_t = 3600.0)]
    pub audit_lag: f64,
    /// Write ward.toml, the certificate and its private key into this folder.
    #[arg(long)]
    pub write_config: Option<PathBuf>,
    /// Write the scenario ground truth (JSON) to this file.
    #[arg(long)]
    pub ground_truth: Option<PathBuf>,
    /// Probability per request of an injected 429.
    #[arg(long, default_value_t = 0.0)]
    pub fault_429: f64,
    /// Probability per request of an injected 503 or 504.
    #[arg(long, default_value_t = 0.0)]
    pub fault_5xx: f64,
    /// Probability per request of a dropped connection.
    #[arg(long, default_value_t = 0.0)]
    pub fault_drop: f64,
    /// Probability per request of a truncated JSON body.
    #[arg(long, default_value_t = 0.0)]
    pub fault_truncate: f64,
    /// Probability per delta request of an expired delta token (410).
    #[arg(long, default_value_t = 0.0)]
    pub fault_delta_expiry: f64,
    /// Accept change-notification subscriptions whose `notificationUrl` is plain HTTP on
    /// loopback (`http://127.0.0.1`, `http://[::1]`, `http://localhost`), as `ward watch` with
    /// `[notifications] listen = "127.0.0.1:…"` and no `public_url` asks for. Microsoft — and
    /// the simulator without this flag — refuses anything but HTTPS (400 `InvalidRequest`).
    #[arg(long)]
    pub allow_http_loopback_notifications: bool,
}

/// The Ward app as registered in the simulated tenant, with its credential files.
pub struct Registration {
    pub app: RegisteredApp,
    pub cert_pem: String,
    pub key_pem: secrecy::SecretString,
}

/// Generates Ward's app registration: a fresh self-signed certificate (the private key never
/// leaves this process and the files it writes) and every application role.
pub fn registration() -> Result<Registration> {
    let cert = ward_graph::generate_self_signed_cert("ward-sim", 30)
        .context("cannot generate a certificate")?;
    let mut app = RegisteredApp::ward_default();
    app.secret = None;
    app.certificate = Some(cert.cert_pem.clone().into_bytes());
    Ok(Registration {
        app,
        cert_pem: cert.cert_pem,
        key_pem: cert.key_pem,
    })
}

pub fn scenario_config(args: &SimArgs) -> ScenarioConfig {
    ScenarioConfig {
        seed: args.seed,
        users: args.users,
        history_days: args.history_days,
        anchor: chrono::Utc::now(),
        attacks: !args.no_attacks,
        messages_per_user_per_day: args.messages_per_day,
        // The simulator writes the audit rows of every change itself, as Microsoft does.
        explicit_audit_events: false,
        ..ScenarioConfig::default()
    }
}

pub fn sim_config(args: &SimArgs, app: RegisteredApp) -> SimConfig {
    let mut cfg = SimConfig {
        bind: args.listen,
        apps: vec![app],
        live_speed: args.speed,
        ..SimConfig::default()
    };
    cfg.play_timeline = !args.no_live;
    cfg.audit_lag = Duration::from_secs_f64(args.audit_lag.max(0.0));
    cfg.audit_lag_jitter = cfg.audit_lag / 2;
    cfg.faults.p_429 = args.fault_429;
    cfg.faults.p_503 = args.fault_5xx / 2.0;
    cfg.faults.p_504 = args.fault_5xx / 2.0;
    cfg.faults.p_drop_connection = args.fault_drop;
    cfg.faults.p_truncated_json = args.fault_truncate;
    cfg.faults.p_delta_expiry = args.fault_delta_expiry;
    cfg.allow_http_loopback_notifications = args.allow_http_loopback_notifications;
    cfg
}

/// `--users`: the company needs its leadership, finance and IT roles, so fewer than 10 users is
/// refused rather than silently raised.
pub fn users_arg(text: &str) -> Result<usize, String> {
    let n: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of users"))?;
    if (10..=100_000).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "{n} users: the simulated company needs 10 to 100000 (its leadership, finance and IT roles)"
        ))
    }
}

/// Writes `ward.toml`, `ward-cert.pem`, `ward-key.pem` (mode 600) and a `passwords` folder (the
/// password channel, mode 700) into `dir`.
pub fn write_config(
    dir: &Path,
    sim: &SimHandle,
    reg: &Registration,
    database: Option<&str>,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let cert = dir.join("ward-cert.pem");
    let key = dir.join("ward-key.pem");
    std::fs::write(&cert, &reg.cert_pem)
        .with_context(|| format!("cannot write {}", cert.display()))?;
    write_private(&key, reg.key_pem.expose_secret())?;
    let base = sim.base_url();
    let mut toml = format!(
        "# Ward pointed at the simulated tenant started by `ward sim`.\n\
         [tenant]\nid = \"{}\"\nclient_id = \"{}\"\ncertificate = {:?}\nprivate_key_file = {:?}\n\n\
         [endpoints]\nlogin = \"{base}\"\ngraph = \"{base}\"\nmanage = \"{base}\"\n",
        sim.tenant_id(),
        reg.app.client_id,
        cert,
        key
    );
    if let Some(db) = database {
        toml.push_str(&format!("\n[store]\ndatabase = {db:?}\n"));
    }
    // The takeover playbook resets passwords: the new ones go to a folder only the owner reads
    // (relative to this file), so `reset_password` works in every walkthrough.
    let passwords = dir.join("passwords");
    create_private_dir(&passwords)?;
    toml.push_str(
        "\n[respond]\n# default_mode = \"approve\"  # observe | approve | auto\n\
         password_channel = { kind = \"directory\", path = \"passwords\" }\n",
    );
    let path = dir.join("ward.toml");
    std::fs::write(&path, toml).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// A folder only its owner can enter (0700 on Unix).
fn create_private_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).with_context(|| format!("cannot create {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    Ok(())
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn run(args: SimArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let reg = registration()?;
        let scenario = scenario_config(&args);
        let mut seed = ward_scenario::generate(&scenario);
        if args.rate > 0 && !args.no_live {
            // Live mode: more normal traffic at the set rate after the scenario's own timeline.
            let from = seed.timeline.iter().map(|e| e.offset_ms).max().unwrap_or(0) + 1;
            let count = usize::try_from(u64::from(args.rate) * u64::from(args.live_minutes))
                .unwrap_or(usize::MAX);
            seed.timeline.extend(ward_scenario::live_events(
                &scenario, from, args.rate, count,
            ));
            seed.timeline.sort_by_key(|e| e.offset_ms);
        }
        if let Some(path) = &args.ground_truth {
            std::fs::write(path, ward_scenario::export_ground_truth(&seed.ground_truth))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let users = seed.users.len();
        let sim = Simulator::start(sim_config(&args, reg.app.clone()), seed)
            .await
            .context("cannot start the simulated tenant")?;
        println!(
            "simulated tenant {} ({users} users) at {}",
            sim.tenant_id(),
            sim.base_url()
        );
        if let Some(dir) = &args.write_config {
            let path = write_config(dir, &sim, &reg, None)?;
            println!("wrote {} — try: ward connect --config {0}", path.display());
        }
        println!("press Ctrl-C to stop");
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        sim.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}
