//! Known claims from verdicts, end to end: a collaborator confirms an alert as misinformation, the
//! running pipeline picks the claim up from the store without a restart, and a later post that
//! repeats the rumour without diacritics — in another story — is flagged `claim:<id>` with its
//! similarity and raises its own alert; reopening the alert withdraws the claim.

use std::time::Duration;

use duluan_model::{Item, Role};
use duluan_pipeline::IngestRecord;
use serde_json::{Value, json};

use crate::api::{Api, api};

const TITLE: &str = "Bé trai tử vong sau tiêm vắc xin 5 trong 1?";
const RUMOUR: &str = "Một tài khoản mạng xã hội đăng tin bé trai 3 tuổi ở phường Tân Định đã tử vong chỉ hai giờ sau \
                      khi tiêm vắc xin 5 trong 1 tại trạm y tế phường, gia đình nói nhân viên y tế không khám sàng lọc \
                      trước khi tiêm và bệnh viện đang giấu hồ sơ.";
/// The rumour again weeks later, typed without diacritics inside a longer post of its own.
const RETOLD: &str = "Moi nguoi chia se gap nhe: be trai 3 tuoi o phuong Tan Dinh da tu vong chi hai gio sau khi tiem \
                      vac xin 5 trong 1 tai tram y te phuong, gia dinh noi nhan vien y te khong kham sang loc truoc khi \
                      tiem. Nha minh dang phan van co nen cho be di tiem mui tiep theo hay khong, thang truoc be vua bi \
                      sot, cac me trong nhom cho y kien voi, minh lo qua mat ngu ca dem, chong thi bao cu di tiem.";

async fn ingest(a: &Api, url: &str, title: &str, text: &str) -> Item {
    let record = IngestRecord::Text {
        label: url.to_string(),
        url: url.to_string(),
        title: title.to_string(),
        text: text.to_string(),
        published_at: None,
        lang: None,
    };
    let summary = duluan_pipeline::ingest(a.harness.pipeline.clone(), std::iter::once(record), "mxh", 1, |_, _| {})
        .await
        .unwrap();
    assert!(summary.failures.is_empty(), "{summary:?}");
    a.harness.flush().await;
    let id = duluan_model::item_id_for_url(url);
    a.harness.pipeline.store.item(&id).await.unwrap().expect("item stored")
}

