//! Run a simulated tenant by hand: `cargo run -p ward-sim --example serve -- [USERS] [MESSAGES] [PORT]`.
//! Prints the URLs and the default app's credentials, serves until Ctrl-C.

use ward_sim::testkit::{CLIENT_ID, CLIENT_SECRET, SeedBuilder};
use ward_sim::{SimConfig, Simulator};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (users, messages, port) = (num(0, 10), num(1, 20), num(2, 0));
    let mut cfg = SimConfig::demo();
    cfg.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port as u16));
    let sim = Simulator::start(cfg, SeedBuilder::new(users, messages).build()).await?;
    println!("tenant      {}", sim.tenant_id());
    println!("token       {}", sim.token_url());
    println!("graph       {}", sim.graph_url());
    println!("management  {}", sim.management_url());
    println!("stats       {}/_sim/stats", sim.base_url());
    println!("client_id   {CLIENT_ID}\nsecret      {CLIENT_SECRET}");
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
