// Allocation: the key's portfolios (GET /v1/portfolios, valued live by the server:
// each holding's weight against its target and band, drift bars), the wallet's weights
// by asset class against targets the user sets (from GET /v1/map; weights are exact
// quotients of the map's decimal values), and a backtest of a target mix over daily
// closes the user picks (CSV files, one per symbol) through POST /v1/backtests, charted.
import { ApiError, get, post, type ListOf } from "../api";
import { exponentOf } from "../assets";
import { CLASS_COLOURS, chartIn } from "../charts";
import { clear, field, h, statusBadge } from "../dom";
import { divide, group, minorToDecimal, trim } from "../money";
import type { Session } from "../session";
import type { AssetMap, Portfolio } from "../types";

const TARGETS: Record<string, string> = { fiat: "50", stablecoin: "30", crypto: "20" };
const BAND_PP = "5";

interface Rebalance {
  plan_id: string | null; base: string; expires_at: string; executed: boolean;
  trades: { from: string; to: string; amount_in: string; amount_out: string;
    cost_decimal: string; legs: { pair: string }[] }[];
  transfers: string[]; total_cost_decimal: string;
}

interface Backtest {
  first_date: string; last_date: string; cagr: number | null; volatility: number | null;
  sharpe: number | null; max_drawdown: number | null; rebalances: number;
  final_value: number | null; average_weights: Record<string, number>;
}

