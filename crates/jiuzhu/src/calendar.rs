//! `jiuzhu calendar due`: working-day deadlines under the holiday calendar.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum CalendarWhat {
    /// Print the date N working days after --from (make-up working days count, holidays do not).
    Due {
        #[arg(long)]
        from: String,
        #[arg(long)]
        working_days: u32,
        /// A calendar file in the format of the shipped one (default: the shipped calendar).
        #[arg(long)]
        calendar: Option<PathBuf>,
    },
}

pub(crate) fn command(what: CalendarWhat) -> Result<()> {
    let CalendarWhat::Due {
        from,
        working_days,
        calendar,
    } = what;
    let from = jiuzhu_domain::parse_date(&from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let cal = match calendar {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            jiuzhu_domain::calendar::WorkCalendar::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => jiuzhu_domain::calendar::WorkCalendar::shipped(),
    };
    let due = cal.add_working_days(from, working_days);
    for year in chrono::Datelike::year(&from)..=chrono::Datelike::year(&due) {
        if !cal.covers(year) {
            eprintln!(
                "warning: the calendar has no complete holiday arrangement for {year}; only weekends and the statutory holidays listed were skipped"
            );
        }
    }
    println!("{due}");
    Ok(())
}
