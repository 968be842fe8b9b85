"""Through the real path (signed events and slash commands against the simulator): a message and a
follow-up in Slack's wire form read as typed in the canvas, `/postmortem catchup`, the draft and the
follow-up list, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from bot.postmortem.text import ZWJ
from tests.e2e.test_canvas import harness, text_of, until
from tests.e2e.test_draft import assert_one_draft_posted, reply_texts, run_draft, settle


async def test_wire_form_text_reads_as_typed_everywhere(db_url: str) -> None:
    async with harness(db_url) as h:
        alice = h.sim.add_user("alice")
        chan = h.sim.add_channel("incident-wire", members=[alice])
        # As Slack delivers `decision: keep <img src=x onerror=alert(1)> R&D [go](javascript:alert(1))
        # @channel cc @alice`.
        wire = (
            "decision: keep &lt;img src=x onerror=alert(1)&gt; R&amp;D [go](javascript:alert(1)) "
            f"<!channel> cc <@{alice}|alice>"
        )
        await h.sim.post_message(chan, alice, wire)
        # Typed through the slash command, which Slack escapes the same way.
        added = await h.sim.slash_command(chan, alice, "followup add @alice fix <img src=x> & R&D")
        assert added.status == 200
        await settle(h)

        shown = "keep &lt;img src=x onerror=alert(1)> R&D "
        shown += f"[go](javascript{ZWJ}:alert(1)) &lt;!{ZWJ}channel> cc @alice"
        await until(lambda: f"· decision — decision: {shown}" in text_of(h, chan))
        await until(lambda: "#1 alice: fix &lt;img src=x> & R&D, open" in text_of(h, chan))

        result = await h.sim.slash_command(chan, alice, "catchup")
        blocks = json.dumps(json.loads(result.body)["blocks"], ensure_ascii=False)
        assert (
            "decision: keep &lt;img src=x onerror=alert(1)&gt; R&amp;D [go](javascript:alert(1)) "
            f"<!{ZWJ}channel> cc <@{alice}|alice>"
        ) in blocks
        assert f"<@{alice}|alice>: fix &lt;img src=x&gt; &amp; R&amp;D" in blocks

        listed = await h.sim.slash_command(chan, alice, "followup list")
        assert "fix &lt;img src=x&gt; &amp; R&amp;D" in "\n".join(reply_texts(h, listed))

        _, mark = await run_draft(h, chan, alice)
        _, content = assert_one_draft_posted(h, chan, mark, files_before=0)
        draft = content.decode("utf-8")
        assert f"alice: decision: {shown.replace('&lt;!' + ZWJ, '&lt;!')} |" in draft
        assert "fix &lt;img src=x> & R&D" in draft

        for out in (text_of(h, chan), blocks, draft):
            low = out.lower()
            for bad in ("&amp;lt;", "&amp;amp;", "<img", "<!channel>", "@channel"):
                assert bad not in low, bad
        assert "javascript:" not in text_of(h, chan).lower() and "javascript:" not in draft.lower()
