//! Rules: what to flag, and why.
//!
//! Takes rule packs (`rules/*.toml`: named term lists and boolean rules with metadata and embedded
//! examples) and lexicons (`rules/lexicons/`), compiles every rule into one matcher
//! ([`RuleSet`]), and produces for each item the [`Flag`](duluan_model::Flag)s that fired — rule
//! id, severity and the exact byte spans of the words that made it fire — plus an explainable
//! lexicon sentiment score ([`Sentiment`](duluan_model::Sentiment)). Invalid files are rejected
//! with file, line and column; the matcher never panics on any text.
//!
//! Known claims ([`KnownClaims`]: `rules/claims.toml`, plus claims from collaborators' verdicts
//! handed in at run time) are matched as near-duplicates on syllable shingles; a match is a flag
//! `claim:<id>` with the claim and its similarity.

mod check;
mod claims;
mod engine;
pub mod expr;
mod pack;
pub mod review;
mod sentiment;

use std::path::{Path, PathBuf};

pub use check::{ExampleFailure, check_examples};
pub use claims::{
    CLAIMS_FILE, Claim, ClaimOptions, ClaimVerdict, KnownClaims, MAX_CLAIM_BYTES, MAX_CLAIMS, MAX_CLAIMS_FILE_BYTES,
    RULE_PREFIX as CLAIM_RULE_PREFIX, TAG as CLAIM_TAG, check_text as check_claim_text, parse_claims, read_claims,
    valid_claim_id,
};
pub use engine::{Doc, MAX_NODES, MAX_PATTERNS, RuleSet, title_line};
pub use pack::{
    Action, Example, Examples, Filters, ListRef, ListSpec, Packs, RuleSpec, Titles, fingerprint, origin_file, read_dir,
    read_pack,
};
pub use sentiment::{LABEL_THRESHOLD, Lexicon, NEWS_LABEL_THRESHOLD, Register, SentimentAnalyzer};

/// Errors from reading or compiling rules.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A problem at a place in a file.
    #[error("{}{}: {message}", path.display(), position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    At {
        /// File.
        path: PathBuf,
        /// Line and column, when known.
        position: Option<(usize, usize)>,
        /// What is wrong.
        message: String,
    },
    /// A problem with a rule as a whole.
    #[error("{origin}: {message}")]
    Rule {
        /// File and line of the rule.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    pub(crate) fn at(path: &Path, position: Option<(usize, usize)>, message: String) -> Error {
        Error::At { path: path.to_path_buf(), position, message }
    }
}

/// Rules and sentiment loaded from one directory, as the pipeline uses them.
#[derive(Debug)]
pub struct Engine {
    /// Compiled rules.
    pub rules: RuleSet,
    /// Sentiment analyzer.
    pub sentiment: SentimentAnalyzer,
    /// Known claims (from `claims.toml`, plus those set from the store).
    pub claims: KnownClaims,
    /// What loaded but looks wrong (a pack file with no rules): for `rules check` and the log.
    pub warnings: Vec<String>,
}

impl Engine {
    /// Load and compile everything under `dir`; all problems are returned together.
    pub fn load(dir: &Path) -> Result<Engine, Vec<Error>> {
        Engine::load_with(dir, &ClaimOptions::default())
    }

    /// [`Engine::load`], matching known claims with `options`.
    pub fn load_with(dir: &Path, options: &ClaimOptions) -> Result<Engine, Vec<Error>> {
        let (packs, mut errors) = pack::read_dir_partly(dir);
        let claims = read_claims(dir, options);
        if !errors.is_empty() {
            // The rules that did parse, with every list they name, are compiled too: their
            // problems come in this report, not in the next one once the others are mended.
            let mut parsed = packs;
            let lists = &parsed.lists;
            parsed.rules.retain(|r| r.list_refs.iter().all(|l| lists.contains_key(&l.name)));
            if let Err(more) = RuleSet::compile_all(parsed) {
                errors.extend(more);
            }
            return Err(errors.into_iter().chain(claims.err().into_iter().flatten()).collect());
        }
        let claims = claims?;
        let warnings = packs
            .empty_files
            .iter()
            .map(|file| format!("{}: holds no rules and no lists (emptied, or saved half way?)", file.display()))
            .collect();
        let rules = RuleSet::compile_all(packs)?;
        let sentiment = SentimentAnalyzer::new(Lexicon::load_dir(&dir.join("lexicons")).map_err(|e| vec![e])?);
        Ok(Engine { rules, sentiment, claims: KnownClaims::new(claims, *options), warnings })
    }

