//! Comparing a population before and after a reform: by county and program, eligible
//! households and monthly cost before and after, households that gain, lose or change
//! circle; and each changed household with the reason. Used by `jiuzhu simulate` and the
//! simulation page alike.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

/// What one household gets under one pack: per program, eligibility and amount; and its
/// circle, when the pack has one.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub eligible: Vec<bool>,
    pub amount: Vec<Decimal>,
    pub circle: Option<String>,
}

/// Totals of one county and program.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    pub households: usize,
    pub eligible: [usize; 2],
    pub cost: [Decimal; 2],
    pub gain: usize,
    pub lose: usize,
    pub circle_changed: usize,
}

/// A household whose result changed under a program.
#[derive(Clone, Debug, PartialEq)]
pub struct Changed {
    pub id: String,
    pub county: String,
    pub program: String,
    pub eligible: [bool; 2],
    pub amount: [Decimal; 2],
    pub circle: [String; 2],
    pub reason: String,
}

/// The comparison of a population.
#[derive(Clone, Debug, Default)]
pub struct Comparison {
    /// By (county, program).
    pub by_county: BTreeMap<(String, String), Stats>,
    /// By program, all counties.
    pub totals: BTreeMap<String, Stats>,
    /// Sorted by household id, then program.
    pub changed: Vec<Changed>,
}

impl Comparison {
    /// Adds one household: `programs` are the program codes in the order of the outcomes.
    pub fn add(
        &mut self,
        id: &str,
        county: &str,
        programs: &[String],
        before: &Outcome,
        after: &Outcome,
    ) {
        let circle_moved = before.circle != after.circle;
        for (k, code) in programs.iter().enumerate() {
            let (eb, ea) = (before.eligible[k], after.eligible[k]);
            let (ab, aa) = (before.amount[k], after.amount[k]);
            let diff = aa - ab;
            for st in [
                self.by_county
                    .entry((county.to_string(), code.clone()))
                    .or_default(),
                self.totals.entry(code.clone()).or_default(),
            ] {
                st.households += 1;
                st.eligible[0] += eb as usize;
                st.eligible[1] += ea as usize;
                st.cost[0] += ab;
                st.cost[1] += aa;
                if diff > Decimal::ZERO || (ea && !eb) {
                    st.gain += 1;
                } else if diff < Decimal::ZERO || (eb && !ea) {
                    st.lose += 1;
                }
                if k == 0 && circle_moved {
                    st.circle_changed += 1;
                }
            }
            if eb != ea || !diff.is_zero() || (k == 0 && circle_moved) {
                let mut reason = Vec::new();
                match (eb, ea) {
                    (false, true) => reason.push("becomes eligible".to_string()),
                    (true, false) => reason.push("no longer eligible".to_string()),
                    _ => {}
                }
                if !diff.is_zero() {
                    reason.push(format!(
                        "amount {}{}",
                        if diff > Decimal::ZERO { "+" } else { "" },
                        diff.normalize()
                    ));
                }
                let circles = [
                    before.circle.clone().unwrap_or_default(),
                    after.circle.clone().unwrap_or_default(),
                ];
                if k == 0 && circle_moved {
                    reason.push(format!("circle {} -> {}", circles[0], circles[1]));
                }
                self.changed.push(Changed {
                    id: id.to_string(),
                    county: county.to_string(),
                    program: code.clone(),
                    eligible: [eb, ea],
                    amount: [ab, aa],
                    circle: circles,
                    reason: reason.join("; "),
                });
            }
        }
    }

    /// Orders the changed households by id, then program.
    pub fn finish(&mut self) {
        self.changed
            .sort_by(|a, b| (&a.id, &a.program).cmp(&(&b.id, &b.program)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(e: bool, a: i64, c: &str) -> Outcome {
        Outcome {
            eligible: vec![e],
            amount: vec![Decimal::from(a)],
            circle: Some(c.into()),
        }
    }

    #[test]
    fn gains_losses_and_circles_are_counted() {
        let programs = vec!["dibao".to_string()];
        let mut c = Comparison::default();
        c.add(
            "H2",
            "330326",
            &programs,
            &o(false, 0, "2"),
            &o(true, 50, "1"),
        );
        c.add(
            "H1",
            "330326",
            &programs,
            &o(true, 100, "1"),
            &o(true, 80, "1"),
        );
        c.add(
            "H3",
            "330302",
            &programs,
            &o(false, 0, "3"),
            &o(false, 0, "3"),
        );
        c.finish();
        let st = &c.by_county[&("330326".to_string(), "dibao".to_string())];
        assert_eq!(
            (
                st.households,
                st.eligible,
                st.gain,
                st.lose,
                st.circle_changed
            ),
            (2, [1, 2], 1, 1, 1)
        );
        assert_eq!(st.cost, [Decimal::from(100), Decimal::from(130)]);
        assert_eq!(c.totals["dibao"].households, 3);
        assert_eq!(
            c.changed
                .iter()
                .map(|x| (x.id.as_str(), x.reason.as_str()))
                .collect::<Vec<_>>(),
            vec![
                ("H1", "amount -20"),
                ("H2", "becomes eligible; amount +50; circle 2 -> 1")
            ]
        );
    }
}
