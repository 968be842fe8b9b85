from __future__ import annotations

from bot.slack.flatten import flatten_message, slack_to_text


def test_top_level_text_only() -> None:
    assert flatten_message({"text": "rolling back now"}) == "rolling back now"


def test_attachment_parts_in_contract_order() -> None:
    message = {
        "text": "New alert",
        "attachments": [
            {
                "fallback": "ignored fallback",
                "pretext": "Triggered",
                "author_name": "kustomization/apps.flux-system",
                "title": "#45321 High error rate",
                "text": "5xx above 5%",
                "fields": [
                    {"title": "Service", "value": "checkout-api", "short": True},
                    {"title": "Empty", "value": "", "short": True},
                    {"title": "", "value": "untitled value"},
                ],
                "footer": "PagerDuty",
            }
        ],
    }
    assert flatten_message(message) == (
        "New alert\nTriggered\nkustomization/apps.flux-system\n#45321 High error rate\n5xx above 5%\n"
        "Service: checkout-api\nuntitled value\nPagerDuty"
    )


def test_empty_parts_dropped_and_several_attachments() -> None:
    message = {
        "text": "",
        "attachments": [{"title": "[FIRING:1] A", "text": ""}, {"title": "", "text": "second"}],
    }
    assert flatten_message(message) == "[FIRING:1] A\nsecond"


def test_human_message_text_not_duplicated_by_its_rich_text_block() -> None:
    message = {
        "text": "<@U1> rolling back to 1.2.3",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "user", "user_id": "U1"},
                            {"type": "text", "text": " rolling back to 1.2.3"},
                        ],
                    }
                ],
            }
        ],
    }
    assert flatten_message(message) == "<@U1> rolling back to 1.2.3"


def test_rich_text_used_when_text_is_empty_and_keeps_code_and_quotes_marked() -> None:
    message = {
        "text": "",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "logs:"}]},
                    {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "ERROR boom"}]},
                    {"type": "rich_text_quote", "elements": [{"type": "text", "text": "rolling back"}]},
                    {
                        "type": "rich_text_list",
                        "elements": [
                            {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]},
                            {"type": "rich_text_section", "elements": [{"type": "emoji", "name": "eyes"}]},
                        ],
                    },
                ],
            }
        ],
    }
    assert flatten_message(message) == "logs:\n```\nERROR boom\n```\n> rolling back\n- one\n- :eyes:"


def test_block_kit_fallback_text_not_repeated() -> None:
    message = {
        "text": "Deploy to production succeeded",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Deploy to production succeeded"}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "checkout-api v1.4.3"},
                "fields": [{"type": "mrkdwn", "text": "*Env:* prod"}],
            },
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "by alice"}, {"type": "image"}]},
            {"type": "divider"},
            {"type": "actions", "elements": []},
        ],
    }
    expected = "Deploy to production succeeded\ncheckout-api v1.4.3\n*Env:* prod\nby alice"
    assert flatten_message(message) == expected


def test_fallback_text_kept_when_it_says_something_else() -> None:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": "CPU high"}}
    message = {"text": "New alert", "blocks": [block]}
    assert flatten_message(message) == "New alert\nCPU high"


def test_garbage_shapes_do_not_raise() -> None:
    assert flatten_message({}) == ""
    assert (
        flatten_message(
            {"text": None, "attachments": [None, "x", {"fields": [None, {"value": 3}]}], "blocks": "nope"}
        )
        == ""
    )


def test_slack_markup_to_readable_text() -> None:
    assert slack_to_text("<@U123|alice> ping <@U999>") == "@alice ping @U999"
    assert slack_to_text("see <#C1|incident-42> and <#C2>") == "see #incident-42 and #C2"
    assert slack_to_text("<!here> <!channel> <!subteam^S1|@sre-oncall>") == "@here @channel @sre-oncall"
    assert slack_to_text("<https://x.io/pr/1|#4821> <https://x.io>") == "#4821 https://x.io"
    assert slack_to_text("a &amp; b &lt;c&gt;") == "a & b <c>"
    assert slack_to_text("<!date^1392734382^{date}|Feb 18, 2014>") == "Feb 18, 2014"
    assert slack_to_text("5 < 6 > 4") == "5 < 6 > 4"


def test_rich_text_that_says_something_else_than_text_is_kept() -> None:
    message = {
        "text": "hello",
        "blocks": [{"type": "rich_text", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "rolling back api to v1"}]}
        ]}],
    }  # fmt: skip
    assert flatten_message(message) == "hello\nrolling back api to v1"


def test_order_text_then_blocks_then_attachments_with_their_blocks_after_the_footer() -> None:
    message = {
        "text": "A",
        "attachments": [
            {
                "title": "B",
                "fields": [{"title": "Env", "value": "prod"}],
                "footer": "F",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "G"}}],
            }
        ],
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "C"}}],
    }
    assert flatten_message(message) == "A\nC\nB\nEnv: prod\nF\nG"


def test_header_blocks_count_and_the_text_is_kept_when_it_says_more() -> None:
    # Uptime Kuma's rich layout: the text repeats the message under a header of its own.
    message = {
        "text": "Uptime Kuma Alert\n[cart-api] [🔴 Down] timeout",
        "attachments": [
            {
                "color": "#e01e5a",
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": "Uptime Kuma Alert"}},
                    {
                        "type": "section",
                        "fields": [
                            {"type": "mrkdwn", "text": "*Message*\n[cart-api] [🔴 Down] timeout"},
                            {"type": "mrkdwn", "text": "*Time (UTC)*\n2026-01-02 03:04:05"},
                        ],
                    },
                    {
                        "type": "actions",
                        "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Visit"}}],
                    },
                ],
            }
        ],
    }
    assert flatten_message(message) == (
        "Uptime Kuma Alert\n[cart-api] [🔴 Down] timeout\nUptime Kuma Alert\n*Message*\n"
        "[cart-api] [🔴 Down] timeout\n*Time (UTC)*\n2026-01-02 03:04:05"
    )


def test_parts_keep_their_spaces_but_not_surrounding_newlines() -> None:
    message = {
        "text": ":white_check_mark: Succeeded\n",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Job Failed. :red_circle:"}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Job*: lint"},
                    {"type": "mrkdwn", "text": "*Mentions*: "},
                ],
            },
        ],
        "attachments": [{"title": "   ", "text": "\nbody\n"}],
    }
    assert flatten_message(message) == (
        ":white_check_mark: Succeeded\nJob Failed. :red_circle:\n*Job*: lint\n*Mentions*: \nbody"
    )
