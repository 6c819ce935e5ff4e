// Convert: an FX quote between two of the key's accounts — the mid beside the
// customer's all-in rate, each leg's rate, spread and fee shown explicitly, the
// route, the locked quote's expiry counting down — then execution. POST /v1/quotes,
// GET /v1/rates/{pair}, POST /v1/conversions; an error appears next to the field the
// API's `param` names.
import { ApiError, get, post } from "../api";
import { exponentOf, learnExponent } from "../assets";
import { clear, field, h } from "../dom";
import { bpsFrom, decimalToMinor, divide, group, minorToDecimal, trim } from "../money";
import type { Session } from "../session";
import type { AssetMap, Quote, Rate } from "../types";

interface Option { id: string; asset: string; exponent: number; available: string; }

function fmt(minor: string, code: string): string {
  const e = exponentOf(code);
  return e === undefined ? `${minor} (minor units) ${code}` : `${group(minorToDecimal(minor, e))} ${code}`;
}

export function mountConvert(root: HTMLElement, session: Session): () => void {
  void session; // quotes and conversions follow the key: the server checks the owner
  const fromSelect = h("select", {});
  const toSelect = h("select", {});
  const amountInput = h("input", { type: "text", inputmode: "decimal", autocomplete: "off",
    placeholder: "100.00" });
  const modeSelect = h("select", {}, h("option", { value: "sell" }, "Sell exactly (from)"),
    h("option", { value: "buy" }, "Receive exactly (to)"));
  const from = field("From account", fromSelect, "debit_account_id");
  const to = field("To account", toSelect, "credit_account_id");
  const mode = field("Amount is", modeSelect, "direction");
  const amount = field("Amount", amountInput, "amount");
  const formError = h("p", { class: "field-error", role: "alert", "data-error-for": "form" });
  const quoteButton = h("button", { type: "submit", class: "primary" }, "Get quote");
  const form = h("form", { class: "convert-form card", "aria-label": "Conversion" },
    h("div", { class: "form-grid" }, from.root, to.root, mode.root, amount.root),
    h("div", { class: "actions" }, quoteButton), formError);
  const quoteBox = h("div", { class: "quote", "aria-live": "polite" },
    h("p", { class: "muted" }, "A quote locks its rate for a short while (the server's ",
      "fx_quote_ttl_s, 15 s by default); execute it before it expires."));
  root.append(form, quoteBox);
  let options: Option[] = [];
  let quote: Quote | null = null;
  let countdown: number | undefined;

  function errors(): HTMLElement[] {
    return [from.error, to.error, mode.error, amount.error, formError];
  }

  function show(error: unknown): void {
    const e = error instanceof ApiError ? error : null;
    const message = e ? e.message : String(error);
    const param = e?.param ?? "";
    const target = param === "debit_account_id" ? from.error
      : param === "credit_account_id" ? to.error
        : param === "sell_amount" || param === "buy_amount" ? amount.error
          : param === "from" ? from.error : param === "to" ? to.error : formError;
    target.textContent = message;
    target.dataset.code = e?.code ?? "";
  }

  async function loadAccounts(): Promise<void> {
    const map = await get<AssetMap>("/v1/map?base=EUR");
    options = map.classes.flatMap((c) => c.assets.flatMap((a) => {
      learnExponent(a.asset, a.exponent);
      return a.accounts.map((acct) => ({ id: acct.id, asset: a.asset, exponent: a.exponent,
        available: acct.available_decimal }));
    }));
    // The map's order: fiat first, then by value, so the defaults are the main accounts.
    for (const select of [fromSelect, toSelect]) {
      const keep = select.value;
      clear(select);
      for (const o of options) {
        select.append(h("option", { value: o.id, "data-asset": o.asset },
          `${o.asset} · …${o.id.slice(-6)} · ${group(o.available)} available`));
      }
      if (keep) {
        select.value = keep;
      }
    }
    if (!toSelect.value || toSelect.value === fromSelect.value) {
      const other = options.find((o) => o.asset !== options.find((x) => x.id === fromSelect.value)?.asset);
      if (other) {
        toSelect.value = other.id;
      }
    }
  }

  const account = (id: string) => options.find((o) => o.id === id);

  async function requestQuote(): Promise<void> {
    errors().forEach((e) => (e.textContent = ""));
    const a = account(fromSelect.value);
    const b = account(toSelect.value);
    if (!a || !b) {
      formError.textContent = "choose both accounts";
      return;
    }
    const selling = modeSelect.value === "sell";
    const parsed = decimalToMinor(amountInput.value, selling ? a.exponent : b.exponent,
      selling ? a.asset : b.asset);
    if ("error" in parsed) {
      amount.error.textContent = parsed.error;
      return;
    }
    const body: Record<string, string> = { from: a.asset, to: b.asset };
    body[selling ? "sell_amount" : "buy_amount"] = parsed.minor;
    quoteButton.disabled = true;
    try {
      quote = await post<Quote>("/v1/quotes", body);
      await renderQuote(quote);
    } catch (error) {
      show(error);
      clear(quoteBox);
    } finally {
      quoteButton.disabled = false;
    }
  }

  async function midOf(base: string, quoteCode: string): Promise<Rate | null> {
    try {
      return await get<Rate>(`/v1/rates/${base}-${quoteCode}`);
    } catch {
      return null;
    }
  }

  async function renderQuote(q: Quote): Promise<void> {
    const ein = exponentOf(q.from) ?? 0;
    const eout = exponentOf(q.to) ?? 0;
    const decIn = minorToDecimal(q.amount_in, ein);
    const decOut = minorToDecimal(q.amount_out, eout);
    const customer = divide(decOut, decIn, 10);
    const [mid, legMids] = await Promise.all([midOf(q.from, q.to),
      Promise.all(q.legs.map((l) => midOf(l.pair.split("/")[0], l.pair.split("/")[1])))]);
    const execute = h("button", { type: "button", class: "primary", "data-action": "execute" },
      "Execute conversion");
    const timer = h("span", { class: "countdown", "data-countdown": "", role: "timer",
      "aria-live": "off" });
    const result = h("div", { class: "result", role: "status" });
    clear(quoteBox);
    quoteBox.append(h("div", { class: "card", "data-quote": q.id },
      h("h2", {}, "Locked quote"),
      h("dl", { class: "facts" },
        h("dt", {}, "You pay"), h("dd", { class: "num", "data-amount-in": decIn }, fmt(q.amount_in, q.from)),
        h("dt", {}, "You receive"), h("dd", { class: "num", "data-amount-out": decOut }, fmt(q.amount_out, q.to)),
        h("dt", {}, `Mid (${q.to} per ${q.from})`), h("dd", { class: "num", "data-mid": mid?.mid ?? "" },
          mid ? `${trim(mid.mid)} (${mid.status}${mid.via ? ", via " + mid.via : ""})` : "—"),
        h("dt", {}, "Your rate, all in"), h("dd", { class: "num", "data-customer-rate": customer }, trim(customer)),
        h("dt", {}, "Cost against the mid"), h("dd", { class: "num" },
          mid ? `${bpsFrom(customer, mid.mid)} bps` : "—"),
        h("dt", {}, "Route"), h("dd", { "data-route": q.legs.map((l) => l.pair).join(" → ") },
          [q.from, ...q.legs.map((l) => l.to)].join(" → "),
          q.direct && q.saving_bps !== "0" ? ` (saves ${q.saving_bps} bps over the direct pair)` : ""),
        h("dt", {}, "Expires"), h("dd", {}, timer)),
      h("div", { class: "table-wrap" }, h("table", {},
        h("caption", {}, "Legs: each one's rate, its spread from the pair's mid, its fee"),
        h("thead", {}, h("tr", {}, ...["Pair", "Side", "Rate", "Pair mid", "Spread", "Fee",
          "In", "Out"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...q.legs.map((l, i) => {
          const m = legMids[i];
          return h("tr", { "data-leg": l.pair },
            h("td", {}, l.pair), h("td", {}, l.side.replace("_", " ")),
            h("td", { class: "num" }, trim(l.rate)),
            h("td", { class: "num" }, m ? trim(m.mid) : "—"),
            h("td", { class: "num", "data-spread": "" }, m ? `${bpsFrom(l.rate, m.mid)} bps` : "—"),
            h("td", { class: "num", "data-fee": l.fee }, fmt(l.fee, l.from)),
            h("td", { class: "num" }, fmt(l.amount_in, l.from)),
            h("td", { class: "num" }, fmt(l.amount_out, l.to)));
        })))),
      h("div", { class: "actions" }, execute), result));
    const expires = Date.parse(q.expires_at);
    window.clearInterval(countdown);
    const tick = () => {
      const left = Math.max(0, Math.ceil((expires - Date.now()) / 1000));
      timer.textContent = left > 0 ? `in ${left} s` : "expired: ask for a new quote";
      timer.dataset.countdown = String(left);
      if (left === 0) {
        execute.disabled = true;
        window.clearInterval(countdown);
      }
    };
    tick();
    countdown = window.setInterval(tick, 250);
    execute.addEventListener("click", () => void executeQuote(q, execute, result));
  }

  async function executeQuote(q: Quote, button: HTMLButtonElement, result: HTMLElement): Promise<void> {
    errors().forEach((e) => (e.textContent = ""));
    button.disabled = true;
    try {
      const done = await post<{ amount_in: string; amount_out: string; transfers: string[] }>(
        "/v1/conversions", { quote_id: q.id, debit_account_id: fromSelect.value,
          credit_account_id: toSelect.value });
      window.clearInterval(countdown);
      result.textContent = `Done: paid ${fmt(done.amount_in, q.from)}, received ` +
        `${fmt(done.amount_out, q.to)} (${done.transfers.length} ledger transfers).`;
      result.dataset.done = "true";
      await loadAccounts();
    } catch (error) {
      show(error);
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void requestQuote();
  });
  void loadAccounts().catch(show);
  return () => window.clearInterval(countdown);
}
