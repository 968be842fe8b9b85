"""kubewatch (robusta-dev/kubewatch, fork of bitnami-labs/kubewatch): pkg/handlers/slack/slack.go
posts one attachment field titled "kubewatch" (configurable) whose value is pkg/event/event.go
`Message()`:

* `Node `<n>` is Not Ready : NodeNotReady`, `Node `<n>` Rebooted : NodeRebooted` (bad state),
  `Node `<n>` is Ready : NodeReady` (recovered);
* `Pod `<p>` in `<ns>` Crashed : CrashLoopBackOff <reason>` (bad state);
* otherwise `A `<Kind>` in namespace `<ns>` has been `<Created|Updated|Deleted>`: `<ns>/<name>``,
  and `A namespace/node/cluster role `<n>` has been `<reason>``.

An update of a ConfigMap or Secret is a config change (deploy); kubewatch sends no diff, so an
update of anything else (a Deployment's status moves too) is not known to be a release: other.
Object names here are generated or composite (pods, `ns/name`), so no ref is read from them.
"""

from __future__ import annotations

import re

from bot.capture.integrations.registry import Match, Message, integration

_NODE = re.compile(r"\bNode `[^`\n]{1,253}` (is Not Ready|is Ready|Rebooted) : ")
_NODE_KINDS = {"is Not Ready": "alert_firing", "Rebooted": "alert_firing", "is Ready": "alert_resolved"}
_CRASHED = re.compile(r"\bPod `[^`\n]{1,253}` in `[^`\n]{1,63}` Crashed : ")
_OBJECT = re.compile(r"\bA `(\w{1,60})` in namespace `[^`\n]{0,63}` has been `(\w{1,20})`")
_OTHER = re.compile(r"\bA (?:namespace|node|cluster role) `[^`\n]{1,253}` has been `\w{1,20}`")
_CONFIG_KINDS = frozenset({"ConfigMap", "Secret"})


@integration("kubewatch", order=18)
def parse(msg: Message) -> Match | None:
    text = msg.text
    if "`" not in text:
        return None
    if "` is " in text or "` Rebooted" in text:
        m = _NODE.search(text)
        if m is not None:
            return Match(_NODE_KINDS[m.group(1)], "kubewatch", {})
    if "` Crashed : " in text and _CRASHED.search(text):
        return Match("alert_firing", "kubewatch", {})
    if " has been `" not in text:
        return None
    o = _OBJECT.search(text)
    if o is not None:
        kind = "deploy" if o.group(1) in _CONFIG_KINDS and o.group(2) == "Updated" else "other"
        return Match(kind, "kubewatch", {})
    if _OTHER.search(text):
        return Match("other", "kubewatch", {})
    return None