export function mountAllocation(root: HTMLElement, session: Session): () => void {
  void session;
  const targetInputs = new Map<string, HTMLInputElement>();
  const targets = h("form", { class: "controls", "aria-label": "Target weights" });
  const driftBox = h("div", { class: "chart drift", role: "img",
    "aria-label": "Drift of each class from its target, percentage points" });
  const table = h("div", { class: "table-wrap" });
  const files = h("input", { type: "file", accept: ".csv,text/csv", multiple: true });
  const weights = h("input", { type: "text", value: "SPY=0.6,USD=0.4", size: 24 });
  const cash = h("input", { type: "text", value: "USD", size: 6 });
  const check = h("select", {}, ...["monthly", "quarterly", "annual", "daily", "weekly", "never"]
    .map((c) => h("option", { value: c }, c)));
  const fFiles = field("Daily closes (CSV files, named SYMBOL…csv)", files, "prices");
  const fWeights = field("Target weights (symbol=weight, summing to 1)", weights, "weights");
  const fCash = field("Cash symbol", cash, "cash");
  const fCheck = field("Rebalance check", check, "check");
  const btError = h("p", { class: "field-error", role: "alert", "data-error-for": "form" });
  const btForm = h("form", { class: "form-grid", "aria-label": "Backtest" }, fFiles.root,
    fWeights.root, fCash.root, fCheck.root,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Run backtest")),
    btError);
  const btResult = h("div", { class: "backtest", "aria-live": "polite" });
  const btChartBox = h("div", { class: "chart drift", role: "img", hidden: true,
    "aria-label": "Average weights held against targets" });
  const portfoliosBox = h("div", { class: "portfolios", "aria-live": "polite" });
  const portfolioCharts: { dispose(): void }[] = [];
  let paused = false;
  // The last execution's outcome per portfolio: the reload after it redraws the box, and
  // the outcome must stay in view (and in reach of assistive tech) until the next plan.
  const executedNotes = new Map<string, string>();
  root.append(
    h("div", { class: "card" }, h("h2", {}, "Portfolios"), portfoliosBox),
    h("div", { class: "card" }, h("h2", {}, "Asset classes against your targets"), targets,
      h("div", { class: "grid-2 grid-even" }, driftBox, table)),
    h("div", { class: "card" }, h("h2", {}, "Backtest"), btForm, btResult, btChartBox));
  const drift = chartIn(driftBox);
  const btChart = chartIn(btChartBox);
  let map: AssetMap | null = null;

  function ensureTargets(classes: string[]): void {
    for (const c of classes) {
      if (targetInputs.has(c)) {
        continue;
      }
      const input = h("input", { type: "text", inputmode: "decimal", value: TARGETS[c] ?? "0", size: 5 });
      input.addEventListener("input", render);
      targetInputs.set(c, input);
      targets.append(field(`Target ${c} (%)`, input, "target_" + c).root);
    }
  }

  function render(): void {
    if (map === null) {
      return;
    }
    const rows = map.classes.map((c) => {
      const weight = map!.total === "0" ? "0" : divide((BigInt(c.value) * 100n).toString(), map!.total, 2);
      const target = (targetInputs.get(c.class)?.value ?? "0").trim() || "0";
      const valid = /^\d+(\.\d+)?$/.test(target);
      const driftPp = valid ? divide(sub(weight, target), "1", 2) : "0";
      const out = valid && abs(driftPp) > Number(BAND_PP);
      return { c, weight, target, driftPp, out };
    });
    clear(table);
    table.append(h("table", {}, h("caption", { class: "sr-only" }, "Weights by class"),
      h("thead", {}, h("tr", {}, ...["Class", "Value", "Weight", "Target", "Drift", `±${BAND_PP} pp`]
        .map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...rows.map((r) => h("tr", { "data-class": r.c.class, "data-out": String(r.out) },
        h("td", {}, r.c.class), h("td", { class: "num" }, `${group(r.c.value_decimal)} ${map!.base}`),
        h("td", { class: "num" }, r.weight + " %"), h("td", { class: "num" }, r.target + " %"),
        h("td", { class: "num" }, (r.driftPp.startsWith("-") ? "" : "+") + r.driftPp + " pp"),
        h("td", { title: `band ±${BAND_PP} pp` }, r.out ? statusBadge("stale", "outside")
          : statusBadge("fresh", "within")))))));
    drift.setOption({
      backgroundColor: "transparent",
      grid: { left: 80, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "value", name: "pp" },
      yAxis: { type: "category", data: rows.map((r) => r.c.class) },
      series: [{ type: "bar", data: rows.map((r) => ({ value: Number(r.driftPp),
        itemStyle: { color: r.out ? "#ef4444" : CLASS_COLOURS[r.c.class] } })),
        markLine: undefined }],
    }, true);
  }

  async function loadPortfolios(): Promise<void> {
    let list: Portfolio[];
    try {
      list = (await get<ListOf<Portfolio>>("/v1/portfolios?limit=20")).data;
    } catch (error) {
      clear(portfoliosBox);
      portfoliosBox.append(h("p", { class: "muted" }, error instanceof ApiError
        ? `Portfolios unavailable: ${error.message}` : String(error)));
      return;
    }
    portfolioCharts.splice(0).forEach((c) => c.dispose());
    clear(portfoliosBox);
    if (list.length === 0) {
      portfoliosBox.append(h("p", { class: "muted" }, "No portfolios for this key yet " +
        "(POST /v1/portfolios makes one)."));
    }
    for (const p of list) {
      portfoliosBox.append(portfolioView(p));
    }
  }

  function portfolioView(p: Portfolio): HTMLElement {
    const pp = (x: string | null) => (x === null ? "—" : divide(x, "0.01", 2));
    const rows = p.holdings.map((holding) => {
      const signed = holding.weight === null ? null : sub(holding.weight, holding.target);
      return { holding, signed, driftPp: pp(signed) };
    });
    const chartBox = h("div", { class: "chart drift", role: "img",
      "aria-label": `${p.name}: each holding's drift from its target, percentage points` });
    const v = p.valuation;
    const view = h("div", { class: "portfolio", "data-portfolio": p.id },
      h("h3", {}, p.name, " ", v ? statusBadge(v.outside_band ? "stale" : "fresh",
        v.outside_band ? "outside its bands" : "inside its bands") : statusBadge("stale", "not valued")),
      h("p", { class: "muted small" }, v ? `${group(v.total_decimal)} ${p.base}, prices ${v.status}; ` +
        `${p.drift} bands, rebalances to the ${p.destination === "band_edge" ? "band edge" : "target"}`
        : p.valuation_error?.message ?? "no valuation"),
      h("div", { class: "grid-2 grid-even" }, chartBox, h("div", { class: "table-wrap" }, h("table", {},
        h("caption", { class: "sr-only" }, `${p.name}: holdings`),
        h("thead", {}, h("tr", {}, ...["Holding", "Value", "Weight", "Target", "Drift", "Band"]
          .map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...rows.map((r) => h("tr", { "data-holding": r.holding.account_id,
          "data-inside": String(r.holding.inside_band) },
          h("td", { class: "nowrap" }, `${r.holding.asset} …${r.holding.account_id.slice(-4)}`),
          h("td", { class: "num" }, r.holding.value_decimal === null ? "—"
            : `${group(r.holding.value_decimal)} ${p.base}`),
          h("td", { class: "num", "data-weight": r.holding.weight ?? "" }, pp(r.holding.weight) + " %"),
          h("td", { class: "num" }, pp(r.holding.target) + " %"),
          h("td", { class: "num" }, r.signed === null ? "—"
            : (r.driftPp.startsWith("-") ? "" : "+") + r.driftPp + " pp"),
          h("td", { class: "nowrap", title: `band ±${pp(r.holding.band_absolute)} pp` },
            r.holding.inside_band === null ? "—"
            : statusBadge(r.holding.inside_band ? "fresh" : "stale",
              r.holding.inside_band ? "inside" : "outside")))))))));
    view.append(rebalanceBox(p));
    const chart = chartIn(chartBox);
    portfolioCharts.push(chart);
    chart.setOption({
      backgroundColor: "transparent",
      grid: { left: 90, right: 20, top: 10, bottom: 30 },
      tooltip: {},
      xAxis: { type: "value", name: "pp" },
      yAxis: { type: "category", data: rows.map((r) => `${r.holding.asset} …${r.holding.account_id.slice(-4)}`) },
      series: [{ type: "bar", data: rows.map((r) => ({ value: Number(r.driftPp === "—" ? 0 : r.driftPp),
        itemStyle: { color: r.holding.inside_band === false ? "#ef4444" : "#3b82f6" } })) }],
    }, true);
    return view;
  }

  // The rebalance preview (its trades, each one's cost, the total) and its execution.
  // POST /v1/portfolios/{id}/rebalance; the API's error appears beside the buttons.
  function rebalanceBox(p: Portfolio): HTMLElement {
    const preview = h("button", { type: "button", "data-action": "preview" }, "Preview rebalance");
    const error = h("p", { class: "field-error", role: "alert", "data-error-for": "rebalance" });
    const plan = h("div", { class: "plan", "aria-live": "polite" });
    const note = executedNotes.get(p.id);
    if (note !== undefined) {
      plan.append(h("p", { role: "status", "data-executed": "true" }, note));
    }
    const amount = (minor: string, code: string) => {
      const e = exponentOf(code);
      return e === undefined ? `${minor} (minor) ${code}` : `${group(minorToDecimal(minor, e))} ${code}`;
    };
    const fail = (e: unknown) => {
      error.textContent = e instanceof ApiError ? e.message : String(e);
      error.dataset.code = e instanceof ApiError ? e.code : "";
    };
    preview.addEventListener("click", () => void (async () => {
      error.textContent = "";
      executedNotes.delete(p.id);
      clear(plan);
      paused = true;
      try {
        const r = await post<Rebalance>(`/v1/portfolios/${p.id}/rebalance`, { mode: "preview" });
        if (r.plan_id === null || r.trades.length === 0) {
          plan.append(h("p", { class: "muted", "data-plan": "none" }, "Nothing to do: every holding is inside its band."));
          paused = false;
          return;
        }
        const execute = h("button", { type: "button", class: "primary", "data-action": "execute" },
          "Execute plan");
        plan.append(h("div", { class: "table-wrap" }, h("table", { "data-plan": r.plan_id },
          h("caption", {}, `Plan: ${r.trades.length} trades, total cost ${group(r.total_cost_decimal)} ${p.base}` +
            ` (at the mids), valid until ${new Date(r.expires_at).toLocaleTimeString()}`),
          h("thead", {}, h("tr", {}, ...["Pays", "Receives", "Route", "Cost"]
            .map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, ...r.trades.map((t) => h("tr", {},
            h("td", { class: "num" }, amount(t.amount_in, t.from)),
            h("td", { class: "num" }, amount(t.amount_out, t.to)),
            h("td", {}, t.legs.map((l) => l.pair).join(" → ")),
            h("td", { class: "num" }, `${group(t.cost_decimal)} ${p.base}`)))))),
          h("div", { class: "actions" }, execute));
        execute.addEventListener("click", () => void (async () => {
          error.textContent = "";
          execute.disabled = true;
          try {
            const done = await post<Rebalance>(`/v1/portfolios/${p.id}/rebalance`,
              { mode: "execute", plan_id: r.plan_id });
            const text = `Executed: ${done.transfers.length} ledger transfers, one linked group.`;
            executedNotes.set(p.id, text);
            plan.append(h("p", { role: "status", "data-executed": "true" }, text));
            paused = false;
            void loadPortfolios();
          } catch (e) {
            fail(e);
            execute.disabled = false;
          }
        })());
      } catch (e) {
        fail(e);
        paused = false;
      }
    })());
    return h("div", { class: "rebalance" }, h("div", { class: "actions" }, preview), error, plan);
  }

  async function load(): Promise<void> {
    void loadPortfolios();
    map = await get<AssetMap>("/v1/map?base=EUR");
    ensureTargets(map.classes.map((c) => c.class));
    render();
  }

  async function runBacktest(): Promise<void> {
    for (const e of [fFiles.error, fWeights.error, fCash.error, fCheck.error, btError]) {
      e.textContent = "";
    }
    const prices: Record<string, string> = {};
    for (const file of Array.from(files.files ?? [])) {
      prices[file.name.split(/[-.]/)[0].toUpperCase()] = await file.text();
    }
    const weightMap: Record<string, string> = {};
    for (const part of weights.value.split(",")) {
      const [symbol, weight] = part.split("=").map((s) => s.trim());
      if (symbol) {
        weightMap[symbol] = weight ?? "";
      }
    }
    try {
      const result = await post<Backtest>("/v1/backtests", { prices, weights: weightMap,
        cash: cash.value.trim(), check: check.value, periods_per_year: 252 });
      showBacktest(result, weightMap);
    } catch (error) {
      const e = error instanceof ApiError ? error : null;
      const target = e?.param === "prices" ? fFiles.error : e?.param === "weights" ? fWeights.error
        : e?.param === "cash" ? fCash.error : e?.param === "check" ? fCheck.error : btError;
      target.textContent = e ? e.message : String(error);
    }
  }

  function showBacktest(r: Backtest, weightMap: Record<string, string>): void {
    const pct = (x: number | null) => (x === null ? "—" : (x * 100).toFixed(2) + " %");
    clear(btResult);
    btResult.append(h("dl", { class: "facts", "data-backtest": "done" },
      h("dt", {}, "Period"), h("dd", {}, `${r.first_date} … ${r.last_date}`),
      h("dt", {}, "CAGR"), h("dd", { class: "num" }, pct(r.cagr)),
      h("dt", {}, "Volatility"), h("dd", { class: "num" }, pct(r.volatility)),
      h("dt", {}, "Sharpe"), h("dd", { class: "num" }, r.sharpe === null ? "—" : r.sharpe.toFixed(2)),
      h("dt", {}, "Max drawdown"), h("dd", { class: "num" }, pct(r.max_drawdown)),
      h("dt", {}, "Rebalances"), h("dd", { class: "num" }, String(r.rebalances)),
      h("dt", {}, "Growth of 1"), h("dd", { class: "num" }, r.final_value === null ? "—" : r.final_value.toFixed(3))));
    const symbols = Object.keys(weightMap);
    btChartBox.hidden = false;
    btChart.setOption({
      backgroundColor: "transparent",
      legend: { top: 0 }, tooltip: {},
      grid: { left: 50, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "category", data: symbols },
      yAxis: { type: "value", name: "weight" },
      series: [
        { name: "target", type: "bar", data: symbols.map((s) => Number(weightMap[s])) },
        { name: "average held", type: "bar", data: symbols.map((s) => r.average_weights[s] ?? 0) },
      ],
    }, true);
  }

  btForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void runBacktest();
  });
  void load().catch(() => undefined);
  // Reloaded every 10 s, except while a previewed plan waits (it would vanish).
  const timer = window.setInterval(() => paused || void loadPortfolios(), 10_000);
  return () => {
    window.clearInterval(timer);
    portfolioCharts.forEach((c) => c.dispose());
    drift.dispose();
    btChart.dispose();
  };
}

function sub(a: string, b: string): string {
  // a - b on decimal strings, exactly, at the larger scale.
  const scale = Math.max(frac(a), frac(b));
  const x = BigInt(a.replace(".", "") + "0".repeat(scale - frac(a)));
  const y = BigInt(b.replace(".", "") + "0".repeat(scale - frac(b)));
  const d = (x - y).toString();
  const negative = d.startsWith("-");
  const digits = (negative ? d.slice(1) : d).padStart(scale + 1, "0");
  const text = scale === 0 ? digits : digits.slice(0, -scale) + "." + digits.slice(-scale);
  return trim((negative ? "-" : "") + text);
}

function frac(x: string): number {
  const dot = x.indexOf(".");
  return dot < 0 ? 0 : x.length - dot - 1;
}

function abs(x: string): number {
  // comparison with the band only: a drift in percentage points, not money
  return Math.abs(Number(x));
}