    /// Number of weighted sentiment terms loaded.
    pub fn sentiment_terms(&self) -> usize {
        self.sentiment.lexicon_len()
    }

    /// Flags and sentiment for one document, sharing one text analysis (its title read on one
    /// line, see [`title_line`]).
    pub fn analyze(&self, doc: &Doc<'_>) -> (Vec<duluan_model::Flag>, duluan_model::Sentiment) {
        let line = title_line(doc.title);
        let doc = Doc { title: &line, ..*doc };
        let title = duluan_text::Analysis::new(doc.title);
        let text = duluan_text::Analysis::new(doc.text);
        self.analyze_analyzed(&doc, &title, &text)
    }

    /// [`Engine::analyze`] with the analyses of the title and text already made (the pipeline
    /// reuses the text's for its near-duplicate signature).
    pub fn analyze_analyzed(
        &self,
        doc: &Doc<'_>,
        title: &duluan_text::Analysis,
        text: &duluan_text::Analysis,
    ) -> (Vec<duluan_model::Flag>, duluan_model::Sentiment) {
        let mut flags = self.rules.matches_analyzed(doc, title, text);
        flags.extend(self.claims.matches(title, text, doc.at.unwrap_or_else(chrono::Utc::now)));
        let sentiment = self.sentiment.score_analyzed(&[(doc.title, title), (doc.text, text)], doc.register);
        (flags, sentiment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine of the shipped `rules/` directory.
    fn shipped() -> Engine {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules"));
        Engine::load(dir).unwrap_or_else(|errors| panic!("{errors:?}"))
    }

    /// One check reports the packs that do not parse and the problems of the rules that do.
    #[test]
    fn a_check_reports_syntax_and_rule_problems_together() {
        let dir = tempfile::tempdir().expect("temp dir");
        let rule = |id: &str, query: &str| format!("[[rule]]\nid = \"{id}\"\nseverity = \"low\"\nquery = '{query}'\n");
        std::fs::write(dir.path().join("a.toml"), rule("broken", "(sốt")).expect("write");
        std::fs::write(dir.path().join("b.toml"), rule("never", "at least 2 of (sốt, Sốt)")).expect("write");
        std::fs::write(dir.path().join("c.toml"), rule("unknown", "@nowhere")).expect("write");
        let Err(errors) = Engine::load(dir.path()) else { panic!("three problems") };
        let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        for (file, what) in [("a.toml", "broken"), ("b.toml", "never"), ("c.toml", "unknown")] {
            assert!(errors.iter().any(|e| e.contains(file) && e.contains(what)), "{file}: {errors:?}");
        }
    }

    #[test]
    fn shipped_packs_load_and_pass_their_examples() {
        let engine = shipped();
        let (run, failures) = check_examples(&engine.rules);
        assert!(run >= 10, "only {run} examples");
        let messages: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(messages.is_empty(), "{}", messages.join("\n"));
        assert!(engine.sentiment.score("Dịch vụ rất tệ, tôi rất thất vọng").score < -0.3);
        assert!(engine.sentiment.score("Cán bộ phường rất nhiệt tình, chu đáo").score > 0.3);
    }

    /// Words that only look like negators are read as the words they are: `k` as a unit or a
    /// name, `no` (`nó` unaccented, or "full"), `hông` (hip); an informal text still expands
    /// `hông` to `không`.
    #[test]
    fn shipped_lexicon_leaves_look_alike_negators_alone() {
        let engine = shipped();
        let score = |text: &str| engine.sentiment.score(text);
        for text in [
            "Vitamin K tốt cho xương",
            "giá 30 k rất ngon",
            "no lam viec rat tot",
            "ăn no ngủ ngon",
            "Tập yoga giúp hông khỏe",
        ] {
            let s = score(text);
            assert!(s.score > 0.0 && !s.terms.iter().any(|t| t.negated), "{text}: {s:?}");
        }
        for text in ["hàng k tốt", "K tốt đâu", "hông tốt đâu mn ơi", "dau co tot", "dau co dep"] {
            let s = score(text);
            assert!(s.score < 0.0 && s.terms.iter().any(|t| t.negated), "{text}: {s:?}");
        }
    }

    /// A phrase that is a term and a negator negates what follows it; a two-word intensifier
    /// after a term scales it as before it.
    #[test]
    fn shipped_lexicon_reads_phrase_negators_and_intensifiers_after_terms() {
        let engine = shipped();
        let score = |text: &str| engine.sentiment.score(text);
        for text in ["hạn chế ô nhiễm", "khắc phục ô nhiễm"] {
            let s = score(text);
            assert!(s.terms.iter().any(|t| t.term == "ô nhiễm" && t.negated), "{text}: {s:?}");
        }
        let weight = |text: &str, term: &str| score(text).terms.iter().find(|t| t.term == term).map(|t| t.weight);
        assert_eq!(weight("đẹp vô cùng", "đẹp"), weight("vô cùng đẹp", "đẹp"));
        // `qua` scales only in text typed without marks (`quá`): with them it is "via".
        assert_eq!(weight("Lừa đảo qua mạng", "Lừa đảo"), weight("Lừa đảo", "Lừa đảo"));
        assert!(weight("lua dao qua", "lua dao") < weight("lua dao", "lua dao"));
        assert!(weight("đẹp vô cùng", "đẹp") > weight("đẹp", "đẹp"));
        assert_eq!(weight("tốt cực kỳ", "tốt"), weight("cực kỳ tốt", "tốt"));
    }

    /// The negators, intensifiers and diminishers the rules engine promises, with the shipped
    /// lexicons: each one, on its own, does what it says.
    #[test]
    fn shipped_lexicon_negates_and_scales() {
        let engine = shipped();
        let score = |text: &str| engine.sentiment.score(text);
        let plain = score("dịch vụ tốt").score;
        assert!(plain > 0.0);
        for negator in ["không", "chẳng", "chả", "chưa", "đâu có", "không hề", "chẳng hề", "ko", "hok"]
        {
            let s = score(&format!("dịch vụ {negator} tốt"));
            assert!(s.score < 0.0 && s.terms.iter().any(|t| t.negated), "{negator}: {s:?}");
        }
        assert!(score("the service is good").score > 0.0);
        for negator in ["not", "never"] {
            let s = score(&format!("the service is {negator} good"));
            assert!(s.score < 0.0 && s.terms.iter().any(|t| t.negated), "{negator}: {s:?}");
        }
        for stronger in ["rất tốt", "tốt quá", "tốt lắm", "cực kỳ tốt", "quá tốt"] {
            assert!(score(&format!("dịch vụ {stronger}")).score > plain, "{stronger}");
        }
        for weaker in ["hơi tốt", "khá tốt"] {
            let s = score(&format!("dịch vụ {weaker}")).score;
            assert!(s < plain, "{weaker}: {s} vs {plain}");
        }
        // A two-word intensifier scales once, by its own factor (1.7 in modifiers.tsv).
        let weight = |text: &str| score(text).terms.iter().find(|t| t.term == "tốt").map(|t| t.weight);
        let base = weight("dịch vụ tốt").expect("tốt is a term");
        assert_eq!(weight("dịch vụ cực kỳ tốt"), Some((base * 1.7 * 100.0).round() / 100.0));
    }

    /// Readings a review found wrong with the shipped lexicons, each with the label it must get.
    #[test]
    fn shipped_lexicon_reads_public_posts_as_people_mean_them() {
        use duluan_model::Label::{Negative, Neutral, Positive};
        let engine = shipped();
        for (text, label) in [
            // An intensifier opening a longer term is the intensifier (`quá` + `đáng yêu`).
            ("Em bé này quá đáng yêu", Positive),
            ("Thủ tục cấp căn cước quá nhanh gọn", Positive),
            ("Giá vé thế này là quá đáng", Negative),
            ("Cảm ơn sự cố gắng của các chiến sĩ cứu hộ", Positive),
            ("Đường lại xảy ra sự cố", Negative),
            // `hum`, `hem`, `kg` and `kkk` are no `không`.
            ("hum nay trời đẹp quá", Positive),
            ("nha trong hem bi ngap nang", Negative),
            ("giá 1 kg thịt heo đắt quá mn ơi", Negative),
            ("kkkk vui quá", Positive),
            // Unaccented, `thay` is `thầy` or `thấy`, `ngu` is `ngủ`, `nhung` is `những`.
            ("thay co giao nay day rat hay", Positive),
            ("tiem vac xin xong ngu ngon", Positive),
            ("cam on nhung chien si cong an", Positive),
            // `hay` as "often" or "or".
            ("Trạm y tế xã hay đóng cửa", Neutral),
            ("Khu này hay mất điện", Negative),
            ("Thầy dạy rất hay", Positive),
            ("Bài giảng hay dễ hiểu", Positive),
            // A word of lowering negates its object, not a new subject.
            ("Giá lúa giảm nông dân khổ", Negative),
            ("Lãi suất giảm doanh nghiệp vui mừng", Positive),
            ("Thành phố quyết tâm giảm tình trạng ùn tắc", Positive),
            ("Ông ta chống lưng cho sai phạm", Negative),
            // A post in capitals still writes `K` for `không`.
            ("DỊCH VỤ K TỐT", Negative),
            ("Uống vitamin K tốt cho sức khỏe", Positive),
            // `hk` is `không`, `HK` beside lower case a name.
            ("hk hài lòng chút nào", Negative),
            ("Dịch vụ hk tốt chút nào", Negative),
            ("Nhân viên hk nhiệt tình", Negative),
            ("Kinh tế HK tăng trưởng tốt", Positive),
            ("HK có nền kinh tế tốt", Positive),
            ("HK TỐT", Negative),
            // `hơi` in a compound scales nothing.
            ("Tôi đi làm bằng xe hơi mỗi ngày", Neutral),
            // `đã … chưa` asks.
            ("Mọi người đã tiêm mũi 3 chưa ạ", Neutral),
            // `chưa bao giờ … như vậy` stresses.
            ("Chưa bao giờ thấy đường sạch đẹp như vậy", Positive),
            ("Chưa bao giờ giao thông tệ như thế", Negative),
            ("Dịch vụ này chưa bao giờ tốt", Negative),
            ("Chưa bao giờ hài lòng với dịch vụ như vậy", Negative),
            ("Tôi sẽ không bao giờ ủng hộ cách làm như vậy", Negative),
            // The whole object of a word of fighting, and a two-syllable intensifier after `hay`.
            ("chống lãng phí tham nhũng", Positive),
            ("Bài giảng hay vô cùng", Positive),
            ("Vịnh Hạ Long hay còn gọi là kỳ quan", Neutral),
            // A price in capitals; a statement of `vẫn chưa`.
            ("GIÁ CHỈ 99 K RẺ QUÁ", Positive),
            ("Đã báo mấy lần rồi vẫn chưa mn ạ", Negative),
            // Two negators without a comma: neither, not a second negation; a double negation
            // across the words that link one.
            ("Nhân viên không nhiệt tình không chu đáo", Negative),
            ("không đẹp không tốt", Negative),
            ("khong dep khong tot", Negative),
            ("Phòng không sạch không thoáng", Negative),
            ("không có tiền không vui", Negative),
            ("không phải là không tốt", Positive),
            ("không có gì không tốt", Positive),
            // `hàng không` is goods that are not; only its aviation compounds are no negation.
            ("Hàng không tốt", Negative),
            ("hang khong dep", Negative),
            ("Hãng hàng không tốt nhất năm", Positive),
            // Set phrases with a negator in them negate nothing.
            ("Có nhiều món, chẳng hạn phở rất ngon", Positive),
            ("chưa kể giá rẻ", Positive),
            ("không ngờ món này ngon vậy", Positive),
            ("Ở đâu có đồ ăn ngon?", Positive),
            ("Chúc shop buôn may bán đắt", Positive),
            // `đâu` denies: `đâu phải`, a clause-final `đâu` (not in a question, and no second
            // negation after a negator).
            ("Nó đâu phải tốt", Negative),
            ("Đồ ăn có ngon đâu", Negative),
            ("tốt gì đâu", Negative),
            ("không tốt đâu", Negative),
            ("quán ngon đâu?", Positive),
            // `đâu` after a double negation stresses it; a double negation across `một`, `người`.
            ("không phải là không ngon đâu", Positive),
            ("không một ai không thích", Positive),
            // Unaccented, `dep bo xu` is `đẹp bỏ xừ`; `thay` is `thầy`, no trend word, and
            // `mình` away from the comparative no speaker of themselves.
            ("ao nay dep bo xu", Positive),
            ("thay giang chi tiet hon .", Negative),
            ("theo mình bài giảng chi tiết hơn .", Negative),
            // English contractions negate; `won't` is no `won`.
            ("I didn't like it", Negative),
            ("They weren't helpful", Negative),
            ("It won't be good", Negative),
            // A comparative after a trend or a speaker's own words states a change.
            ("Tôi vui hơn", Positive),
            ("Hôm nay tôi thấy khỏe hơn.", Positive),
            ("Cuộc sống ngày một tốt hơn", Positive),
            ("Mọi thứ sẽ tốt hơn", Positive),
            ("Dịch vụ bây giờ tốt hơn", Positive),
            // A recommendation is no criticism.
            ("Nên mua, hàng tốt lắm", Positive),
            // ... but `mua thêm` asks for more.
            ("Nhà trường nên mua thêm máy chiếu", Negative),
            // News: compounds whose syllables mean something else, words of reports; `qua`
            // with marks around is "via", not `quá`.
            ("Sự việc diễn ra trong khuôn khổ hội nghị thượng đỉnh", Neutral),
            ("Bắn pháo hoa đêm giao thừa tại 30 điểm", Neutral),
            ("Trang thiết bị y tế được bàn giao cho bệnh viện", Neutral),
            ("Đối tượng tàn sát cả gia đình nhà vợ", Negative),
            ("Tàu cá gặp nạn, 7 ngư dân mất tích", Negative),
            ("Cảnh sát phòng cháy chữa cháy tổ chức diễn tập", Neutral),
            // Unaccented, a phrase that is mostly another word is not read.
            ("Hoi dong nhan dan thanh pho khai mac ky hop thu 12", Neutral),
            ("Day nhanh tien do cong trinh cau Thu Thiem", Neutral),
            // Emoticons.
            ("Yêu quá <3", Positive),
            ("=((", Negative),
            (":'(", Negative),
            ("T_T", Negative),
        ] {
            let s = engine.sentiment.score(text);
            assert_eq!(s.label, label, "{text}: {s:?}");
        }
    }

    /// News reports what an opinion voices: requests, wishes, headlines opening with a verb,
    /// facts with a negator and comparatives are no criticism there, while the words of the
    /// news still count.
    #[test]
    fn shipped_lexicon_reads_news_as_news() {
        use duluan_model::Label::{Negative, Neutral, Positive};
        let engine = shipped();
        for (text, news, opinion) in [
            ("Tăng lương cơ sở cho cán bộ, công chức từ 1/7", Neutral, Negative),
            ("Cập nhật giá vàng hôm nay ngày 12/4", Neutral, Negative),
            ("Cải tạo kênh Nhiêu Lộc thành công viên xanh", Positive, Negative),
            ("Chủ tịch UBND thành phố yêu cầu đảm bảo an toàn giao thông dịp Tết", Positive, Negative),
            ("Sở Y tế khẳng định không có ca mắc mới, đề nghị người dân yên tâm", Positive, Negative),
            ("Chưa ghi nhận ca mắc mới tại thành phố", Neutral, Negative),
            ("Giá điện không thay đổi", Neutral, Negative),
            ("Giá vé máy bay rẻ hơn", Positive, Negative),
            // Acting against a trouble flips troubles only; a trouble that falls is good news, a
            // good thing that falls bad; a name in title case is no word.
            ("Ngăn chặn thành công vụ buôn lậu", Positive, Positive),
            ("Triệt phá đường dây ma túy xuyên quốc gia", Positive, Positive),
            ("Tai nạn giao thông giảm mạnh trong dịp Tết", Positive, Positive),
            ("Tỷ lệ thất nghiệp giảm còn 2,3%", Positive, Positive),
            ("Tăng trưởng kinh tế giảm mạnh", Negative, Negative),
            ("Công an phường Thành Công tiếp nhận đơn trình báo", Neutral, Neutral),
            ("Cháy lớn tại khu đô thị Phát Đạt", Negative, Negative),
            // The news itself.
            ("Cháy lớn tại chung cư, 3 người tử vong", Negative, Negative),
            ("Dịch vụ công không tốt, người dân bức xúc", Negative, Negative),
        ] {
            let s = engine.sentiment.score_as(text, Register::News);
            assert_eq!(s.label, news, "{text} as news: {s:?}");
            assert_eq!(engine.sentiment.score_as(text, Register::Opinion).label, opinion, "{text} as opinion");
        }
    }

    /// A news article's tone is its headline's and lead's, not the sum of every word of its
    /// body, and each term's weight is what it adds to the score.
    #[test]
    fn news_weighs_headline_lead_and_body_apart() {
        use duluan_model::Label::{Negative, Neutral, Positive};
        let engine = shipped();
        let news = |title: &str, text: &str| {
            let (ta, xa) = (duluan_text::Analysis::new(title), duluan_text::Analysis::new(text));
            engine.sentiment.score_analyzed(&[(title, &ta), (text, &xa)], Register::News)
        };
        // A body of quotes and background, mixed words that summed made it lean one way.
        let body = "Ông cho biết năm ngoái đội bóng thi đấu tốt. Nhiều cổ động viên vui vẻ. \
                    Có trận thua đáng tiếc. Ban huấn luyện hài lòng với sự cố gắng của cầu thủ. \
                    Một số cầu thủ bị chấn thương nhẹ. Đội sẽ tập luyện tại sân nhà.";
        let report = news(
            "Đội bóng công bố lịch tập luyện mùa giải mới",
            &format!("Lịch tập đã được gửi tới các cầu thủ. Đội tập trung vào ngày 5/1. {body}"),
        );
        assert_eq!(report.label, Neutral, "{report:?}");
        let opinion = engine.sentiment.score(&format!("Lịch tập đã được gửi tới các cầu thủ. {body}"));
        assert_eq!(opinion.label, Positive, "summed alike, the body leans: {opinion:?}");
        // The headline says what the story is.
        let fire = news(
            "Cháy lớn tại chợ, nhiều tiểu thương thiệt hại nặng",
            &format!("Lực lượng chức năng đã có mặt. {body}"),
        );
        assert_eq!(fire.label, Negative, "{fire:?}");
        // Without a title the first sentence is the headline; a body of one mood throughout counts.
        let plain =
            news("", "Khánh thành cầu mới. Người dân đi lại thuận tiện. Cầu đẹp. Giao thông an toàn, thuận lợi.");
        assert_eq!(plain.label, Positive, "{plain:?}");
        // The terms sum to the score, their parts' factors included.
        for s in [&report, &fire, &plain] {
            let sum: f32 = s.terms.iter().map(|t| t.weight).sum();
            assert!((sum / (sum * sum + 15.0).sqrt() - s.score).abs() < 1e-3, "{s:?}");
        }
        // An emoticon counts with the sentence it ends, wherever the parts meet; emoji alone,
        // in a title or a text, count too.
        let sad = news("", "Tin buồn. Ông đã mất. Gia đình thông báo :'( Lễ tang tổ chức tại nhà.");
        assert!(sad.terms.iter().any(|t| t.term == ":'("), "{sad:?}");
        for (text, emoticon) in [("Đội nhà vô địch. <3 Cảm ơn mọi người", "<3"), ("Tin buồn. T_T", "T_T")]
        {
            let s = news("", text);
            let headline = engine.sentiment.score_as(&text[..text.find(". ").map_or(0, |i| i + 1)], Register::News);
            let weight = |s: &duluan_model::Sentiment| s.terms.iter().find(|t| t.term == emoticon).map(|t| t.weight);
            assert!(weight(&s).is_some() && weight(&s) == weight(&news(&format!("x {emoticon}"), "")), "{s:?}");
            assert!(headline.terms.iter().all(|t| t.term != emoticon), "{headline:?}");
        }
        assert_eq!(news("😡😡😡", "Giá điện áp dụng từ hôm nay.").label, Negative);
        assert_eq!(news("", "😡😡").label, Negative);
        // A full stop inside a name or a number ends no sentence: the headline is whole.
        let hcm = news("", "TP.HCM: Cháy lớn tại chợ, nhiều tiểu thương thiệt hại nặng. Lực lượng chức năng có mặt.");
        assert_eq!(hcm.label, Negative, "{hcm:?}");
    }

    /// A steep fall counts more (`giảm mạnh`), a pest is no depth (`giảm sâu bệnh`), a name is no
    /// word (`Nguyễn Hữu Thắng`), and news words without marks are other words in social posts.
    #[test]
    fn falls_names_and_unaccented_lookalikes() {
        use duluan_model::Label::{Negative, Neutral, Positive};
        let engine = shipped();
        let score = |text: &str, register| engine.sentiment.score_as(text, register);
        let fall = score("Tai nạn giao thông giảm", Register::News).score;
        assert!(score("Tai nạn giao thông giảm mạnh", Register::News).score > fall);
        assert_eq!(score("Giống lúa mới khỏe, giảm sâu bệnh", Register::News).label, Positive);
        for (text, label) in [
            ("HLV Nguyễn Hữu Thắng bị sa thải", Negative),
            ("Cháy nhà dân ở phường Quyết Thắng", Negative),
            ("Đội nhà thắng 2-0", Positive),
            ("Công Vinh ghi bàn thắng danh dự", Neutral),
            ("Bị cáo được tuyên vô tội", Positive),
        ] {
            let s = score(text, Register::News);
            assert_eq!(s.label, label, "{text}: {s:?}");
        }
        for text in ["san pham bao hanh 12 thang", "tong tien 500k", "tu tu thoi ban oi", "cac phat tu di le chua"] {
            let s = score(text, Register::Opinion);
            assert_eq!(s.label, Neutral, "{text}: {s:?}");
        }
        // A word in title case is no name after punctuation, nor in a sentence in title case.
        for (text, register, label) in [
            ("Very Bad Service", Register::Opinion, Negative),
            ("Sản Phẩm Tốt", Register::Opinion, Positive),
            ("Giao Hàng Chậm", Register::Opinion, Negative),
            ("Việt Nam Thắng Thái Lan", Register::News, Positive),
            ("Ông Tuấn: Tốt", Register::News, Positive),
            ("Hà Nội, Đẹp quá", Register::News, Positive),
            ("Cảm ơn Shop.Tốt", Register::Opinion, Positive),
        ] {
            let s = score(text, register);
            assert_eq!(s.label, label, "{text}: {s:?}");
        }
    }

    #[test]
    fn broken_files_are_reported_with_positions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[[rule]]\nid = \"x\"\nseverity = \"high\"\nquery = \"(vắc xin OR\"\n").expect("write");
        let errors = Engine::load(dir.path()).expect_err("must fail");
        let text = errors[0].to_string();
        assert!(text.contains("bad.toml:4:"), "{text}");
        std::fs::write(&file, "[[rule]]\nid = \"x\"\nseverity = \"urgent\"\nquery = \"a\"\n").expect("write");
        let errors = Engine::load(dir.path()).expect_err("must fail");
        assert!(errors[0].to_string().contains("bad.toml:3:"), "{}", errors[0]);
        std::fs::write(&file, "[[rule]]\nid = \"x\"\nseverity = \"high\"\nquery = \"@nope\"\n").expect("write");
        let errors = Engine::load(dir.path()).expect_err("must fail");
        assert_eq!(errors[0].to_string(), format!("{}:4:10: rule `x` uses unknown list `@nope`", file.display()));
        // Placed in the file as written: after an escaped quote, on the second line of a
        // multi-line query, and not at a longer name that begins with it.
        let pack = "[[list]]\nid = \"vx_terms\"\nterms = [\"vắc xin\"]\n\n[[rule]]\nid = \"y\"\nseverity = \"high\"\n\
                    query = \"\"\"\n\\\"tiêm\\\" AND @vx_terms\n  AND NOT @vx\"\"\"\n";
        std::fs::write(&file, pack).expect("write");
        let errors = Engine::load(dir.path()).expect_err("must fail");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].to_string(), format!("{}:10:11: rule `y` uses unknown list `@vx`", file.display()));
    }
}
