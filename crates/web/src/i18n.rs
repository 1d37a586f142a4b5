//! Interface text in Vietnamese (default) and English.

/// Every string the UI shows, in one language.
#[derive(Debug)]
#[allow(missing_docs)]
pub struct Tr {
    pub code: &'static str,
    pub other_code: &'static str,
    pub other_name: &'static str,
    pub tagline: &'static str,
    pub nav_alerts: &'static str,
    pub nav_search: &'static str,
    pub nav_sources: &'static str,
    pub logout: &'static str,
    pub login: &'static str,
    pub login_title: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub login_failed: &'static str,
    pub too_many_attempts: &'static str,
    pub queue: &'static str,
    pub state_all: &'static str,
    pub state_new: &'static str,
    pub state_claimed: &'static str,
    pub state_mine: &'static str,
    pub state_decided: &'static str,
    pub col_id: &'static str,
    pub col_severity: &'static str,
    pub col_rule: &'static str,
    pub col_title: &'static str,
    pub col_items: &'static str,
    pub col_team: &'static str,
    pub col_state: &'static str,
    pub col_created: &'static str,
    pub col_claimed_by: &'static str,
    pub no_alerts: &'static str,
    pub older: &'static str,
    pub alert: &'static str,
    pub claim: &'static str,
    pub release: &'static str,
    pub reopen: &'static str,
    pub verdict: &'static str,
    pub reason: &'static str,
    pub note: &'static str,
    pub submit: &'static str,
    pub lease_until: &'static str,
    pub held_by: &'static str,
    pub items: &'static str,
    pub audit: &'static str,
    pub audit_who: &'static str,
    pub audit_when: &'static str,
    pub audit_action: &'static str,
    pub audit_detail: &'static str,
    pub matched: &'static str,
    pub search_placeholder: &'static str,
    pub search_button: &'static str,
    pub search_help: &'static str,
    pub results: &'static str,
    pub no_results: &'static str,
    pub sort_relevance: &'static str,
    pub sort_date: &'static str,
    pub facet_source: &'static str,
    pub facet_lang: &'static str,
    pub facet_sentiment: &'static str,
    pub facet_rule: &'static str,
    pub facet_tag: &'static str,
    pub clear_filters: &'static str,
    pub source: &'static str,
    pub published: &'static str,
    pub fetched: &'static str,
    pub language: &'static str,
    pub sentiment: &'static str,
    pub sentiment_terms: &'static str,
    pub story: &'static str,
    pub original: &'static str,
    pub flags: &'static str,
    pub no_flags: &'static str,
    pub sources_title: &'static str,
    pub last_poll: &'static str,
    pub last_success: &'static str,
    pub last_error: &'static str,
    pub error_streak: &'static str,
    pub found: &'static str,
    pub status_ok: &'static str,
    pub never: &'static str,
    pub paused: &'static str,
    pub error_title: &'static str,
    pub back: &'static str,
    pub escaped_note: &'static str,
}

