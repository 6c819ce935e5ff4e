// Markets: every instrument of the server's markets file with its price status —
// fresh (the primary, live), delayed (the backup) or stale (no healthy source) —
// source, top of book, spread and the slippage of a market order of a chosen size;
// the selected instrument's depth and a live mid chart. GET /v1/markets, …/book,
// …/indicators; `market.quote` and `market.failover` signals move it between polls.
import { createChart, LineSeries, type IChartApi, type ISeriesApi, type UTCTimestamp }
  from "lightweight-charts";
import { ApiError, get, type ListOf } from "../api";
import { chartIn, dark } from "../charts";
import { clear, field, h, statusBadge } from "../dom";
import { group, trim } from "../money";
import type { Session } from "../session";
import type { Book, Indicators, Market } from "../types";

const MARKER: Record<string, string> = { live: "fresh", delayed: "delayed", restricted: "stale" };

export function markerOf(status: string): string {
  return MARKER[status] ?? "stale";
}

export function mountMarkets(root: HTMLElement, session: Session): () => void {
  const list = h("div", { class: "market-list card", "aria-live": "polite" });
  const qtyInput = h("input", { type: "text", inputmode: "decimal", value: "0.01", size: 10 });
  const qty = field("Order size (base units) for slippage", qtyInput, "qty");
  const sideSelect = h("select", {}, h("option", { value: "buy" }, "buy (walk the asks)"),
    h("option", { value: "sell" }, "sell (walk the bids)"));
  const side = field("Side", sideSelect, "side");
  const detail = h("div", { class: "market-detail" });
  const chartBox = h("div", { class: "chart price", role: "img", "aria-label": "Mid price, live" });
  const bookBox = h("div", { class: "book" });
  const depthBox = h("div", { class: "chart depth-chart", role: "img",
    "aria-label": "Cumulative depth of the book's 50 best levels a side" });
  root.append(list,
    h("div", { class: "card" },
      h("h2", { id: "detail-title" }, "Instrument"),
      h("form", { class: "controls", "aria-label": "Slippage settings" }, qty.root, side.root),
      detail, h("div", { class: "grid-2" }, h("div", {}, chartBox, depthBox), bookBox)));
  const depth = chartIn(depthBox);
  let markets: Market[] = [];
  let selected: string | null = null;
  let chart: IChartApi | null = null;
  let series: ISeriesApi<"Line"> | null = null;
  let lastTime = 0;

  function key(m: { venue: string; symbol: string }): string {
    return `${m.venue}/${m.symbol}`;
  }

  function ensureChart(): void {
    if (chart !== null) {
      return;
    }
    const text = dark() ? "#cbd5e1" : "#334155";
    chart = createChart(chartBox, { autoSize: true, height: 260,
      layout: { background: { color: "transparent" }, textColor: text },
      grid: { vertLines: { visible: false }, horzLines: { color: dark() ? "#1e293b" : "#e2e8f0" } },
      timeScale: { timeVisible: true, secondsVisible: true } });
    series = chart.addSeries(LineSeries, { lineWidth: 2, color: "#3b82f6" });
  }

  function plot(bid: string | null, ask: string | null): void {
    if (bid === null || ask === null || series === null) {
      return;
    }
    // Sizing only: the chart needs numbers; every printed price is the API's text.
    const mid = (Number(bid) + Number(ask)) / 2;
    const now = Math.floor(Date.now() / 1000);
    const time = Math.max(now, lastTime) as UTCTimestamp;
    lastTime = time;
    series.update({ time, value: mid });
  }

  function renderList(): void {
    // Re-rendered every poll: keep the keyboard focus on the same instrument's button.
    const focused = (document.activeElement as HTMLElement | null)?.closest("tr")?.dataset.market;
    clear(list);
    list.append(h("table", {},
      h("caption", { class: "sr-only" }, "Instruments"),
      h("thead", {}, h("tr", {}, ...["Instrument", "Price", "Source", "Best bid", "Best ask",
        "Levels", "Failovers", "Updated"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...markets.map((m) => {
        const marker = markerOf(m.status);
        const button = h("button", { type: "button", class: "link",
          "aria-pressed": String(key(m) === selected) }, `${m.venue} ${m.symbol}`);
        button.addEventListener("click", () => select(key(m)));
        return h("tr", { "data-market": key(m), "data-marker": marker },
          h("td", {}, button),
          h("td", {}, statusBadge(marker)),
          h("td", { "data-source": m.source ?? "none" }, m.source ?? "—"),
          h("td", { class: "num" }, m.best_bid ? group(trim(m.best_bid)) : "—"),
          h("td", { class: "num" }, m.best_ask ? group(trim(m.best_ask)) : "—"),
          h("td", { class: "num" }, `${m.bid_levels}/${m.ask_levels}`),
          h("td", { class: "num" }, String(m.failovers)),
          h("td", { class: "num" }, m.age_ms === null ? "—" : `${m.age_ms} ms ago`));
      }))),
      h("p", { class: "muted small" }, "fresh: from the primary source, live · delayed: from the ",
        "backup (usable, flagged) · stale: no healthy source, do not trade on it"));
    if (focused) {
      list.querySelector<HTMLButtonElement>(`tr[data-market="${focused}"] button`)?.focus();
    }
  }

  async function loadList(): Promise<void> {
    try {
      markets = (await get<ListOf<Market>>("/v1/markets")).data;
      if (selected === null && markets.length > 0) {
        selected = key(markets[0]);
      }
      renderList();
    } catch {
      // the next poll retries; the feed state shows a lost server
    }
  }

  async function loadDetail(): Promise<void> {
    if (selected === null) {
      return;
    }
    const [venue, symbol] = selected.split("/");
    const path = `/v1/markets/${encodeURIComponent(venue)}/${encodeURIComponent(symbol)}`;
    qty.error.textContent = "";
    side.error.textContent = "";
    const query = new URLSearchParams({ qty: qtyInput.value.trim(), side: sideSelect.value });
    try {
      const [book, ind] = await Promise.all([
        get<Book>(path + "/book?depth=50"),
        get<Indicators>(path + "/indicators?" + query.toString()).catch((error) => {
          if (error instanceof ApiError) {
            (error.param === "side" ? side.error : qty.error).textContent = error.message;
            return get<Indicators>(path + "/indicators");
          }
          throw error;
        }),
      ]);
      renderDetail(book, ind);
    } catch {
      // an instrument without a book yet: shown empty until the next poll
    }
  }

  function renderDetail(book: Book, ind: Indicators): void {
    const m = markets.find((x) => key(x) === selected);
    const base = m?.base ?? "";
    const quote = m?.quote ?? "";
    clear(detail);
    const walk = ind.walk;
    detail.append(h("dl", { class: "facts" },
      h("dt", {}, "Source"), h("dd", {}, `${book.source} `, statusBadge(markerOf(book.status))),
      h("dt", {}, "Mid"), h("dd", { class: "num" }, ind.mid ? group(trim(ind.mid)) + " " + quote : "—"),
      h("dt", {}, "Spread"), h("dd", { class: "num", "data-spread": ind.spread_bps ?? "" },
        ind.spread_bps ? trim(ind.spread_bps) + " bps" : "—"),
      h("dt", {}, "Imbalance (L1)"), h("dd", { class: "num" }, ind.imbalance ?? "—"),
      h("dt", {}, "Depth ±10 bps"), h("dd", { class: "num" },
        ind.depth_bps["10"] ? `${trim(ind.depth_bps["10"].bid ?? "0")} / ${trim(ind.depth_bps["10"].ask ?? "0")} ${quote}` : "—"),
      walk ? h("dt", {}, `Slippage, ${walk.side} ${trim(walk.qty)} ${base}`) : null,
      walk ? h("dd", { class: "num", "data-slippage": walk.slippage_bps ?? "" },
        `${walk.slippage_bps ? trim(walk.slippage_bps) : "—"} bps, VWAP ${walk.vwap ? trim(walk.vwap) : "—"}, cost ${walk.cost ? group(trim(walk.cost)) : "—"} ${quote}`) : null));
    drawDepth(book, base, quote);
    clear(bookBox);
    const top = 8;
    const rows = (levels: [string, string][], cls: string) => levels.map(([p, q]) =>
      h("tr", { class: cls }, h("td", { class: "num" }, group(trim(p))), h("td", { class: "num" }, trim(q))));
    bookBox.append(h("table", { class: "depth" },
      h("caption", {}, `Order book (${Math.min(top, book.bids.length)} best levels a side)`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, `Price (${quote})`),
        h("th", { scope: "col" }, `Qty (${base})`))),
      h("tbody", {}, ...rows(book.asks.slice(0, top).reverse(), "ask"),
        ...rows(book.bids.slice(0, top), "bid"))));
  }

  function drawDepth(book: Book, base: string, quote: string): void {
    // Sizing only: cumulative quantities as numbers for the chart's shape.
    const cumulative = (levels: [string, string][]) => {
      let sum = 0;
      return levels.map(([p, q]) => [Number(p), (sum += Number(q))]);
    };
    depth.setOption({
      backgroundColor: "transparent", animation: false,
      grid: { left: 60, right: 16, top: 16, bottom: 30 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", scale: true, name: quote },
      yAxis: { type: "value", name: base },
      series: [
        { name: "bids", type: "line", step: "end", symbol: "none", areaStyle: { opacity: 0.25 },
          color: "#16a34a", data: cumulative(book.bids).reverse() },
        { name: "asks", type: "line", step: "start", symbol: "none", areaStyle: { opacity: 0.25 },
          color: "#dc2626", data: cumulative(book.asks) },
      ],
    }, true);
  }

  function select(k: string): void {
    selected = k;
    chart?.remove();
    chart = null;
    series = null;
    lastTime = 0;
    ensureChart();
    const m = markets.find((x) => key(x) === k);
    if (m) {
      plot(m.best_bid, m.best_ask);
    }
    renderList();
    void loadDetail();
  }

  const offQuote = session.feed.on("market.quote", (event) => {
    const q = event.data as { venue: string; symbol: string; best_bid: string; best_ask: string;
      best_bid_qty: string; best_ask_qty: string; source: string; status: string };
    const m = markets.find((x) => key(x) === key(q));
    if (m) {
      Object.assign(m, { best_bid: q.best_bid, best_ask: q.best_ask, best_bid_qty: q.best_bid_qty,
        best_ask_qty: q.best_ask_qty });
    }
    if (key(q) === selected) {
      plot(q.best_bid, q.best_ask);
    }
  });
  const offFailover = session.feed.on("market.failover", (event) => {
    const f = event.data as { venue: string; symbol: string; to: string; status_to: string };
    const m = markets.find((x) => key(x) === key(f));
    if (m) {
      m.status = f.status_to;
      m.source = f.to;
      renderList();
    }
    void loadList();
    void loadDetail();
  });
  qtyInput.addEventListener("change", () => void loadDetail());
  sideSelect.addEventListener("change", () => void loadDetail());
  const listTimer = window.setInterval(() => void loadList(), 1000);
  const detailTimer = window.setInterval(() => void loadDetail(), 2000);
  void loadList().then(() => {
    if (selected !== null) {
      select(selected);
    }
  });
  return () => {
    offQuote();
    offFailover();
    window.clearInterval(listTimer);
    window.clearInterval(detailTimer);
    chart?.remove();
    depth.dispose();
  };
}
