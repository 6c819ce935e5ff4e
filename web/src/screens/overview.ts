// Overview: net worth in a chosen base currency, the asset map (a treemap asset class
// → asset → account sized by base value), the class donut and every account's balance
// with its pending holds. GET /v1/map?base=…[&owner=…]; refreshed when a ledger event
// arrives on the feed (debounced) and every 10 s for moving prices.
import { ApiError, get } from "../api";
import { CLASS_COLOURS, chartIn } from "../charts";
import { ago, append, clear, field, h, statusBadge } from "../dom";
import { group } from "../money";
import type { Session } from "../session";
import type { AssetMap, MapAsset } from "../types";

const BASES = ["EUR", "USD", "GBP", "CHF", "JPY", "USDT", "BTC"];
const BASE_STORAGE = "tpw.base";

export function mountOverview(root: HTMLElement, session: Session): () => void {
  const baseSelect = h("select", {}, ...BASES.map((code) => h("option", { value: code }, code)));
  baseSelect.value = sessionStorage.getItem(BASE_STORAGE) ?? "EUR";
  const base = field("Base currency", baseSelect, "base");
  const ownerInput = h("input", { type: "text", inputmode: "numeric", placeholder: "all owners",
    size: 12 });
  const owner = field("Owner", ownerInput, "owner");
  const controls = h("form", { class: "controls", "aria-label": "Map settings" }, base.root,
    session.staff ? owner.root : null);
  controls.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  const summary = h("div", { class: "summary", "aria-live": "polite" });
  const treemapBox = h("div", { class: "chart treemap", role: "img",
    "aria-label": "Asset map: asset class, asset and account sized by value" });
  const donutBox = h("div", { class: "chart donut", role: "img",
    "aria-label": "Net worth by asset class" });
  const table = h("div", { class: "table-wrap" });
  root.append(controls, summary,
    h("div", { class: "grid-2" },
      h("div", { class: "card" }, h("h2", {}, "Asset map"), treemapBox),
      h("div", { class: "card" }, h("h2", {}, "By class"), donutBox)),
    h("div", { class: "card" }, h("h2", {}, "Accounts"), table));
  const treemap = chartIn(treemapBox);
  const donut = chartIn(donutBox);
  let timer: number | undefined;
  let pending = false;

  async function load(): Promise<void> {
    base.error.textContent = "";
    owner.error.textContent = "";
    const query = new URLSearchParams({ base: baseSelect.value });
    if (session.staff && ownerInput.value.trim() !== "") {
      query.set("owner", ownerInput.value.trim());
    }
    try {
      const map = await get<AssetMap>("/v1/map?" + query.toString());
      render(map);
    } catch (error) {
      if (error instanceof ApiError) {
        (error.param === "owner" ? owner.error : base.error).textContent = error.message;
      }
    }
  }

  function render(map: AssetMap): void {
    clear(summary);
    append(summary,
      h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, `Net worth (${map.base})`),
        h("span", { class: "kpi-value", "data-total": map.total_decimal },
          group(map.total_decimal) + " " + map.base)),
      changeKpi(map),
      h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, "Pending holds"),
        h("span", { class: "kpi-value small", "data-holds": map.holds_decimal },
          group(map.holds_decimal) + " " + map.base)),
      h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, "Accounts"),
        h("span", { class: "kpi-value small" }, String(map.accounts_count))),
      map.complete ? null : h("p", { class: "warn" },
        "Some assets have no rate to the base: they are left out of the total."),
      h("ul", { class: "class-totals", "aria-label": "Totals by class" },
        ...map.classes.map((c) => h("li", { "data-class": c.class, "data-value": c.value_decimal },
          h("span", { class: "swatch", style: `background:${CLASS_COLOURS[c.class] ?? "#888"}` }),
          `${c.class}: ${group(c.value_decimal)} ${map.base}`))));
    drawTreemap(map);
    drawDonut(map);
    drawTable(map);
  }

  function changeKpi(map: AssetMap): HTMLElement {
    const c = map.change;
    const hours = c ? `${Math.round(c.window_s / 3600)} h` : "24 h";
    if (!c) {
      return h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, `Change (${hours})`),
        h("span", { class: "kpi-value small muted", "data-change": "" }, "no rates history yet"));
    }
    const sign = c.change.startsWith("-") ? "down" : c.change === "0" ? "flat" : "up";
    const span = c.since ? `since ${new Date(c.since).toLocaleString()}` : "";
    return h("div", { class: "kpi", title: `the market's effect on today's balances, ${span}` },
      h("span", { class: "kpi-label" }, `Change (${hours}, market)`),
      h("span", { class: `kpi-value small change-${sign}`, "data-change": c.change_decimal },
        `${sign === "up" ? "+" : ""}${group(c.change_decimal)} ${map.base}`,
        c.change_percent === null ? "" : ` (${sign === "up" ? "+" : ""}${c.change_percent} %)`),
      c.complete ? null : h("span", { class: "muted small" }, "some assets have no rate then"),
      c.since ? h("span", { class: "muted small" }, span) : null);
  }

  function drawTreemap(map: AssetMap): void {
    const data = map.classes.map((c) => ({
      name: c.class, value: Number(c.value),
      // A parent's label band is its border: the class's colour, so its name shows.
      itemStyle: { color: CLASS_COLOURS[c.class], borderColor: CLASS_COLOURS[c.class] },
      children: c.assets.filter((a) => a.value !== null).map((a) => ({
        name: a.asset, value: Number(a.value),
        label_text: `${a.asset}: ${group(a.value_decimal ?? "0")} ${map.base}` + (a.change
          ? `, ${a.change.change.startsWith("-") ? "" : "+"}${group(a.change.change_decimal)} ${map.base} in 24 h`
          : ""),
        children: a.accounts.map((acct) => ({
          name: `${a.asset} …${acct.id.slice(-4)}\n${group(acct.value_decimal ?? "0")} ${map.base}`,
          value: Number(acct.value),
          label_text: `${acct.id}: ${acct.balance_decimal} ${a.asset} = ${acct.value_decimal} ${map.base}` })),
      })),
    }));
    // Borders and the parents' label bands in the card's colour, light or dark.
    const card = getComputedStyle(document.documentElement).getPropertyValue("--card").trim();
    treemap.setOption({
      backgroundColor: "transparent",
      tooltip: { formatter: (p: { data: { label_text?: string }; name: string }) =>
        p.data.label_text ?? p.name },
      series: [{ type: "treemap", data, roam: false, nodeClick: false, breadcrumb: { show: false },
        width: "100%", height: "100%", top: 0, left: 0,
        upperLabel: { show: true, height: 18, color: "#fff", fontWeight: 600, textBorderWidth: 0 },
        itemStyle: { borderColor: card },
        label: { lineHeight: 15 },
        levels: [{ itemStyle: { gapWidth: 2, borderWidth: 2 }, upperLabel: { show: true } },
          { itemStyle: { gapWidth: 1, borderWidth: 2, borderColor: card },
            upperLabel: { show: true } },
          { colorSaturation: [0.35, 0.6], itemStyle: { borderColorSaturation: 0.6,
            gapWidth: 1, borderWidth: 1 } }] }],
    }, true);
  }

  function drawDonut(map: AssetMap): void {
    donut.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["45%", "70%"], label: { show: false },
        data: map.classes.map((c) => ({ name: c.class, value: Number(c.value),
          itemStyle: { color: CLASS_COLOURS[c.class] } })) }],
    }, true);
  }

  function drawTable(map: AssetMap): void {
    clear(table);
    const staff = session.staff;
    const rows = map.classes.flatMap((c) => c.assets.flatMap((a: MapAsset) =>
      a.accounts.map((acct) => h("tr", { "data-account": acct.id },
        h("td", { class: "wide-only" }, c.class), h("td", {}, a.asset),
        h("td", { class: "mono" }, h("span", { class: "wide-only" }, acct.id.slice(0, -6)),
          acct.id.slice(-6)),
        staff ? h("td", { class: "mono wide-only" }, acct.owner ?? "house") : null,
        h("td", { class: "num", "data-balance": acct.balance_decimal }, group(acct.balance_decimal)),
        h("td", { class: "num", "data-holds": acct.holds_decimal },
          acct.holds === "0" ? "—" : group(acct.holds_decimal)),
        h("td", { class: "num wide-only", "data-available": acct.available_decimal },
          group(acct.available_decimal)),
        h("td", { class: "num" }, acct.value_decimal === null ? "no rate" :
          group(acct.value_decimal)),
        h("td", { class: "wide-only" },
          a.rate ? statusBadge(a.rate.status) : statusBadge("stale", "none"),
          a.rate && a.rate.as_of ? h("span", { class: "muted small" }, " " + ago(a.rate.as_of)) : null)))));
    const heads = ["Class", "Asset", "Account", ...(staff ? ["Owner"] : []), "Balance",
      "Pending holds", "Available", `Value (${map.base})`, "Rate"];
    const narrow = new Set(["Class", "Owner", "Available", "Rate"]);
    table.append(h("table", {},
      h("caption", { class: "sr-only" }, "Balances per account"),
      h("thead", {}, h("tr", {}, ...heads.map((t) =>
        h("th", { scope: "col", class: narrow.has(t) ? "wide-only" : null }, t)))),
      h("tbody", {}, ...rows)));
  }

  baseSelect.addEventListener("change", () => {
    sessionStorage.setItem(BASE_STORAGE, baseSelect.value);
    void load();
  });
  ownerInput.addEventListener("change", () => void load());
  const refresh = () => {
    if (!pending) {
      pending = true;
      window.setTimeout(() => {
        pending = false;
        void load();
      }, 400);
    }
  };
  const offs = [session.feed.on("transfer_applied", refresh),
    session.feed.on("pending_expired", refresh)];
  timer = window.setInterval(() => void load(), 10_000);
  void load();
  return () => {
    offs.forEach((off) => off());
    window.clearInterval(timer);
    treemap.dispose();
    donut.dispose();
  };
}