/// Vietnamese.
pub static VI: Tr = Tr {
    code: "vi",
    other_code: "en",
    other_name: "English",
    tagline: "Theo dõi dư luận",
    nav_alerts: "Cảnh báo",
    nav_search: "Tìm kiếm",
    nav_sources: "Nguồn tin",
    logout: "Đăng xuất",
    login: "Đăng nhập",
    login_title: "Đăng nhập duluan",
    username: "Tên đăng nhập",
    password: "Mật khẩu",
    login_failed: "Sai tên đăng nhập hoặc mật khẩu.",
    too_many_attempts: "Quá nhiều lần thử. Vui lòng thử lại sau.",
    queue: "Hàng đợi cảnh báo",
    state_all: "Tất cả",
    state_new: "Mới",
    state_claimed: "Đang xử lý",
    state_mine: "Của tôi",
    state_decided: "Đã kết luận",
    col_id: "Mã",
    col_severity: "Mức độ",
    col_rule: "Quy tắc",
    col_title: "Tiêu đề",
    col_items: "Số tin",
    col_team: "Nhóm",
    col_state: "Trạng thái",
    col_created: "Thời điểm",
    col_claimed_by: "Người nhận",
    no_alerts: "Không có cảnh báo nào.",
    older: "Cũ hơn →",
    alert: "Cảnh báo",
    claim: "Nhận xử lý",
    release: "Trả lại hàng đợi",
    reopen: "Mở lại",
    verdict: "Kết luận",
    reason: "Lý do",
    note: "Ghi chú",
    submit: "Gửi kết luận",
    lease_until: "giữ đến",
    held_by: "Người đang xử lý",
    items: "Các tin trong cảnh báo",
    audit: "Nhật ký xử lý",
    audit_who: "Ai",
    audit_when: "Khi nào",
    audit_action: "Hành động",
    audit_detail: "Chi tiết",
    matched: "Từ khớp",
    search_placeholder: "Từ khóa, \"cụm từ\", source:…, lang:vi, rule:…",
    search_button: "Tìm",
    search_help: "Viết không dấu để tìm cả văn bản có dấu và không dấu; viết có dấu để tìm chính xác. Dùng \"…\" cho cụm từ, AND/OR/NOT, -từ để loại trừ.",
    results: "kết quả",
    no_results: "Không tìm thấy tin nào.",
    sort_relevance: "Liên quan nhất",
    sort_date: "Mới nhất",
    facet_source: "Nguồn",
    facet_lang: "Ngôn ngữ",
    facet_sentiment: "Sắc thái",
    facet_rule: "Quy tắc",
    facet_tag: "Thẻ nguồn",
    clear_filters: "Bỏ lọc",
    source: "Nguồn",
    published: "Xuất bản",
    fetched: "Thu thập",
    language: "Ngôn ngữ",
    sentiment: "Sắc thái",
    sentiment_terms: "Từ quyết định sắc thái",
    story: "Câu chuyện",
    original: "Mở bài gốc",
    flags: "Quy tắc đã khớp",
    no_flags: "Không khớp quy tắc nào.",
    sources_title: "Tình trạng nguồn tin",
    last_poll: "Lần quét gần nhất",
    last_success: "Thành công gần nhất",
    last_error: "Lỗi gần nhất",
    error_streak: "Lỗi liên tiếp",
    found: "Bài mới tìm thấy",
    status_ok: "Bình thường",
    never: "chưa bao giờ",
    paused: "Tạm dừng",
    error_title: "Có lỗi",
    back: "Quay lại",
    escaped_note: "Nội dung thu thập được hiển thị dưới dạng văn bản thuần.",
};

/// English.
pub static EN: Tr = Tr {
    code: "en",
    other_code: "vi",
    other_name: "Tiếng Việt",
    tagline: "Public-opinion monitoring",
    nav_alerts: "Alerts",
    nav_search: "Search",
    nav_sources: "Sources",
    logout: "Log out",
    login: "Log in",
    login_title: "Log in to duluan",
    username: "User name",
    password: "Password",
    login_failed: "Wrong user name or password.",
    too_many_attempts: "Too many attempts. Please try again later.",
    queue: "Alert queue",
    state_all: "All",
    state_new: "New",
    state_claimed: "In progress",
    state_mine: "Mine",
    state_decided: "Decided",
    col_id: "ID",
    col_severity: "Severity",
    col_rule: "Rule",
    col_title: "Title",
    col_items: "Items",
    col_team: "Team",
    col_state: "State",
    col_created: "Raised",
    col_claimed_by: "Claimed by",
    no_alerts: "No alerts.",
    older: "Older →",
    alert: "Alert",
    claim: "Claim",
    release: "Release to queue",
    reopen: "Reopen",
    verdict: "Verdict",
    reason: "Reason",
    note: "Note",
    submit: "Submit verdict",
    lease_until: "lease until",
    held_by: "Held by",
    items: "Items in this alert",
    audit: "Audit trail",
    audit_who: "Who",
    audit_when: "When",
    audit_action: "Action",
    audit_detail: "Detail",
    matched: "Matched words",
    search_placeholder: "Words, \"phrases\", source:…, lang:en, rule:…",
    search_button: "Search",
    search_help: "Type without diacritics to match text with or without them; type with diacritics to match exactly. Use \"…\" for phrases, AND/OR/NOT, -word to exclude.",
    results: "results",
    no_results: "Nothing found.",
    sort_relevance: "Most relevant",
    sort_date: "Newest",
    facet_source: "Source",
    facet_lang: "Language",
    facet_sentiment: "Sentiment",
    facet_rule: "Rule",
    facet_tag: "Source tag",
    clear_filters: "Clear filters",
    source: "Source",
    published: "Published",
    fetched: "Fetched",
    language: "Language",
    sentiment: "Sentiment",
    sentiment_terms: "Terms behind the sentiment",
    story: "Story",
    original: "Open the original",
    flags: "Matched rules",
    no_flags: "No rule matched.",
    sources_title: "Source health",
    last_poll: "Last poll",
    last_success: "Last success",
    last_error: "Last error",
    error_streak: "Errors in a row",
    found: "New articles found",
    status_ok: "OK",
    never: "never",
    paused: "Paused",
    error_title: "Something went wrong",
    back: "Back",
    escaped_note: "Collected content is shown as plain text.",
};

