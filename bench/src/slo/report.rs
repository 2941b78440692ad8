//! The figures of an `slo` run against the seed's targets and the
//! project's goals: the table on stdout, the JSON for machines, the HTML
//! with charts (SVG drawn by `plotters`, inlined).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::faults::Fault;
use super::observe::LagSample;

/// Seconds after a fault is lifted that still count as inside its window.
pub const RECOVERY: f64 = 10.0;
/// Seconds before a fault that count as inside its window (events in
/// flight when it struck).
pub const LEAD: f64 = 1.0;

/// Quantiles of a sample, in milliseconds.
#[derive(Clone, Copy, Default, Serialize)]
pub struct Stats {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Stats {
    pub fn of(values: impl Iterator<Item = f64>) -> Self {
        let mut v: Vec<f64> = values.collect();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| {
            v.get(((v.len() as f64 * q) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(0.0)
        };
        Self {
            count: v.len(),
            p50: at(0.5),
            p95: at(0.95),
            p99: at(0.99),
            max: v.last().copied().unwrap_or(0.0),
        }
    }
}

/// A latency sample: seconds from the start when the event happened, and
/// milliseconds until it was persisted or mailed.
pub type Timed = Vec<(f64, f64)>;

/// Everything measured in a run.
pub struct Measured {
    pub rate: f64,
    pub seconds: f64,
    pub topology: String,
    /// The brokers: how many, on what storage (or the `--kafka` given).
    pub brokers: String,
    /// The functions' stores: `sqlite` or `dynamodb`.
    pub store: String,
    pub http: Vec<(String, Stats, BTreeMap<u16, usize>)>,
    pub http_timeline: Timed,
    pub http_failed: usize,
    pub produce_p95_ms: Option<f64>,
    pub audit: Timed,
    pub mail: Timed,
    pub lag: Vec<LagSample>,
    pub faults: Vec<Fault>,
    pub audit_expected: usize,
    pub audit_lost: usize,
    pub audit_duplicates: usize,
    pub mail_due: usize,
    pub mail_lost: usize,
    pub mail_duplicates: usize,
    pub mail_statuses: BTreeMap<String, usize>,
    pub drained_in: f64,
    /// Whether the latency rows fail the run (`--gate targets`).
    pub gate_latency: bool,
}

/// One line of the table.
#[derive(Serialize)]
pub struct Row {
    pub target: String,
    pub scope: &'static str,
    pub measured: String,
    /// None: nothing to judge (no sample in that scope).
    pub pass: Option<bool>,
    /// A latency row (`--gate delivery` does not fail on it).
    pub latency: bool,
}

impl Measured {
    fn inside(&self, at: f64) -> bool {
        self.faults.iter().any(|f| {
            let (from, to) = f.window(RECOVERY);
            at >= from - LEAD && at <= to
        })
    }

    fn split(&self, sample: &Timed) -> (Stats, Stats) {
        let outside = Stats::of(sample.iter().filter(|(at, _)| !self.inside(*at)).map(|(_, ms)| *ms));
        let inside = Stats::of(sample.iter().filter(|(at, _)| self.inside(*at)).map(|(_, ms)| *ms));
        (outside, inside)
    }

    /// Events audited and mails accepted while `fault` was on (from its
    /// injection to its lifting): whether the flow went on through it.
    pub fn while_on(&self, fault: &Fault) -> (usize, usize) {
        let (from, to) =
            (fault.injected_at.unwrap_or(fault.at), fault.lifted_at.unwrap_or(fault.at + fault.length));
        let count =
            |sample: &Timed| sample.iter().filter(|(at, ms)| (from..=to).contains(&(at + ms / 1e3))).count();
        (count(&self.audit), count(&self.mail))
    }

    /// Event -> audit and event -> mail of the events made in `fault`'s
    /// window alone (from [`LEAD`] before it to [`RECOVERY`] after it).
    pub fn in_window(&self, fault: &Fault) -> (Stats, Stats) {
        let (from, to) = fault.window(RECOVERY);
        let pick = |sample: &Timed| {
            Stats::of(sample.iter().filter(|(at, _)| *at >= from - LEAD && *at <= to).map(|(_, ms)| *ms))
        };
        (pick(&self.audit), pick(&self.mail))
    }

    pub fn lost(&self) -> usize {
        self.audit_lost + self.mail_lost
    }

    pub fn duplicates(&self) -> usize {
        self.audit_duplicates + self.mail_duplicates
    }

    pub fn delivery_rate(&self) -> f64 {
        let due = self.audit_expected + self.mail_due;
        if due == 0 { 0.0 } else { (due - self.lost().min(due)) as f64 / due as f64 }
    }

    fn lag_max(&self, inside: bool) -> Option<i64> {
        self.lag
            .iter()
            .filter(|s| self.inside(s.at) == inside)
            .flat_map(|s| s.lag.values().flatten().copied())
            .max()
    }

    /// The targets and goals, each judged.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut row = |target: &str, scope, measured: String, pass| {
            let latency = target.contains("->") || target.starts_with("produce");
            rows.push(Row { target: target.into(), scope, measured, pass, latency })
        };
        let rate = self.delivery_rate();
        row("delivery >= 99.9 %", "all", format!("{:.3} %", rate * 100.0), Some(rate >= 0.999));
        row(
            "zero loss",
            "all",
            format!("{} ({} audit, {} mail)", self.lost(), self.audit_lost, self.mail_lost),
            Some(self.lost() == 0),
        );
        row(
            "zero duplicate effects",
            "all",
            format!("{} ({} audit, {} mail)", self.duplicates(), self.audit_duplicates, self.mail_duplicates),
            Some(self.duplicates() == 0),
        );
        match self.produce_p95_ms {
            Some(p95) => row("produce p95 < 100 ms", "all", format!("{p95:.1} ms"), Some(p95 < 100.0)),
            None => row("produce p95 < 100 ms", "all", "no samples".into(), Some(false)),
        }
        for (inside, scope) in [(false, "outside"), (true, "inside")] {
            let lag = self.lag_max(inside);
            let judged = if inside { None } else { Some(lag.is_some_and(|l| l < 1000)) };
            row("consumer lag < 1,000", scope, lag.map_or("no samples".into(), |l| l.to_string()), judged);
        }
        let (audit_out, _) = self.split(&self.audit);
        let (mail_out, _) = self.split(&self.mail);
        let ms =
            |s: &Stats, v: f64| if s.count == 0 { "no samples".to_owned() } else { format!("{v:.0} ms") };
        // Inside: each fault's window judged alone (one fault's quiet
        // window does not dilute another's), the worst shown.
        let worst = |mail: bool| {
            self.faults
                .iter()
                .filter_map(|f| {
                    let (audit, mailed) = self.in_window(f);
                    let s = if mail { mailed } else { audit };
                    (s.count > 0).then(|| (f.spec.clone(), s.p95))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
        };
        for (name, limit, out, mail) in [
            ("event->mail p95 <= 5 s", 5000.0, &mail_out, true),
            ("event->audit p95 <= 10 s", 10000.0, &audit_out, false),
        ] {
            row(name, "outside", ms(out, out.p95), Some(out.count > 0 && out.p95 <= limit));
            match worst(mail) {
                Some((spec, p95)) => row(name, "inside", format!("{p95:.0} ms ({spec})"), Some(p95 <= limit)),
                None => row(name, "inside", "no samples".into(), None),
            }
        }
        for (what, s) in [("event->audit", &audit_out), ("event->mail", &mail_out)] {
            row(&format!("{what} p50 < 100 ms"), "outside", ms(s, s.p50), Some(s.count > 0 && s.p50 < 100.0));
            row(&format!("{what} p99 < 1 s"), "outside", ms(s, s.p99), Some(s.count > 0 && s.p99 < 1000.0));
        }
        rows
    }

    pub fn pass(&self) -> bool {
        self.rows().iter().all(|r| r.pass != Some(false) || (!self.gate_latency && r.latency))
    }

    /// The table people read.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "hrms-bench slo: {} ops/s offered for {:.0} s, topology {} over {}, stores on {}, faults: {}",
            self.rate,
            self.seconds,
            self.topology,
            self.brokers,
            if self.store == "dynamodb" { "DynamoDB (moto)" } else { "SQLite" },
            if self.faults.is_empty() {
                "none".to_owned()
            } else {
                self.faults.iter().map(|f| f.spec.as_str()).collect::<Vec<_>>().join(", ")
            }
        );
        let _ = writeln!(
            out,
            "{:<16} {:>8} {:>10} {:>10} {:>10}  answers",
            "operation", "count", "p50 ms", "p95 ms", "p99 ms"
        );
        for (name, s, answers) in &self.http {
            let answers: Vec<String> = answers.iter().map(|(status, n)| format!("{status} x {n}")).collect();
            let _ = writeln!(
                out,
                "{name:<16} {:>8} {:>10.1} {:>10.1} {:>10.1}  {}",
                s.count,
                s.p50,
                s.p95,
                s.p99,
                answers.join(", ")
            );
        }
        let (audit_out, audit_in) = self.split(&self.audit);
        let (mail_out, mail_in) = self.split(&self.mail);
        let _ = writeln!(
            out,
            "{:<24} {:>8} {:>10} {:>10} {:>10} {:>10}",
            "latency", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"
        );
        for (name, s) in [
            ("event->audit outside", audit_out),
            ("event->audit inside", audit_in),
            ("event->mail outside", mail_out),
            ("event->mail inside", mail_in),
        ] {
            let _ = writeln!(
                out,
                "{name:<24} {:>8} {:>10.0} {:>10.0} {:>10.0} {:>10.0}",
                s.count, s.p50, s.p95, s.p99, s.max
            );
        }
        let _ = writeln!(
            out,
            "audit events expected {}, lost {}; e-mails due {} ({}), lost {}; drained {:.1} s after the load; HTTP 5xx or no answer: {}",
            self.audit_expected,
            self.audit_lost,
            self.mail_due,
            self.mail_statuses.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(", "),
            self.mail_lost,
            self.drained_in,
            self.http_failed
        );
        for fault in &self.faults {
            let (audit, mail) = self.in_window(fault);
            let (from, to) = fault.window(RECOVERY);
            let _ = write!(
                out,
                "window of {} ({:.1}-{to:.1} s): event->audit p95 {:.0} ms, event->mail p95 {:.0} ms",
                fault.spec,
                from - LEAD,
                audit.p95,
                mail.p95
            );
            if fault.length > 0.0 {
                let (audited, mailed) = self.while_on(fault);
                let (from, to) = fault.window(0.0);
                let _ = write!(
                    out,
                    "; while it lasted ({from:.1}-{to:.1} s): {audited} events audited, {mailed} mails accepted"
                );
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(
            out,
            "(inside = events from {LEAD:.0} s before a fault to {RECOVERY:.0} s after it is lifted, the latency rows pool every window, the targets judge each fault's window alone and show the worst; HTTP counts from when an operation was due)"
        );
        let _ = writeln!(out, "{:<28} {:<8} {:>40}  result", "target", "scope", "measured");
        for r in self.rows() {
            let verdict = match r.pass {
                Some(true) => "pass",
                Some(false) => "FAIL",
                None => "-",
            };
            let _ = writeln!(out, "{:<28} {:<8} {:>40}  {verdict}", r.target, r.scope, r.measured);
        }
        let verdict = match (self.pass(), self.gate_latency) {
            (false, _) => "FAIL: a target was missed",
            (true, true) => "PASS",
            (true, false) => "PASS (--gate delivery: delivery, loss, duplicates and lag)",
        };
        let _ = writeln!(out, "{verdict}");
        out
    }

    pub fn json(&self) -> Value {
        let (audit_out, audit_in) = self.split(&self.audit);
        let (mail_out, mail_in) = self.split(&self.mail);
        let all_audit = Stats::of(self.audit.iter().map(|(_, ms)| *ms));
        let all_mail = Stats::of(self.mail.iter().map(|(_, ms)| *ms));
        json!({
            "pass": self.pass(),
            "gate": if self.gate_latency { "targets" } else { "delivery" },
            "lost": self.lost(),
            "duplicates": self.duplicates(),
            "delivery_rate": self.delivery_rate(),
            "lag_max": self.lag.iter().flat_map(|s| s.lag.values().flatten().copied()).max(),
            "lag_max_outside_faults": self.lag_max(false),
            "produce_p95_ms": self.produce_p95_ms,
            "audit_p50_ms": all_audit.p50,
            "audit_p95_ms": all_audit.p95,
            "audit_p99_ms": all_audit.p99,
            "audit_max_ms": all_audit.max,
            "notification_p50_ms": all_mail.p50,
            "notification_p95_ms": all_mail.p95,
            "notification_p99_ms": all_mail.p99,
            "notification_max_ms": all_mail.max,
            "audit_outside_faults": audit_out,
            "audit_inside_faults": audit_in,
            "notification_outside_faults": mail_out,
            "notification_inside_faults": mail_in,
            "faults": self.faults.iter().map(|f| {
                let (audited, mailed) = self.while_on(f);
                let mut v = json!(f);
                v["audited_while_on"] = json!(audited);
                v["mailed_while_on"] = json!(mailed);
                let (audit, mail) = self.in_window(f);
                v["audit_in_window"] = json!(audit);
                v["notification_in_window"] = json!(mail);
                v
            }).collect::<Vec<_>>(),
            "recovery_window_s": RECOVERY,
            "lead_window_s": LEAD,
            "rate": self.rate,
            "seconds": self.seconds,
            "topology": self.topology,
            "brokers": self.brokers,
            "store": self.store,
            "http": self.http.iter().map(|(name, s, answers)| json!({"operation": name, "latency_ms": s, "answers": answers})).collect::<Vec<_>>(),
            "http_failed": self.http_failed,
            "audit_expected": self.audit_expected,
            "audit_lost": self.audit_lost,
            "audit_duplicates": self.audit_duplicates,
            "mail_due": self.mail_due,
            "mail_lost": self.mail_lost,
            "mail_duplicates": self.mail_duplicates,
            "mail_statuses": self.mail_statuses,
            "drained_in_s": self.drained_in,
            "targets": self.rows(),
            "lag": self.lag,
        })
    }

    pub fn html(&self) -> String {
        let mut page = String::from(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>hrms-bench slo</title>\
             <style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em}</style></head><body>\
             <h1>hrms-bench slo</h1>",
        );
        let _ = write!(page, "<pre>{}</pre>", escape(&self.table()));
        page.push_str("<h2>Latency over time (p95 per second of event time; shaded: fault windows)</h2>");
        page.push_str(&self.latency_chart());
        page.push_str("<h2>Consumer lag over time</h2>");
        page.push_str(&self.lag_chart());
        page.push_str("<h2>Latency distributions (cumulative)</h2>");
        page.push_str(&self.distribution_chart());
        page.push_str("</body></html>\n");
        page
    }

    /// The charts of the HTML report, each as its own SVG document, by
    /// file name (for pages that show one, as the README does).
    pub fn charts(&self) -> [(&'static str, String); 3] {
        [
            ("latency.svg", self.latency_chart()),
            ("lag.svg", self.lag_chart()),
            ("distribution.svg", self.distribution_chart()),
        ]
    }

    fn shade<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<
            '_,
            DB,
            Cartesian2d<plotters::coord::types::RangedCoordf64, impl Ranged<ValueType = f64>>,
        >,
        low: f64,
        high: f64,
    ) {
        for f in &self.faults {
            let (from, _) = f.window(0.0);
            let to = f.lifted_at.unwrap_or(f.at + f.length).max(from + 0.3);
            let _ = chart.draw_series(std::iter::once(Rectangle::new(
                [(from, low), (to, high)],
                RED.mix(0.15).filled(),
            )));
        }
    }

    fn latency_chart(&self) -> String {
        let per_second = |sample: &Timed| -> Vec<(f64, f64)> {
            let mut bins: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
            for (at, ms) in sample {
                bins.entry(*at as i64).or_default().push(*ms);
            }
            bins.into_iter().map(|(s, v)| (s as f64 + 0.5, Stats::of(v.into_iter()).p95.max(0.1))).collect()
        };
        let series = [
            ("event->audit", per_second(&self.audit), BLUE),
            ("event->mail", per_second(&self.mail), GREEN),
            ("HTTP", per_second(&self.http_timeline), BLACK),
        ];
        let top = series.iter().flat_map(|(_, s, _)| s.iter().map(|p| p.1)).fold(10.0, f64::max) * 2.0;
        let end = self.end();
        svg(|root| {
            let mut chart = ChartBuilder::on(&root)
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(60)
                .build_cartesian_2d(0f64..end, (0.1f64..top).log_scale())?;
            chart.configure_mesh().x_desc("seconds").y_desc("p95 ms (log)").draw()?;
            self.shade(&mut chart, 0.1, top);
            for (name, points, color) in series {
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
            }
            chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
            Ok(())
        })
    }

    fn lag_chart(&self) -> String {
        let groups: Vec<String> =
            self.lag.first().map(|s| s.lag.keys().cloned().collect()).unwrap_or_default();
        let top = self.lag.iter().flat_map(|s| s.lag.values().flatten().copied()).max().unwrap_or(0).max(10)
            as f64
            * 1.1;
        let end = self.end();
        let colors = [BLUE, GREEN, MAGENTA, CYAN];
        svg(|root| {
            let mut chart = ChartBuilder::on(&root)
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(60)
                .build_cartesian_2d(0f64..end, 0f64..top)?;
            chart.configure_mesh().x_desc("seconds").y_desc("records").draw()?;
            self.shade(&mut chart, 0.0, top);
            for (i, group) in groups.iter().enumerate() {
                let color = colors[i % colors.len()];
                let points: Vec<(f64, f64)> = self
                    .lag
                    .iter()
                    .filter_map(|s| Some((s.at, *s.lag.get(group)?.as_ref()? as f64)))
                    .collect();
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                    .label(group.as_str())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
            }
            chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
            Ok(())
        })
    }

    fn distribution_chart(&self) -> String {
        let cdf = |sample: &Timed| -> Vec<(f64, f64)> {
            let mut v: Vec<f64> = sample.iter().map(|(_, ms)| ms.max(0.1)).collect();
            v.sort_by(f64::total_cmp);
            let n = v.len().max(1) as f64;
            let step = (v.len() / 500).max(1);
            v.iter().enumerate().step_by(step).map(|(i, ms)| (*ms, (i + 1) as f64 / n)).collect()
        };
        let series = [
            ("event->audit", cdf(&self.audit), BLUE),
            ("event->mail", cdf(&self.mail), GREEN),
            ("HTTP", cdf(&self.http_timeline), BLACK),
        ];
        let right = series.iter().flat_map(|(_, s, _)| s.iter().map(|p| p.0)).fold(10.0, f64::max) * 1.5;
        svg(|root| {
            let mut chart = ChartBuilder::on(&root)
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(60)
                .build_cartesian_2d((0.1f64..right).log_scale(), 0f64..1.0)?;
            chart.configure_mesh().x_desc("ms (log)").y_desc("fraction").draw()?;
            for (name, points, color) in series {
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
            }
            chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
            Ok(())
        })
    }

    fn end(&self) -> f64 {
        let last = self.lag.last().map(|s| s.at).unwrap_or(0.0);
        last.max(self.seconds).max(1.0)
    }
}

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// An SVG chart of 900 x 360 as a string.
fn svg(draw: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Drawn) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (900, 360)).into_drawing_area();
        let _ = root.fill(&WHITE);
        if let Err(e) = draw(root.clone()) {
            tracing::warn!(error = %e, "a chart could not be drawn");
        }
        let _ = root.present();
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
