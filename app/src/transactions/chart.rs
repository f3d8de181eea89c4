//! The energy-per-day chart of "Transactions": an SVG of bars with a kWh axis and day labels, described in words
//! (`role="img"`, `aria-label` = [`EnergyPerDay::summary`]) and as a visually hidden table of the days.
//!
//! The geometry is a pure function of the days ([`chart_geometry`]), in integers and fixed decimals, so the
//! server and the browser draw exactly the same markup.

use leptos::prelude::*;
use shared::transactions::{kwh_label, EnergyPerDay};

/// The drawing's size in SVG units (it scales to the width of the page).
pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 220;
/// Room for the kWh labels on the left, the day labels below.
const LEFT: u32 = 52;
const RIGHT: u32 = 8;
const TOP: u32 = 12;
const BOTTOM: u32 = 28;
/// At most this many intervals between kWh ticks, and this many day labels.
const MAX_TICK_STEPS: i64 = 4;
const MAX_DAY_LABELS: usize = 8;

/// One bar: its rectangle (SVG units, one decimal) and what its tooltip says.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub title: String,
}

/// A line of the kWh axis at `y`, labelled "20 kWh".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    pub y: String,
    pub label: String,
}

/// A day's label under the bars, centred on `x`: "11-24".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLabel {
    pub x: String,
    pub text: String,
}

/// Everything the chart draws.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartGeometry {
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub labels: Vec<DayLabel>,
}