/// The strings for a language code; Vietnamese unless English is asked for.
pub fn tr(code: &str) -> &'static Tr {
    if code.eq_ignore_ascii_case("en") { &EN } else { &VI }
}

/// Display names of states, severities, verdicts and reasons.
pub fn label(tr: &Tr, key: &str) -> &'static str {
    let vi = tr.code == "vi";
    match key {
        "new" => {
            if vi {
                "Mới"
            } else {
                "New"
            }
        }
        "claimed" => {
            if vi {
                "Đang xử lý"
            } else {
                "Claimed"
            }
        }
        "confirmed" => {
            if vi {
                "Xác nhận"
            } else {
                "Confirmed"
            }
        }
        "dismissed" => {
            if vi {
                "Bỏ qua"
            } else {
                "Dismissed"
            }
        }
        "escalated" => {
            if vi {
                "Chuyển lãnh đạo"
            } else {
                "Escalated"
            }
        }
        "closed" => {
            if vi {
                "Đã đóng"
            } else {
                "Closed"
            }
        }
        "info" => {
            if vi {
                "Thông tin"
            } else {
                "Info"
            }
        }
        "low" => {
            if vi {
                "Thấp"
            } else {
                "Low"
            }
        }
        "medium" => {
            if vi {
                "Trung bình"
            } else {
                "Medium"
            }
        }
        "high" => {
            if vi {
                "Cao"
            } else {
                "High"
            }
        }
        "critical" => {
            if vi {
                "Khẩn cấp"
            } else {
                "Critical"
            }
        }
        "misinformation" => {
            if vi {
                "Thông tin sai lệch"
            } else {
                "Misinformation"
            }
        }
        "negative_opinion" => {
            if vi {
                "Dư luận tiêu cực"
            } else {
                "Negative opinion"
            }
        }
        "needs_response" => {
            if vi {
                "Cần phản hồi"
            } else {
                "Needs response"
            }
        }
        "false_positive" => {
            if vi {
                "Nhận diện nhầm"
            } else {
                "False positive"
            }
        }
        "duplicate" => {
            if vi {
                "Trùng lặp"
            } else {
                "Duplicate"
            }
        }
        "out_of_scope" => {
            if vi {
                "Ngoài phạm vi"
            } else {
                "Out of scope"
            }
        }
        "negative" => {
            if vi {
                "Tiêu cực"
            } else {
                "Negative"
            }
        }
        "neutral" => {
            if vi {
                "Trung tính"
            } else {
                "Neutral"
            }
        }
        "positive" => {
            if vi {
                "Tích cực"
            } else {
                "Positive"
            }
        }
        "raised" => {
            if vi {
                "Tạo cảnh báo"
            } else {
                "Raised"
            }
        }
        "grouped" => {
            if vi {
                "Gộp thêm tin"
            } else {
                "Item grouped"
            }
        }
        "claim" => {
            if vi {
                "Nhận xử lý"
            } else {
                "Claimed"
            }
        }
        "renew" => {
            if vi {
                "Gia hạn"
            } else {
                "Renewed"
            }
        }
        "release" => {
            if vi {
                "Trả lại"
            } else {
                "Released"
            }
        }
        "handoff" => {
            if vi {
                "Chuyển giao"
            } else {
                "Handed off"
            }
        }
        "verdict" => {
            if vi {
                "Kết luận"
            } else {
                "Verdict"
            }
        }
        "reopen" => {
            if vi {
                "Mở lại"
            } else {
                "Reopened"
            }
        }
        "lease_expired" => {
            if vi {
                "Hết hạn giữ"
            } else {
                "Lease expired"
            }
        }
        _ => text(tr, key),
    }
}

