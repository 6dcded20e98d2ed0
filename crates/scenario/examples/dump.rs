//! Writes a generated tenant to a directory for inspection: `cargo run -p ward-scenario --example dump -- OUT [users] [seed]`.
use ward_scenario::{ScenarioConfig, TimedAction, generate};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or_else(|| "scenario-out".into()),
    );
    let users = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(50);
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42);
    let t0 = std::time::Instant::now();
    let s = generate(&ScenarioConfig {
        seed,
        users,
        ..Default::default()
    });
    eprintln!("generated in {:?}", t0.elapsed());
    let msgs: usize = s.mailboxes.values().map(|m| m.messages.len()).sum();
    let bytes: usize = s
        .mailboxes
        .values()
        .flat_map(|m| m.messages.iter().map(|x| x.mime.len()))
        .sum();
    eprintln!(
        "{} users, {msgs} messages, {} MB MIME, {} sign-ins, {} timeline events",
        s.users.len(),
        bytes / 1_000_000,
        s.sign_ins.len(),
        s.timeline.len()
    );
    if users > 1000 {
        return Ok(());
    }
    std::fs::create_dir_all(out.join("mail"))?;
    std::fs::write(out.join("seed.json"), serde_json::to_vec(&s)?)?;
    std::fs::write(
        out.join("truth.json"),
        ward_scenario::export_ground_truth(&s.ground_truth),
    )?;
    for (i, e) in s.timeline.iter().enumerate() {
        if let (
            Some(sc),
            TimedAction::DeliverMessage { mime, .. } | TimedAction::SendMessage { mime, .. },
        ) = (&e.scenario, &e.action)
        {
            std::fs::write(out.join("mail").join(format!("{i:03}-{sc}.eml")), mime)?;
        }
    }
    for (uid, mb) in s.mailboxes.iter().take(3) {
        for (j, m) in mb.messages.iter().enumerate().take(40) {
            std::fs::write(
                out.join("mail")
                    .join(format!("hist-{}-{j:02}-{}.eml", &uid[..8], m.folder)),
                &m.mime,
            )?;
        }
    }
    eprintln!(
        "seed.json {} bytes",
        std::fs::metadata(out.join("seed.json"))?.len()
    );
    Ok(())
}