/// A length in SVG units with one decimal (tenths computed in integers: the same text on every platform).
fn units(tenths: i64) -> String {
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// The step between kWh ticks, in Wh: 1, 2 or 5 times a power of ten kWh (at least 1 kWh), so that `max_wh` is
/// reached within [`MAX_TICK_STEPS`] steps.
pub fn tick_step_wh(max_wh: i64) -> i64 {
    let mut power = 1000_i64;
    loop {
        for m in [1, 2, 5] {
            let step = m * power;
            if step * MAX_TICK_STEPS >= max_wh {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// The bars, the kWh ticks (from 0 up to the first tick at or above the highest bar) and a label every few days
/// (the first day always, at most [`MAX_DAY_LABELS`]).
pub fn chart_geometry(per_day: &EnergyPerDay) -> ChartGeometry {
    let step = tick_step_wh(per_day.max_wh());
    let steps = ((per_day.max_wh() + step - 1) / step).max(1);
    let top_wh = step * steps;
    // In tenths of a unit.
    let plot_left = i64::from(LEFT) * 10;
    let plot_width = i64::from(WIDTH - LEFT - RIGHT) * 10;
    let plot_top = i64::from(TOP) * 10;
    let plot_height = i64::from(HEIGHT - TOP - BOTTOM) * 10;
    let baseline = plot_top + plot_height;
    let ticks = (0..=steps)
        .map(|i| {
            let wh = i * step;
            Tick {
                y: units(baseline - plot_height * wh / top_wh),
                label: format!("{} kWh", wh / 1000),
            }
        })
        .collect();
    let n = per_day.days.len().max(1) as i64;
    let slot = plot_width / n;
    let bar_width = (slot * 7 / 10).max(10);
    let every = per_day.days.len().div_ceil(MAX_DAY_LABELS).max(1);
    let mut bars = Vec::with_capacity(per_day.days.len());
    let mut labels = Vec::new();
    for (i, day) in per_day.days.iter().enumerate() {
        let slot_left = plot_left + plot_width * i as i64 / n;
        let centre = slot_left + slot / 2;
        let energy = day.energy_wh.max(0);
        let height = plot_height * energy / top_wh;
        bars.push(Bar {
            x: units(centre - bar_width / 2),
            y: units(baseline - height),
            width: units(bar_width),
            height: units(height),
            title: format!(
                "{}: {} kWh, {} session{}",
                day.day,
                kwh_label(day.energy_wh),
                day.sessions,
                if day.sessions == 1 { "" } else { "s" }
            ),
        });
        if i % every == 0 {
            let text = day.day.to_string();
            labels.push(DayLabel {
                x: units(centre),
                text: text.get(5..).unwrap_or(&text).to_owned(),
            });
        }
    }
    ChartGeometry {
        bars,
        ticks,
        labels,
    }
}

/// "Energy per day": the chart and, for screen readers, the table of its days.
#[component]
pub fn EnergyChart(per_day: EnergyPerDay) -> impl IntoView {
    let geometry = chart_geometry(&per_day);
    let summary = per_day.summary();
    let right = (WIDTH - RIGHT).to_string();
    let left = LEFT.to_string();
    let label_y = (HEIGHT - 8).to_string();
    view! {
        <figure class="mb-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <figcaption class="mb-2 text-sm font-medium text-slate-700">"Energy per day"</figcaption>
            <svg role="img" aria-label=summary viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                class="h-auto w-full" xmlns="http://www.w3.org/2000/svg">
                {geometry.ticks.into_iter().map(|t| {
                    let right = right.clone();
                    let left = left.clone();
                    view! {
                        <line x1=left.clone() x2=right y1=t.y.clone() y2=t.y.clone() stroke="#e2e8f0" stroke-width="1"/>
                        <text x=format!("{}", LEFT - 6) y=t.y font-size="11" text-anchor="end" dominant-baseline="middle" fill="#475569">{t.label}</text>
                    }
                }).collect_view()}
                {geometry.bars.into_iter().map(|b| view! {
                    <rect x=b.x y=b.y width=b.width height=b.height rx="1" fill="#047857">
                        <title>{b.title}</title>
                    </rect>
                }).collect_view()}
                {geometry.labels.into_iter().map(|l| {
                    let y = label_y.clone();
                    view! { <text x=l.x y=y font-size="11" text-anchor="middle" fill="#475569">{l.text}</text> }
                }).collect_view()}
            </svg>
            <table class="sr-only">
                <caption>"Energy per day"</caption>
                <thead><tr><th scope="col">"Day"</th><th scope="col">"Sessions"</th><th scope="col">"Energy (kWh)"</th></tr></thead>
                <tbody>
                    {per_day.days.into_iter().map(|d| view! {
                        <tr><th scope="row">{d.day.to_string()}</th><td>{d.sessions}</td><td>{kwh_label(d.energy_wh)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::period::Day;
    use shared::transactions::DayEnergy;

    fn days(energies: &[i64]) -> EnergyPerDay {
        let mut day = Day::new(2026, 11, 1).unwrap();
        let mut out = Vec::new();
        for &energy_wh in energies {
            out.push(DayEnergy {
                day,
                sessions: u64::from(energy_wh > 0),
                energy_wh,
            });
            day = day.next();
        }
        EnergyPerDay { days: out }
    }

    #[test]
    fn ticks_are_round_kwh_steps() {
        assert_eq!(tick_step_wh(1), 1000);
        assert_eq!(tick_step_wh(4000), 1000);
        assert_eq!(tick_step_wh(4001), 2000);
        assert_eq!(tick_step_wh(19_000), 5000);
        assert_eq!(tick_step_wh(80_000), 20_000);
        assert_eq!(tick_step_wh(1_234_567), 500_000);
    }

    #[test]
    fn the_highest_bar_reaches_the_top_tick_or_below_and_empty_days_are_flat() {
        let g = chart_geometry(&days(&[12_000, 0, 6_000]));
        // Step 5 kWh, three steps: 0, 5, 10, 15 kWh.
        let labels: Vec<&str> = g.ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0 kWh", "5 kWh", "10 kWh", "15 kWh"]);
        assert_eq!(g.ticks[0].y, "192.0");
        assert_eq!(g.ticks[3].y, "12.0");
        assert_eq!(g.bars.len(), 3);
        // 180 units for 15 kWh: 12 kWh is 144, 6 kWh 72, and nothing is a bar of no height on the baseline.
        assert_eq!(g.bars[0].height, "144.0");
        assert_eq!(g.bars[0].y, "48.0");
        assert_eq!(g.bars[1].height, "0.0");
        assert_eq!(g.bars[1].y, "192.0");
        assert_eq!(g.bars[2].height, "72.0");
        assert_eq!(g.bars[0].title, "2026-11-01: 12.0 kWh, 1 session");
        // Bars stay inside the plot, left to right.
        let x = |b: &Bar| b.x.parse::<f64>().unwrap();
        assert!(x(&g.bars[0]) >= f64::from(LEFT));
        assert!(x(&g.bars[0]) < x(&g.bars[1]) && x(&g.bars[1]) < x(&g.bars[2]));
        assert!(
            x(&g.bars[2]) + g.bars[2].width.parse::<f64>().unwrap() <= f64::from(WIDTH - RIGHT)
        );
    }

    #[test]
    fn a_long_period_labels_a_few_days_and_nothing_charged_still_draws_an_axis() {
        let g = chart_geometry(&days(&[1000; 30]));
        assert_eq!(g.labels.len(), 8);
        assert_eq!(g.labels[0].text, "11-01");
        assert_eq!(g.labels[1].text, "11-05");
        let empty = chart_geometry(&days(&[0, 0]));
        assert_eq!(empty.ticks.len(), 2);
        assert!(empty.bars.iter().all(|b| b.height == "0.0"));
        let none = chart_geometry(&EnergyPerDay::default());
        assert!(none.bars.is_empty() && none.labels.is_empty());
    }
}