/// Interface text added with triage management (silences, receivers, bulk actions,
/// shortcuts): one row per key, Vietnamese then English.
const TEXT: &[(&str, &str, &str)] = &[
    ("nav_silences", "Tạm tắt", "Silences"),
    ("nav_reports", "Báo cáo", "Reports"),
    ("nav_dashboard", "Tổng quan", "Dashboard"),
    ("dashboard_title", "Tổng quan tuần này", "This week"),
    ("reports_title", "Báo cáo định kỳ", "Scheduled reports"),
    (
        "reports_none",
        "Chưa có báo cáo nào. Cấu hình lịch trong [[reports.schedule]] hoặc chạy `duluan report`.",
        "No reports yet. Set a calendar in [[reports.schedule]] or run `duluan report`.",
    ),
    ("col_schedule", "Lịch", "Schedule"),
    ("col_period", "Kỳ", "Period"),
    ("col_status", "Trạng thái", "Status"),
    ("col_items", "Số tin", "Items"),
    ("col_ran_at", "Lập lúc", "Made at"),
    ("col_download", "Tải về", "Download"),
    ("col_sent_to", "Đã gửi đến", "Sent to"),
    ("older", "Cũ hơn", "Older"),
    ("nav_receivers", "Kênh báo", "Receivers"),
    ("state_muted", "Đang tạm tắt", "Muted"),
    ("col_priority", "Ưu tiên", "Priority"),
    ("overdue", "Quá hạn", "Overdue"),
    ("low", "Thấp", "Low"),
    ("normal", "Bình thường", "Normal"),
    ("high", "Cao", "High"),
    ("urgent", "Khẩn", "Urgent"),
    ("bulk", "Với các mục đã chọn", "With selected"),
    ("bulk_claim", "Nhận xử lý", "Claim"),
    ("bulk_release", "Trả lại", "Release"),
    ("bulk_dismiss", "Bỏ qua (báo nhầm)", "Dismiss (false positive)"),
    ("bulk_assign", "Giao cho", "Assign to"),
    ("bulk_silence", "Tạm tắt câu chuyện", "Silence story"),
    ("apply", "Thực hiện", "Apply"),
    ("bulk_done", "Đã thực hiện", "Done"),
    ("bulk_failed", "Không thực hiện được", "Failed"),
    ("select_all", "Chọn tất cả", "Select all"),
    ("assign", "Giao việc", "Assign"),
    ("assign_to", "Giao cho", "Assign to"),
    ("handoff_to", "Chuyển cho", "Hand off to"),
    ("set_priority", "Đặt ưu tiên", "Set priority"),
    ("close", "Đóng", "Close"),
    ("closed", "Đã đóng", "Closed"),
    ("silence_story", "Tạm tắt câu chuyện này", "Silence this story"),
    ("hours", "Số giờ", "Hours"),
    ("quiet_hours", "Hoặc đến khi im ắng (giờ)", "Or until quiet for (hours)"),
    ("silence_reason", "Lý do (bắt buộc)", "Reason (required)"),
    ("story_items", "Tin khác cùng câu chuyện", "Other items of this story"),
    ("no_story_items", "Không có tin nào khác.", "No other items."),
    (
        "no_longer_matches",
        "Bản hiện tại của tin này không còn khớp quy tắc (tin đã được sửa, hoặc quy tắc đã đổi).",
        "The current version of this item no longer matches the rule (the item was edited, or the rule changed).",
    ),
    ("silences", "Tạm tắt cảnh báo", "Silences"),
    (
        "silences_help",
        "Cảnh báo khớp vẫn được ghi lại, chỉ không vào hàng đợi và không gửi thông báo.",
        "Matching alerts are still recorded, just neither queued nor notified.",
    ),
    ("no_silences", "Không có lệnh tạm tắt nào.", "No silences."),
    ("show_ended", "Xem cả lệnh đã hết", "Show ended ones"),
    ("new_silence", "Tạo lệnh tạm tắt", "New silence"),
    ("matchers", "Điều kiện", "Matchers"),
    ("m_rule", "Quy tắc", "Rule"),
    ("m_tag", "Nhãn quy tắc", "Rule tag"),
    ("m_source", "Nguồn / nhãn nguồn", "Source / source tag"),
    ("m_story", "Câu chuyện", "Story"),
    ("m_team", "Nhóm", "Team"),
    ("creator", "Người tạo", "Created by"),
    ("starts", "Từ", "From"),
    ("ends", "Đến", "Until"),
    ("active", "Đang hiệu lực", "Active"),
    ("ended", "Đã hết", "Ended"),
    ("expire", "Kết thúc ngay", "End now"),
    ("create", "Tạo", "Create"),
    ("receivers", "Kênh nhận thông báo", "Notification receivers"),
    (
        "no_receivers",
        "Chưa cấu hình kênh nào ([[alerts.receiver]] trong config).",
        "No receivers configured ([[alerts.receiver]] in the config).",
    ),
    ("r_name", "Tên", "Name"),
    ("r_kind", "Loại", "Kind"),
    ("r_target", "Địa chỉ", "Target"),
    ("r_signed", "Ký HMAC", "Signed"),
    ("r_pending", "Đang chờ", "Pending"),
    ("r_sent", "Đã gửi", "Sent"),
    ("r_failed", "Thất bại", "Failed"),
    ("r_skipped", "Bỏ qua", "Skipped"),
    ("r_last_sent", "Gửi lần cuối", "Last sent"),
    ("r_last_error", "Lỗi gần nhất", "Last error"),
    ("recent_failures", "Thông báo gửi thất bại gần đây", "Recent failed notifications"),
    ("n_event", "Sự kiện", "Event"),
    ("n_attempts", "Số lần thử", "Attempts"),
    ("yes", "Có", "Yes"),
    ("no", "Không", "No"),
    (
        "shortcuts",
        "Phím tắt: j/k chọn dòng · Enter mở · x đánh dấu · c nhận · r trả · ? trợ giúp",
        "Shortcuts: j/k move · Enter open · x select · c claim · r release · ? help",
    ),
    ("priority", "Ưu tiên đổi", "Priority changed"),
    ("silenced", "Bị tạm tắt", "Silenced"),
    ("unsilenced", "Hết tạm tắt", "Silence ended"),
    ("denied", "Bị từ chối", "Denied"),
    ("export", "Xuất kết quả", "Export"),
    ("search_syntax", "Cú pháp tìm kiếm", "Search syntax"),
    ("syntax_words", "cả hai từ (VÀ là mặc định)", "both words (AND is implied)"),
    ("syntax_phrase", "đúng cụm từ", "the exact phrase"),
    ("syntax_or", "một trong hai (HOẶC, OR)", "either one (OR, HOẶC)"),
    ("syntax_not", "loại trừ (KHÔNG, NOT, dấu -)", "exclude (NOT, KHÔNG, a leading -)"),
    ("syntax_folded", "không dấu: tìm cả văn bản có dấu", "without diacritics: also finds text with them"),
    ("syntax_scope", "chỉ trong tiêu đề / nội dung", "only in the title / the text"),
    (
        "syntax_filters",
        "lọc theo nguồn, ngôn ngữ, quy tắc, thẻ, vùng, sắc thái, mức độ",
        "filter by source, language, rule, tag, region, sentiment, severity",
    ),
    (
        "syntax_dates",
        "khoảng ngày (giờ Việt Nam), tháng, 7 ngày qua",
        "a range of days (Vietnam time), a month, the last 7 days",
    ),
    ("syntax_wildcard", "mọi từ bắt đầu bằng vắc", "every word starting with vắc"),
    ("collapse", "Gộp theo câu chuyện", "One row per story"),
    ("similar", "tin tương tự", "similar"),
    ("coverage", "Độ phủ theo thời gian", "Coverage over time"),
    ("coverage_items", "Số tin khớp", "Matching items"),
    ("coverage_share", "Tỷ lệ trên mọi tin cùng bộ lọc", "Share of all items with the same filters"),
    ("compare", "So sánh với truy vấn khác (tối đa 4)", "Compare with other queries (up to 4)"),
    ("interval_day", "Ngày", "Day"),
    ("interval_week", "Tuần", "Week"),
    ("interval_month", "Tháng", "Month"),
    ("saved_searches", "Tìm kiếm đã lưu", "Saved searches"),
    ("shared", "dùng chung", "shared"),
    ("as_rule", "thành quy tắc", "as a rule"),
    ("search_name", "Tên để lưu tìm kiếm này", "A name to save this search"),
    ("share_everyone", "Chia sẻ cho mọi nhóm", "Share with every team"),
    ("save_search", "Lưu tìm kiếm", "Save search"),
    ("nav_rules", "Quy tắc", "Rules"),
    ("rules_title", "Rà soát quy tắc", "Rule review"),
    (
        "rules_help",
        "Độ chính xác = số cảnh báo được xác nhận hoặc chuyển lãnh đạo trên số cảnh báo đã kết luận. Cần rà soát: quy tắc \
         chưa từng khớp, không khớp tin nào hơn 30 ngày, có độ chính xác dưới 50% qua ít nhất 5 kết luận, có độ chính xác \
         30 ngày gần đây giảm từ 25 điểm trở lên so với trước đó (ít nhất 5 kết luận mỗi bên), hoặc đã bị xoá khỏi bộ quy tắc.",
        "Precision = alerts confirmed or escalated over alerts decided. Needs review: rules that never fired, have had \
         no hit for over 30 days, whose precision is under 50% over at least 5 decisions, whose precision of the last 30 \
         days fell 25 points or more under that of the decisions before (at least 5 on each side), or that are no longer \
         in the rules.",
    ),
    ("sort_by", "Sắp xếp", "Sort by"),
    ("sort_review", "Cần rà soát trước", "Needing review first"),
    ("only_review", "Chỉ quy tắc cần rà soát", "Only rules needing review"),
    ("need_review", "cần rà soát", "need review"),
    ("rules_none", "Không có quy tắc nào cần rà soát.", "No rule needs review."),
    (
        "rules_reload_failed",
        "Các tệp quy tắc vừa sửa không nạp được; các quy tắc đang dùng vẫn giữ nguyên cho đến khi sửa xong:",
        "The changed rule files do not load; the rules in force stay until they are fixed:",
    ),
    ("col_rule_pack", "Bộ", "Pack"),
    ("col_enabled", "Bật", "On"),
    ("col_hits", "Số tin khớp", "Hits"),
    ("col_hits_30d", "30 ngày qua", "Last 30 days"),
    ("col_alerts", "Cảnh báo", "Alerts"),
    ("col_last_hit", "Lần khớp gần nhất", "Last hit"),
    ("col_decisions", "Đã kết luận", "Decisions"),
    ("col_precision", "Độ chính xác", "Precision"),
    ("col_review", "Rà soát", "Review"),
    ("tag_only", "chỉ gắn thẻ", "tag only"),
    ("see_hits", "Xem các tin khớp", "See its hits"),
    ("rule_removed", "đã gỡ khỏi bộ quy tắc", "removed from the rules"),
    ("rule_builtin", "do hệ thống tạo", "raised by duluan"),
    ("review_removed", "Không còn trong bộ quy tắc", "No longer in the rules"),
    ("review_never_fired", "Chưa từng khớp", "Never fired"),
    (
        "review_low_precision",
        "Độ chính xác {precision}% trên {decided} kết luận",
        "Precision {precision}% over {decided} decisions",
    ),
    (
        "review_precision_fell",
        "Độ chính xác giảm từ {before}% xuống {recent}% trong {decided} kết luận gần đây",
        "Precision fell from {before}% to {recent}% over the last {decided} decisions",
    ),
    ("review_quiet", "Không khớp tin nào trong {days} ngày", "No hit for {days} days"),
    ("rule_owner", "Phụ trách", "Owner"),
];

/// Text of a key added in [`TEXT`], in the language of `tr` (empty when unknown).
pub fn text(tr: &Tr, key: &str) -> &'static str {
    TEXT.iter().find(|(k, _, _)| *k == key).map(|(_, vi, en)| if tr.code == "vi" { *vi } else { *en }).unwrap_or("")
}
