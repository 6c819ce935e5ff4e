// Alerts & health: the alerts feed (GET /v1/alerts, then live from the stream's
// market.failover, market.alert, fx.provider and fx.exposure_alert signals) and, for
// staff keys, the SLA panel from GET /metrics: price-update age per live pair, the
// ledger's batch commit latency (p50/p99 bucket bounds), throughput, providers up.
import { get, metricsText, type ListOf } from "../api";
import { ago, clear, h, statusBadge } from "../dom";
import { parseMetrics, quantileBound, total, type Sample } from "../metrics";
import type { Session } from "../session";
import type { Alert, Market } from "../types";

const ALERT_KINDS = ["market.failover", "market.alert", "fx.provider", "fx.exposure_alert"];
const SHOWN_MAX = 50;

function severityOf(kind: string, data: Record<string, unknown>): string {
  if (kind === "market.alert") {
    return String(data.severity ?? "info");
  }
  if (kind === "market.failover") {
    return data.status_to === "live" ? "info" : "warning";
  }
  if (kind === "fx.provider") {
    return data.up ? "info" : "warning";
  }
  return "warning";
}

export function mountAlerts(root: HTMLElement, session: Session): () => void {
  const feed = h("ol", { class: "alerts", "aria-label": "Alerts, newest first", "aria-live": "polite" });
  const sla = h("div", { class: "sla" });
  root.append(
    h("div", { class: "grid-2" },
      h("div", { class: "card" }, h("h2", {}, "Alerts"), feed),
      h("div", { class: "card" }, h("h2", {}, "Health (SLA)"), sla)));
  let alerts: Alert[] = [];
  let previous: { at: number; transfers: number; requests: number } | null = null;

  function renderAlerts(): void {
    clear(feed);
    if (alerts.length === 0) {
      feed.append(h("li", { class: "muted" }, "No alerts since the server started."));
    }
    for (const a of alerts.slice(0, SHOWN_MAX)) {
      feed.append(h("li", { class: "alert", "data-kind": a.kind, "data-severity": a.severity,
        "data-sequence": String(a.sequence) },
        statusBadge(a.severity), h("span", { class: "kind" }, a.kind),
        h("time", { datetime: a.created }, ago(a.created)),
        h("p", {}, a.data.message ?? JSON.stringify(a.data))));
    }
  }

  async function loadAlerts(): Promise<void> {
    const list = await get<ListOf<Alert>>("/v1/alerts?limit=50");
    alerts = list.data; // the server's ring now holds the live ones too, numbered
    renderAlerts();
  }

  let liveSerial = 0;
  let reload: number | undefined;
  const offs = ALERT_KINDS.map((kind) => session.feed.on(kind, (event) => {
    const data = event.data as Record<string, unknown> & { message?: string };
    liveSerial -= 1; // shown at once, then replaced by the server's numbered entry
    alerts.unshift({ sequence: liveSerial, kind, severity: severityOf(kind, data),
      created: new Date().toISOString(), data });
    renderAlerts();
    window.clearTimeout(reload);
    reload = window.setTimeout(() => void loadAlerts().catch(() => undefined), 500);
  }));

  // state null: a figure without a target (counts, rates), shown without a badge.
  function kpi(label: string, value: string, state: string | null, title?: string): HTMLElement {
    return h("div", { class: "kpi", "data-kpi": label, title: title ?? null },
      h("span", { class: "kpi-label" }, label), h("span", { class: "kpi-value small" }, value, " ",
        state === null ? null
          : statusBadge(state, state === "fresh" ? "ok" : state === "delayed" ? "slow" : "bad")));
  }

  async function loadHealth(): Promise<void> {
    if (!session.staff) {
      clear(sla);
      sla.append(h("p", { class: "muted" }, "The SLA panel needs a staff key (GET /metrics)."));
      return;
    }
    const [text, markets] = await Promise.all([metricsText(), get<ListOf<Market>>("/v1/markets")]);
    const samples: Sample[] = parseMetrics(text);
    const now = Date.now();
    const transfers = total(samples, "tpwallet_transfers");
    const requests = total(samples, "tpwallet_http_request_duration_seconds_count");
    let rates = "measuring…";
    let rps = "measuring…";
    if (previous !== null && now > previous.at) {
      const s = (now - previous.at) / 1000;
      rates = ((transfers - previous.transfers) / s).toFixed(1) + " /s";
      rps = ((requests - previous.requests) / s).toFixed(1) + " /s";
    }
    previous = { at: now, transfers, requests };
    const p50 = quantileBound(samples, "tpwallet_ledger_commit_duration_seconds", 0.5);
    const p99 = quantileBound(samples, "tpwallet_ledger_commit_duration_seconds", 0.99);
    const p99ms = p99 === null ? null : Number(p99) * 1000;
    clear(sla);
    sla.append(h("div", { class: "kpis" },
      ...markets.data.map((m) => kpi(`Price age ${m.symbol}`,
        m.age_ms === null ? "no data" : `${m.age_ms} ms (${m.source ?? "—"})`,
        m.age_ms !== null && m.age_ms < 1000 && m.status === "live" ? "fresh"
          : m.status === "restricted" ? "stale" : "delayed", "target: under 1 s, from the primary")),
      kpi("Batch commit p50", p50 === null ? "—" : `≤ ${p50} s`, null),
      kpi("Batch commit p99", p99 === null ? "—" : `≤ ${p99} s`,
        p99ms === null || p99ms <= 10 ? "fresh" : p99ms <= 50 ? "delayed" : "stale",
        "target: 10 ms (one fdatasync per batch)"),
      kpi("Transfers", `${transfers} (${rates})`, null),
      kpi("HTTP requests", rps, null),
      kpi("Event streams", String(total(samples, "tpwallet_event_streams")), null),
      ...samples.filter((s) => s.name === "tpwallet_fx_provider_up").map((s) =>
        kpi(`Provider ${s.labels.provider}`, s.value === 1 ? "up" : "down",
          s.value === 1 ? "fresh" : "stale"))));
  }

  const alertTimer = window.setInterval(() => void loadAlerts().catch(() => undefined), 10_000);
  const healthTimer = window.setInterval(() => void loadHealth().catch(() => undefined), 3000);
  void loadAlerts().catch(() => undefined);
  void loadHealth().catch(() => undefined);
  return () => {
    offs.forEach((f) => f());
    window.clearInterval(alertTimer);
    window.clearTimeout(reload);
    window.clearInterval(healthTimer);
  };
}