async fn call(a: &Api, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = a.http.request(method, a.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn alerts(a: &Api, token: &str, rule: &str) -> Vec<Value> {
    let (status, body) =
        call(a, token, reqwest::Method::GET, &format!("/api/alerts?rule={rule}&state=new,claimed,confirmed"), None)
            .await;
    assert_eq!(status, 200, "{body}");
    body["alerts"].as_array().unwrap().clone()
}

/// Wait until the engine holds `n` known claims (the refresher polls the store every second).
async fn claims_in_force(a: &Api, n: usize) {
    for _ in 0..100 {
        if a.harness.pipeline.engine().claims.len() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the engine holds {} known claims, not {n}", a.harness.pipeline.engine().claims.len());
}

fn claim_flag(item: &Item) -> Option<&duluan_model::Flag> {
    item.flags.iter().find(|f| f.rule.starts_with("claim:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_rumour_is_recognised_when_it_comes_back_without_diacritics() {
    let a = api(|c| c.rules.claims.refresh_secs = 1).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    a.harness.pipeline.spawn_claims_refresher(stopped);
    let lead = a.user("lead", Role::Lead).await;
    let ctv = a.user("ctv", Role::Collaborator).await;
    let from_file = a.harness.pipeline.engine().claims.len();
    assert!(from_file >= 10, "the shipped claims are in force: {from_file}");

    // The rumour raises a rule alert; a collaborator confirms it as misinformation.
    let original = ingest(&a, "https://mxh.example/bai-goc.html", TITLE, RUMOUR).await;
    assert!(claim_flag(&original).is_none(), "not a known claim yet: {:?}", original.flags);
    let raised = alerts(&a, &lead, "health.vaccine_harm_rumor").await;
    let alert = raised.iter().find(|x| x["story"] == original.story_id.as_str()).expect("an alert for the rumour");
    let id = alert["id"].as_i64().unwrap();
    assert_eq!(call(&a, &ctv, reqwest::Method::POST, &format!("/api/alerts/{id}/claim"), Some(json!({}))).await.0, 200);
    let verdict = json!({"verdict": "confirmed", "reason": "misinformation", "note": "Sở Y tế đã bác bỏ"});
    let (status, body) =
        call(&a, &ctv, reqwest::Method::POST, &format!("/api/alerts/{id}/verdict"), Some(verdict)).await;
    assert_eq!(status, 200, "{body}");
    let claim_id = format!("story-{}", original.story_id);
    let stored = a.harness.pipeline.store.known_claims(10).await.unwrap();
    assert_eq!(stored.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [claim_id.as_str()]);
    assert!(stored[0].text.starts_with(TITLE), "{}", stored[0].text);

    // The running pipeline picks it up without a restart.
    claims_in_force(&a, from_file + 1).await;
    // Reloading the rules keeps the claims from the store.
    let reloaded = duluan_rules::Engine::load(&a.harness.pipeline.config.rules.dir).unwrap();
    a.harness.pipeline.set_engine(reloaded);
    assert_eq!(a.harness.pipeline.engine().claims.len(), from_file + 1);

    // Weeks later, retold without diacritics in a post of another story: flagged with the claim.
    let retold =
        ingest(&a, "https://mxh.example/nhom-phu-huynh/bai-123.html", "Cac me oi doc cai nay chua", RETOLD).await;
    assert_ne!(retold.story_id, original.story_id, "a different story");
    let flag = claim_flag(&retold).unwrap_or_else(|| panic!("no claim flag: {:?}", retold.flags));
    assert_eq!(flag.rule, format!("claim:{claim_id}"));
    let matched = flag.claim.as_ref().unwrap();
    assert_eq!((matched.id.as_str(), matched.verdict.as_str()), (claim_id.as_str(), "false"));
    assert_eq!(matched.story.as_deref(), Some(original.story_id.as_str()));
    assert!(matched.similarity >= 0.5 && matched.similarity <= 1.0, "{matched:?}");
    assert!(flag.tags.contains(&"known-claim".to_string()) && flag.alert);
    let quoted: Vec<&str> = flag.spans.iter().map(|s| &retold.field(s.field)[s.start..s.end]).collect();
    assert!(quoted.iter().any(|q| q.contains("tu vong chi hai gio sau khi tiem")), "{quoted:?}");
    // The item API and the queue show it.
    let (status, body) = call(&a, &lead, reqwest::Method::GET, &format!("/api/items/{}", retold.id), None).await;
    assert_eq!(status, 200);
    let api_flag = body["flags"].as_array().unwrap().iter().find(|f| f["rule"] == flag.rule.as_str()).cloned().unwrap();
    assert_eq!(api_flag["claim"]["id"], claim_id.as_str());
    assert!(api_flag["claim"]["similarity"].as_f64().unwrap() >= 0.5, "{api_flag}");
    let claim_alerts = alerts(&a, &lead, &flag.rule).await;
    assert_eq!(claim_alerts.len(), 1, "{claim_alerts:?}");
    assert_eq!(claim_alerts[0]["story"], retold.story_id.as_str());

    // An unaccented copy of the confirmed story itself carries the flag but pages no one again.
    let copy = ingest(
        &a,
        "https://mxh.example/ban-sao.html",
        "Be trai tu vong sau tiem vac xin 5 trong 1?",
        &duluan_text::fold(RUMOUR),
    )
    .await;
    assert_eq!(copy.story_id, original.story_id, "the same text, folded: the same story");
    assert!(claim_flag(&copy).is_some_and(|f| !f.alert), "{:?}", copy.flags);
    assert_eq!(alerts(&a, &lead, &flag.rule).await.len(), 1);

    // Reopening the alert withdraws the claim; the next retelling is no longer matched.
    let (status, body) =
        call(&a, &lead, reqwest::Method::POST, &format!("/api/alerts/{id}/reopen"), Some(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert!(a.harness.pipeline.store.known_claims(10).await.unwrap().is_empty());
    claims_in_force(&a, from_file).await;
    let again = ingest(&a, "https://mxh.example/nhom-khac/bai-9.html", "Lai la tin nay", RETOLD).await;
    assert!(claim_flag(&again).is_none(), "{:?}", again.flags);

    let _ = stop.send(true);
    a.harness.close().await;
}

#[test]
fn rules_check_validates_the_claims_file_and_rules_match_reports_claims() {
    use crate::support::{Duluan, stderr, stdout};
    let d = Duluan::new();
    let ok = d.run(&["rules", "check", "rules"], None);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(stdout(&ok).contains("known claims"), "{}", stdout(&ok));

    let dir = d.dir.path().join("claims-only");
    std::fs::create_dir_all(&dir).unwrap();
    let claim = "[[claim]]\nid = \"dap-vo\"\ntext = \"Đập thủy điện đầu nguồn đã bị nứt và có nguy cơ vỡ trong đêm nay\"\n\
                 verdict = \"false\"\nadded = 2026-10-05\n";
    std::fs::write(dir.join("claims.toml"), format!("{claim}severity = \"urgent\"\n")).unwrap();
    let o = d.run(&["rules", "check", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("claims.toml:6:12: unknown variant `urgent`"), "{}", stderr(&o));
    std::fs::write(dir.join("claims.toml"), format!("{claim}examples.match = [\"Thủy điện xả lũ theo quy trình\"]\n"))
        .unwrap();
    let o = d.run(&["rules", "check", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("rule `claim:dap-vo` does not match: \"Thủy điện xả lũ theo quy trình\""),
        "{}",
        stderr(&o)
    );

    // `rules match`: the contract's flag fields, plus the claim and its similarity.
    let post = "KHAN CAP: dap thuy dien dau nguon da bi nut va co nguy co vo trong dem nay, ai o ha du di ngay";
    let input = format!("{}\n", json!({"id": "p1", "title": "", "text": post, "published_at": "2026-10-07T08:00:00Z"}));
    let o = d.run(&["rules", "match"], Some(&input));
    assert!(o.status.success(), "{}", stderr(&o));
    let line: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let flag = line["flags"].as_array().unwrap().iter().find(|f| f["rule"] == "claim:dap-thuy-dien-sap-vo").cloned();
    let flag = flag.unwrap_or_else(|| panic!("no claim flag: {line}"));
    assert_eq!(flag["severity"], "critical");
    assert_eq!(flag["claim"]["verdict"], "false");
    assert!(flag["claim"]["similarity"].as_f64().unwrap() >= 0.5, "{flag}");
    let span = &flag["spans"][0];
    let quoted = &post[span["start"].as_u64().unwrap() as usize..span["end"].as_u64().unwrap() as usize];
    assert!(quoted.starts_with("KHAN CAP: dap thuy dien dau nguon"), "{quoted}");
    assert_eq!(span["field"], "text");
}
