//! Alert routing: which team queue a flagged item goes to, and what to raise.
//!
//! Takes an item with its flags and the `[alerts]` configuration and produces the
//! [`AlertRequest`]s the store groups into alerts (one per rule and story). A rule may name its
//! team queue itself; otherwise the first `[[alerts.route]]` whose matchers all hold decides, and
//! alerts no route claims go to the default team. Pure functions: no I/O.

use duluan_config::{AlertsConfig, Route};
use duluan_model::{AlertLabels, Flag, Item};
use duluan_store::AlertRequest;

pub mod notify;
pub use notify::Notifier;

/// Where one flag of an item goes: the route that takes it, if any.
fn matching_route<'c>(config: &'c AlertsConfig, flag: &Flag, item: &Item) -> Option<&'c Route> {
    match flag.route.as_deref().filter(|t| !t.trim().is_empty()) {
        // A rule that names its team reaches that team's receivers.
        Some(team) => config.route.iter().find(|r| r.team == team),
        None => config.route.iter().find(|r| route_matches(r, flag, item)),
    }
}

/// The team queue for one flag of an item.
pub fn route(config: &AlertsConfig, flag: &Flag, item: &Item) -> String {
    if let Some(team) = flag.route.as_deref().filter(|t| !t.trim().is_empty()) {
        return team.to_string();
    }
    matching_route(config, flag, item).map(|r| r.team.clone()).unwrap_or_else(|| config.default_team.clone())
}

fn route_matches(route: &Route, flag: &Flag, item: &Item) -> bool {
    let any = |wanted: &[String], have: &[String]| wanted.is_empty() || wanted.iter().any(|w| have.contains(w));
    any(&route.rule_tags, &flag.tags)
        && any(&route.source_tags, &item.source_tags)
        && route.min_severity.is_none_or(|min| flag.severity >= min)
        && route.region.as_ref().is_none_or(|r| item.region.as_ref() == Some(r))
}

/// The alerts an item's flags ask for (tag-only flags raise none).
pub fn alert_requests(config: &AlertsConfig, item: &Item) -> Vec<AlertRequest> {
    item.flags
        .iter()
        .filter(|f| f.alert)
        .map(|f| AlertRequest {
            rule: f.rule.to_string(),
            severity: f.severity,
            team: route(config, f, item),
            group_window_hours: config.group_window_hours,
            labels: AlertLabels {
                tags: f.tags.clone(),
                source: Some(item.source_id.clone()),
                source_tags: item.source_tags.clone(),
                region: item.region.clone(),
                receivers: config.receivers_for(matching_route(config, f, item)),
            },
            renotify_hours: config.renotify_hours,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use duluan_model::Severity;

    fn config() -> AlertsConfig {
        let mut c = duluan_config::Config::defaults().alerts;
        c.route = vec![
            Route {
                team: "y-te".into(),
                rule_tags: vec!["health".into()],
                min_severity: Some(Severity::Medium),
                source_tags: vec![],
                region: None,
                receivers: vec!["nhom-y-te".into()],
            },
            Route {
                team: "phuong-1".into(),
                rule_tags: vec![],
                min_severity: None,
                source_tags: vec![],
                region: Some("phuong-1".into()),
                receivers: vec![],
            },
        ];
        c.receivers = vec!["chung".into()];
        c
    }

    fn flag(tags: &[&str], severity: Severity, alert: bool) -> Flag {
        Flag {
            rule: "r".into(),
            severity,
            alert,
            route: None,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            spans: vec![],
            claim: None,
        }
    }

    fn item(region: Option<&str>, flags: Vec<Flag>) -> Item {
        let mut i = duluan_store::conformance::sample_item("x", "x", "x");
        i.region = region.map(str::to_string);
        i.flags = flags;
        i
    }

    #[test]
    fn routes_in_order_with_default() {
        let c = config();
        let i = item(Some("phuong-1"), vec![]);
        assert_eq!(route(&c, &flag(&["health"], Severity::High, true), &i), "y-te");
        assert_eq!(route(&c, &flag(&["health"], Severity::Low, true), &i), "phuong-1");
        assert_eq!(route(&c, &flag(&["prices"], Severity::High, true), &item(None, vec![])), "chung");
        let mut named = flag(&["health"], Severity::High, true);
        named.route = Some("ban-bien-tap".into());
        assert_eq!(route(&c, &named, &i), "ban-bien-tap");
    }

    #[test]
    fn tag_only_flags_raise_nothing() {
        let c = config();
        let i = item(None, vec![flag(&[], Severity::Info, false), flag(&["health"], Severity::High, true)]);
        let reqs = alert_requests(&c, &i);
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].team, "y-te");
        assert_eq!(reqs[0].labels.receivers, ["nhom-y-te"]);
        assert_eq!(reqs[0].labels.tags, ["health"]);
        assert_eq!(reqs[0].labels.source.as_deref(), Some("demo"));
    }

    #[test]
    fn receivers_follow_the_route_or_the_default() {
        let c = config();
        let other = item(None, vec![flag(&["prices"], Severity::High, true)]);
        assert_eq!(alert_requests(&c, &other)[0].labels.receivers, ["chung"]);
        let mut named = flag(&[], Severity::Low, true);
        named.route = Some("y-te".into());
        assert_eq!(alert_requests(&c, &item(None, vec![named]))[0].labels.receivers, ["nhom-y-te"]);
    }
}
