//! The dashboard page (maud). Its only dynamic values are the engine name and the poll
//! interval; the bars are drawn by `assets/dashboard.js`.

use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The architecture picture: static, ours, inline so the page needs no image request.
const ARCHITECTURE_SVG: &str = include_str!("../assets/architecture.svg");

const REPO: &str = "https://github.com/acilab/acilab";

/// Width and height of the chart's SVG coordinate system (the script reads them from the
/// `viewBox`).
pub const CHART_WIDTH: u32 = 480;
pub const CHART_HEIGHT: u32 = 380;

pub fn index(engine: &str, poll_interval_ms: u64) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "ACI sidecar and init containers · dashboard" }
                link rel="stylesheet" href="assets/dashboard.css";
                script src="assets/dashboard.js" defer {}
            }
            body {
                header.top {
                    a.repo href=(REPO) { "GitHub repo" }
                    h1 { "ACI sidecar and init containers" }
                    span.brand { "acilab" }
                }
                main.columns {
                    section.architecture {
                        p {
                            "Azure Application Gateway is the frontend to the application's \
                             container groups and finds them through a Private DNS zone that each \
                             group's agent keeps current; traffic is encrypted end to end."
                        }
                        (PreEscaped(ARCHITECTURE_SVG))
                        p {
                            "The live chart shows the source IP addresses that have written to \
                             the production database (rows of " code { "srciplog" } " per \
                             address). All traffic comes from private addresses, and restarting a \
                             group needs no change to the gateway's backends thanks to the \
                             DNS-based service discovery."
                        }
                    }
                    section.chart-card aria-labelledby="chart-title" {
                        h2 id="chart-title" { "SQL connections to database" }
                        svg id="chart" class="chart" xmlns="http://www.w3.org/2000/svg"
                            viewBox=(format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}"))
                            role="img" aria-label="Rows in srciplog per source IP address"
                            data-interval=(poll_interval_ms) data-polls="0" {
                            g id="axes" {}
                            g id="bars" {}
                        }
                        p id="status" class="status" aria-live="polite" { "Loading…" }
                        p.engine { "Engine: " code { (engine) } " · refreshed every "
                            (poll_interval_ms / 1000) " s" }
                        noscript { p.error { "The live chart needs JavaScript." } }
                    }
                }
            }
        }
    }
}
