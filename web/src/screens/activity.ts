// Activity: the transfers the key may see, as a timeline with their states (pending
// holds, posts, voids, expiries), from the event stream — its history, then live.
import { clear, h, nsToIso, statusBadge } from "../dom";
import { group } from "../money";
import type { Session } from "../session";
import { Activity, type Entry } from "./activity_store";

const SHOWN_MAX = 100;

export function mountActivity(root: HTMLElement, session: Session): () => void {
  const filter = h("select", { id: "activity-filter" },
    h("option", { value: "all" }, "everything"), h("option", { value: "pending" }, "pending holds"),
    h("option", { value: "transfer" }, "plain transfers"));
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const list = h("ol", { class: "timeline", "aria-label": "Transfers, newest first" });
  root.append(h("div", { class: "controls" }, h("div", { class: "field" },
    h("label", { for: "activity-filter" }, "Show"), filter)), count, list);
  let scheduled = false;

  function item(e: Entry): HTMLElement {
    const t = e.transfer;
    const when = nsToIso(t.timestamp);
    return h("li", { "data-transfer": t.id, "data-state": e.state, class: "event " + e.kind },
      h("div", { class: "event-head" },
        h("time", { datetime: when }, new Date(when).toLocaleTimeString()),
        h("span", { class: "kind" }, e.kind), statusBadge(e.state),
        h("strong", { class: "num" }, `${group(t.amount_decimal)} ${t.asset}`)),
      h("div", { class: "event-body mono small" }, `${t.debit_account_id} → ${t.credit_account_id}`,
        t.pending_id ? ` (for ${t.pending_id})` : "", ` · ${t.id}`));
  }

  function render(): void {
    scheduled = false;
    const shown = Activity.entries.filter((e) => filter.value === "all"
      || (filter.value === "pending" ? e.kind === "hold" : e.kind === "transfer"));
    count.textContent = `${Activity.entries.length} transfers since sign-in` +
      (session.feed.state === "live" ? ", live" : ` (feed ${session.feed.state})`);
    clear(list);
    list.append(...shown.slice(0, SHOWN_MAX).map(item));
    if (shown.length === 0) {
      list.append(h("li", { class: "muted" }, "No transfers yet."));
    }
  }

  const off = Activity.subscribe(() => {
    if (!scheduled) {
      scheduled = true;
      window.setTimeout(render, 200);
    }
  });
  filter.addEventListener("change", render);
  render();
  return off;
}
