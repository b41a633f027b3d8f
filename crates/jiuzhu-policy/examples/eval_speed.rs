//! How long one household's evaluation with its explanation takes once the pack is loaded
//! (issue target: under 5 ms). Run: cargo run --release -p jiuzhu-policy --example eval_speed

use std::time::Instant;

use jiuzhu_policy::{Household, shipped_engine, testing};

fn main() {
    let engine = shipped_engine("rp1").expect("shipped").expect("valid");
    let households: Vec<(chrono::NaiveDate, Household)> = engine
        .pack
        .tests
        .iter()
        .map(|t| (t.date, testing::household_of(&engine, t).unwrap()))
        .collect();
    let runs = 20_000;
    let started = Instant::now();
    let mut bytes = 0;
    for i in 0..runs {
        let (date, h) = &households[i % households.len()];
        let dated = engine.on(*date).unwrap();
        let mut ev = dated.evaluate(h);
        let programs = ev.programs().unwrap();
        let trace = ev.trace();
        bytes += serde_json::to_string(&(programs, trace)).unwrap().len();
    }
    let per = started.elapsed().as_secs_f64() / runs as f64;
    println!(
        "eval with explanation: {:.1} µs per household ({runs} runs, {} bytes of JSON each)",
        per * 1e6,
        bytes / runs
    );
}
