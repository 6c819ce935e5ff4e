// The API's objects as the dashboard reads them (docs/api.md, docs/openapi.json).

export interface MapAccount {
  id: string; owner: string | null; kind: string;
  balance: string; balance_decimal: string; holds: string; holds_decimal: string;
  available: string; available_decimal: string; incoming: string; incoming_decimal: string;
  value: string | null; value_decimal: string | null;
}

export interface AssetChange {
  mid_then: string; since: string | null; value_then: string; value_then_decimal: string;
  change: string; change_decimal: string;
}

export interface MapChange {
  window_s: number; since: string | null; complete: boolean;
  value_then: string; value_then_decimal: string; change: string; change_decimal: string;
  change_percent: string | null;
}

export interface MapAsset {
  asset: string; name: string; exponent: number;
  balance: string; balance_decimal: string; holds_decimal: string; incoming_decimal: string;
  value: string | null; value_decimal: string | null;
  rate: { mid: string; status: string; as_of: string | null; via: string[] } | null;
  change?: AssetChange | null;
  accounts: MapAccount[];
}

export interface MapClass { class: string; value: string; value_decimal: string; assets: MapAsset[]; }

export interface AssetMap {
  object: "asset_map"; base: string; exponent: number; owner: string | null; complete: boolean;
  accounts_count: number; total: string; total_decimal: string;
  holds: string; holds_decimal: string; classes: MapClass[];
  change?: MapChange | null; // servers before the rates' history have none
}

export interface Market {
  venue: string; symbol: string; base: string; quote: string;
  source: string | null; status: string; synced: boolean;
  best_bid: string | null; best_bid_qty: string | null;
  best_ask: string | null; best_ask_qty: string | null;
  last_update_id: number | null; bid_levels: number; ask_levels: number;
  gaps: number; failovers: number; updated_at: string | null; age_ms: number | null;
}

export interface Book {
  bids: [string, string][]; asks: [string, string][];
  source: string; status: string; last_update_id: number | null;
}

export interface Indicators {
  mid: string | null; spread_bps: string | null; imbalance: string | null;
  weighted_mid: string | null;
  depth_bps: Record<string, { bid: string | null; ask: string | null }>;
  walk?: { side: string; qty: string; cost: string | null; vwap: string | null;
    slippage_bps: string | null; levels: number };
}

export interface Account {
  id: string; asset: string; exponent: number; kind: string; owner: string | null;
  debits_posted: string; credits_posted: string; debits_pending: string;
  credits_pending: string;
}

export interface Transfer {
  id: string; debit_account_id: string; credit_account_id: string;
  amount: string; amount_decimal: string; asset: string; exponent: number; code: number;
  flags: string[]; pending_id?: string; timestamp: number;
}

export interface QuoteLeg {
  from: string; to: string; pair: string; side: string; rate: string;
  amount_in: string; fee: string; amount_out: string;
}

export interface Quote {
  id: string; from: string; to: string; direction: string;
  amount_in: string; amount_out: string; legs: QuoteLeg[];
  direct: { amount_in: string; amount_out: string } | null; saving_bps: string;
  created_at: string; expires_at: string;
}

export interface Rate {
  base: string; quote: string; bid: string; ask: string; mid: string; status: string;
  as_of: string | null; via: string | null; inverted: boolean;
}

export interface Alert {
  sequence: number; kind: string; severity: string; created: string;
  data: Record<string, unknown> & { message?: string };
}

export interface PortfolioHolding {
  account_id: string; target: string; band: string; asset: string;
  balance_decimal: string; rate_status: string | null; value_decimal: string | null;
  weight: string | null; drift: string | null; band_absolute: string; inside_band: boolean | null;
}

export interface Portfolio {
  id: string; owner: string; name: string; base: string; drift: string; destination: string;
  holdings: PortfolioHolding[];
  valuation: { status: string; outside_band: boolean; total: string; total_decimal: string } | null;
  valuation_error: { code?: string; message?: string } | null;
}
